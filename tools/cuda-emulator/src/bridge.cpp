// The functions libcublas.so uses from libcuda.so (see emulator_bridge.h).
#include "emulator_bridge.h"

#include "context.h"
#include "device_memory.h"
#include "report.h"

EMU_API int emu_is_device_range(uint64_t pointer, size_t bytes) { return emu::range_is_device_memory(pointer, bytes); }

EMU_API CUresult emu_sticky_error(void) { return emu::sticky_error(); }

EMU_API CUresult emu_raise_fault(CUresult error) { return emu::raise_fault(error); }

EMU_API int emu_is_valid_stream(CUstream stream) { return emu::is_valid_stream(stream); }

EMU_API void emu_device_acquire(void) { emu::device_mutex().lock(); }

EMU_API void emu_device_release(void) { emu::device_mutex().unlock(); }

EMU_API void emu_count_gemm(double flops) { emu::count_gemm(flops); }

EMU_API int emu_verbose_enabled(void) { return emu::options().verbose; }
