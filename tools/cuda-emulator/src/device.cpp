// Device queries: one device (ordinal 0), an H200-like sm_90 (see device_limits.h).
#include <cstring>

#include "context.h"
#include "driver_api.h"
#include "device_limits.h"
#include "report.h"

using namespace emu;

EMU_API CUresult cuDriverGetVersion(int *version) {
    if (!version) return CUDA_ERROR_INVALID_VALUE;
    *version = gpu::driver_version;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDeviceGetCount(int *count) {
    if (CUresult r = require_initialized()) return r;
    if (!count) return CUDA_ERROR_INVALID_VALUE;
    *count = 1;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDeviceGet(CUdevice *device, int ordinal) {
    if (CUresult r = require_initialized()) return r;
    if (!device) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *device = 0;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDeviceGetName(char *name, int length, CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    if (!name || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    strncpy(name, gpu::name, (size_t)length - 1);  // truncated to fit, as the driver does
    name[length - 1] = '\0';
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = options().device_memory;
    return CUDA_SUCCESS;
}

// The attributes the emulator models, with their values: the list in cuda_api.h.
static bool attribute_value(int attribute, int *value) {
    switch (attribute) {
#define EMU_ATTRIBUTE_CASE(name, number, answer) case name: *value = (int)(answer); return true;
        EMU_DEVICE_ATTRIBUTES(EMU_ATTRIBUTE_CASE)
#undef EMU_ATTRIBUTE_CASE
        default: return false;
    }
}

EMU_API CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    if (!attribute_value(attribute, value)) {
        fail("cuDeviceGetAttribute(%d): attribute not modelled by the emulator (add it to cuda_api.h)", attribute);
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}
