// What the stand-in libcuda.so offers the stand-in libcublas.so beyond the CUDA API: the real
// cuBLAS runs its GEMMs as kernels on the driver, so the emulated one must see the same device —
// its live allocations, its sticky error, its one-operation-at-a-time order.
#pragma once

#include <cstddef>
#include <cstdint>

#include "cuda_api.h"

// 1 if [pointer, pointer + bytes) lies inside one live device allocation.
EMU_API int emu_is_device_range(uint64_t pointer, size_t bytes);
// The context's sticky error (CUDA_SUCCESS if none).
EMU_API CUresult emu_sticky_error(void);
// Records a fault, as a faulting cuBLAS kernel would; returns the (now sticky) error.
EMU_API CUresult emu_raise_fault(CUresult error);
// 1 for a stream handle the driver accepts.
EMU_API int emu_is_valid_stream(CUstream stream);
// Brackets device work: one operation at a time, across both libraries.
EMU_API void emu_device_acquire(void);
EMU_API void emu_device_release(void);
// For EMU_REPORT / EMU_VERBOSE.
EMU_API void emu_count_gemm(double flops);
EMU_API int emu_verbose_enabled(void);
