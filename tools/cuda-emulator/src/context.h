// The driver's state: whether cuInit ran, the device's one (primary) context, which context is
// current on each thread, and the context's sticky error.
//
// Sticky errors are how a GPU reports a kernel fault: once a kernel has touched an illegal
// address (or failed in another way that corrupts the context), every later call on that
// context returns the same error until the context is destroyed. The emulator does the same,
// so a program that ignores a fault cannot carry on as if nothing happened.
#pragma once

#include <mutex>

#include "cuda_api.h"

namespace emu {

// For calls that need only cuInit (device queries).
CUresult require_initialized();
// For calls about one device: cuInit ran, and `device` is the only one (ordinal 0).
CUresult require_device(CUdevice device);
// For calls that work on the current context: cuInit ran, a context is current on this thread,
// and it holds no sticky error.
CUresult require_context();

// Records a kernel fault: from now on require_context() returns `error`.
CUresult raise_fault(CUresult error);
CUresult sticky_error();

// The null stream, CU_STREAM_LEGACY and CU_STREAM_PER_THREAD are the only streams (the
// emulator runs everything in order anyway; cuStreamCreate is not emulated).
bool is_valid_stream(CUstream stream);
// The same as a driver result: CUDA_ERROR_INVALID_HANDLE, with a message naming `api`.
CUresult check_stream(CUstream stream, const char *api);

// The emulated GPU runs one operation at a time (launch, copy, memset, GEMM), in the order the
// calls arrive, as a single stream would. Tests call the driver from several threads.
std::mutex &device_mutex();
inline std::unique_lock<std::mutex> lock_device() { return std::unique_lock<std::mutex>(device_mutex()); }

}  // namespace emu
