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
    if (CUresult r = require_initialized()) return r;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || length <= 0) return CUDA_ERROR_INVALID_VALUE;
    strncpy(name, gpu::name, (size_t)length - 1);  // truncated to fit, as the driver does
    name[length - 1] = '\0';
    return CUDA_SUCCESS;
}

EMU_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device) {
    if (CUresult r = require_initialized()) return r;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!bytes) return CUDA_ERROR_INVALID_VALUE;
    *bytes = options().device_memory;
    return CUDA_SUCCESS;
}

// The attributes the emulator models; any other is refused loudly rather than answered with a
// made-up value (add it here, with the H200's real value, when a program needs it).
static bool attribute_value(int attribute, int *value) {
    switch (attribute) {
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = gpu::max_threads_per_block; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X: *value = gpu::max_block_dim[0]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y: *value = gpu::max_block_dim[1]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z: *value = gpu::max_block_dim[2]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X: *value = (int)gpu::max_grid_dim[0]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y: *value = gpu::max_grid_dim[1]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z: *value = gpu::max_grid_dim[2]; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK: *value = gpu::max_shared_per_block; return true;
        case CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY: *value = gpu::constant_memory_bytes; return true;
        case CU_DEVICE_ATTRIBUTE_WARP_SIZE: *value = gpu::warp_size; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK: *value = gpu::registers_per_block; return true;
        case CU_DEVICE_ATTRIBUTE_CLOCK_RATE: *value = gpu::clock_khz; return true;
        case CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT: *value = gpu::multiprocessors; return true;
        case CU_DEVICE_ATTRIBUTE_INTEGRATED: *value = 0; return true;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_MODE: *value = 0; return true;  // default
        case CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS: *value = 1; return true;
        case CU_DEVICE_ATTRIBUTE_ECC_ENABLED: *value = 1; return true;
        case CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE: *value = gpu::l2_cache_bytes; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR: *value = gpu::max_threads_per_multiprocessor; return true;
        case CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT: *value = 2; return true;
        case CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING: *value = 1; return true;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR: *value = gpu::compute_major; return true;
        case CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR: *value = gpu::compute_minor; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR: *value = gpu::max_shared_per_multiprocessor; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR: *value = gpu::registers_per_block; return true;
        case CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY: *value = 0; return true;  // cuMemAllocManaged is not emulated
        case CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH: *value = 0; return true;  // nor cooperative launches
        case CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN: *value = gpu::max_shared_per_block_optin; return true;
        case CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR: *value = gpu::max_blocks_per_multiprocessor; return true;
        // Pools are reported even under EMU_NO_MEMORY_POOLS: that mode imitates sandboxes whose
        // driver says "supported" and then fails cuMemAllocAsync.
        case CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED: *value = 1; return true;
        default: return false;
    }
}

EMU_API CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device) {
    if (CUresult r = require_initialized()) return r;
    if (device != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    if (!attribute_value(attribute, value)) {
        fail("cuDeviceGetAttribute(%d): attribute not modelled by the emulator (add it to device.cpp)", attribute);
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}
