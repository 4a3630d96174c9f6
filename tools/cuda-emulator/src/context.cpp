// cuInit and the context calls: cuDevicePrimaryCtxRetain / Release, cuCtxGetCurrent /
// SetCurrent / GetDevice / Synchronize.
#include "context.h"
#include "driver_api.h"

#include <atomic>

#include "device_memory.h"
#include "modules.h"
#include "report.h"

// The one context. The primary context exists while it is retained; releasing it for the last
// time destroys it (its memory and modules go, and with them any sticky error).
struct EmuContext {
    std::mutex lock;
    int retained = 0;
    CUresult sticky = CUDA_SUCCESS;
};

namespace emu {

static std::atomic<bool> initialized{false};
static EmuContext primary;
static thread_local CUcontext current = nullptr;

CUresult require_initialized() { return initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED; }

CUresult require_device(CUdevice device) {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    return device == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_DEVICE;
}

CUresult require_context() {
    if (!initialized) return CUDA_ERROR_NOT_INITIALIZED;
    if (current == nullptr) {
        fail("a driver call needs a current context, and this thread has none (cuCtxSetCurrent)");
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    std::lock_guard<std::mutex> guard(primary.lock);
    if (primary.retained == 0) return CUDA_ERROR_CONTEXT_IS_DESTROYED;
    return primary.sticky;
}

CUresult raise_fault(CUresult error) {
    std::lock_guard<std::mutex> guard(primary.lock);
    if (primary.sticky == CUDA_SUCCESS) primary.sticky = error;
    return primary.sticky;
}

CUresult sticky_error() {
    std::lock_guard<std::mutex> guard(primary.lock);
    return primary.sticky;
}

bool is_valid_stream(CUstream stream) {
    return stream == nullptr || stream == EMU_STREAM_LEGACY || stream == EMU_STREAM_PER_THREAD;
}

CUresult check_stream(CUstream stream, const char *api) {
    if (is_valid_stream(stream)) return CUDA_SUCCESS;
    fail("%s: stream %p is not a stream of the emulator (only the null, legacy and per-thread streams exist; "
         "cuStreamCreate is not emulated)", api, (void *)stream);
    return CUDA_ERROR_INVALID_HANDLE;
}

std::mutex &device_mutex() {
    static std::mutex device;
    return device;
}

static void destroy_primary_context() {
    auto device_guard = lock_device();  // not while anything runs on it
    release_all_allocations();
    unload_all_modules();
    std::lock_guard<std::mutex> guard(primary.lock);
    primary.sticky = CUDA_SUCCESS;
}

}  // namespace emu

using namespace emu;

EMU_API CUresult cuInit(unsigned flags) {
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;  // the only valid value
    initialized = true;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    if (!context) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> guard(primary.lock);
    ++primary.retained;
    *context = &primary;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    std::unique_lock<std::mutex> guard(primary.lock);
    if (primary.retained == 0) {
        fail("cuDevicePrimaryCtxRelease: the primary context is not retained");
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (--primary.retained == 0) {
        guard.unlock();
        destroy_primary_context();
    }
    return CUDA_SUCCESS;
}

EMU_API CUresult cuCtxGetCurrent(CUcontext *context) {
    if (CUresult r = require_initialized()) return r;
    if (!context) return CUDA_ERROR_INVALID_VALUE;
    *context = current;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuCtxSetCurrent(CUcontext context) {
    if (CUresult r = require_initialized()) return r;
    if (context != nullptr && context != &primary) {
        fail("cuCtxSetCurrent(%p): not a context of this device", (void *)context);
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    current = context;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuCtxGetDevice(CUdevice *device) {
    if (CUresult r = require_context()) return r;
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    *device = 0;
    return CUDA_SUCCESS;
}

// Everything ran when it was issued, so synchronising only reports a sticky error.
EMU_API CUresult cuCtxSynchronize() { return require_context(); }
