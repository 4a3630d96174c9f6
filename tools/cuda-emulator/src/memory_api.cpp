// The memory calls: allocation (plain and from the stream-ordered pool), free, copies, memsets
// and the memory-pool attribute. Every device range is checked against the live allocations.
#include <cstring>

#include "context.h"
#include "driver_api.h"
#include "device_memory.h"
#include "report.h"

struct EmuMemPool {
    uint64_t release_threshold = 0;
};

namespace {

EmuMemPool default_pool;

// Why [p, p + bytes) is not device memory, for the message.
void explain_bad_range(const char *api, const char *which, uint64_t p, size_t bytes) {
    emu::Allocation a;
    if (emu::find_allocation(p, &a))
        emu::fail("%s: %s [%#llx, +%zu bytes) runs %llu bytes past the end of its allocation (%#llx, %zu bytes)",
                  api, which, (unsigned long long)p, bytes, (unsigned long long)(p + bytes - (a.base + a.bytes)),
                  (unsigned long long)a.base, a.bytes);
    else
        emu::fail("%s: %s %#llx is not inside any live allocation (freed, or never allocated)", api, which,
                  (unsigned long long)p);
}

CUresult check_device_range(const char *api, const char *which, uint64_t p, size_t bytes) {
    if (emu::range_is_device_memory(p, bytes)) return CUDA_SUCCESS;
    explain_bad_range(api, which, p, bytes);
    return CUDA_ERROR_INVALID_VALUE;
}

// A free is ordered after the work issued before it (as on a stream), so it waits for the
// device. One that finds damaged canaries reports what a GPU would have reported at the
// faulting kernel: an illegal address, sticky.
CUresult free_device_memory(CUdeviceptr pointer, const char *api) {
    auto device = emu::lock_device();
    CUresult r = emu::release(pointer, api);
    return r == CUDA_ERROR_ILLEGAL_ADDRESS ? emu::raise_fault(r) : r;
}

enum class Side { host, device };

CUresult copy(const char *api, void *destination, Side destination_side, const void *source, Side source_side,
              size_t bytes, CUstream stream) {
    if (CUresult r = emu::require_context()) return r;
    if (CUresult r = emu::check_stream(stream, api)) return r;
    if (bytes == 0) return CUDA_SUCCESS;
    if (!destination || !source) return CUDA_ERROR_INVALID_VALUE;
    if (destination_side == Side::device)
        if (CUresult r = check_device_range(api, "destination", (uint64_t)destination, bytes)) return r;
    if (source_side == Side::device)
        if (CUresult r = check_device_range(api, "source", (uint64_t)source, bytes)) return r;
    auto d = (uintptr_t)destination, s = (uintptr_t)source;
    if (d < s + bytes && s < d + bytes) {
        emu::fail("%s: source and destination overlap (undefined on a GPU)", api);
        return CUDA_ERROR_INVALID_VALUE;
    }
    auto device = emu::lock_device();
    memcpy(destination, source, bytes);
    return CUDA_SUCCESS;
}

CUresult memset_d8(const char *api, CUdeviceptr destination, unsigned char value, size_t count, CUstream stream) {
    if (CUresult r = emu::require_context()) return r;
    if (CUresult r = emu::check_stream(stream, api)) return r;
    if (count == 0) return CUDA_SUCCESS;
    if (CUresult r = check_device_range(api, "destination", destination, count)) return r;
    auto device = emu::lock_device();
    memset((void *)destination, value, count);
    return CUDA_SUCCESS;
}

CUresult memset_d32(const char *api, CUdeviceptr destination, unsigned value, size_t count, CUstream stream) {
    if (CUresult r = emu::require_context()) return r;
    if (CUresult r = emu::check_stream(stream, api)) return r;
    if (destination % 4 != 0) {
        emu::fail("%s: destination %#llx is not 4-byte aligned", api, (unsigned long long)destination);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (count == 0) return CUDA_SUCCESS;
    if (count > SIZE_MAX / 4) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult r = check_device_range(api, "destination", destination, count * 4)) return r;
    auto device = emu::lock_device();
    auto *words = (unsigned *)destination;
    for (size_t i = 0; i < count; ++i) words[i] = value;
    return CUDA_SUCCESS;
}

}  // namespace

using namespace emu;

// ---- allocation ----

EMU_API CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes) {
    if (CUresult r = require_context()) return r;
    return allocate(bytes, pointer, "cuMemAlloc");
}

EMU_API CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, CUstream stream) {
    if (CUresult r = require_context()) return r;
    if (CUresult r = check_stream(stream, "cuMemAllocAsync")) return r;
    if (options().no_memory_pools) {
        static std::once_flag once;
        std::call_once(once, [] { verbose("EMU_NO_MEMORY_POOLS=1: cuMemAllocAsync answers CUDA_ERROR_NOT_SUPPORTED"); });
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    return allocate(bytes, pointer, "cuMemAllocAsync");
}

// Either free works for either kind of allocation, as with the real driver.
EMU_API CUresult cuMemFree_v2(CUdeviceptr pointer) {
    if (CUresult r = require_context()) return r;
    return free_device_memory(pointer, "cuMemFree");
}

EMU_API CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream) {
    if (CUresult r = require_context()) return r;
    if (CUresult r = check_stream(stream, "cuMemFreeAsync")) return r;
    return free_device_memory(pointer, "cuMemFreeAsync");
}

EMU_API CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
    if (CUresult r = require_context()) return r;
    if (!free || !total) return CUDA_ERROR_INVALID_VALUE;
    MemoryStats stats = memory_stats();
    *total = stats.capacity_bytes;
    *free = stats.capacity_bytes - stats.live_bytes;
    return CUDA_SUCCESS;
}

// ---- the stream-ordered pool ----

EMU_API CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool, CUdevice device) {
    if (CUresult r = require_device(device)) return r;
    if (!pool) return CUDA_ERROR_INVALID_VALUE;
    *pool = &default_pool;
    return CUDA_SUCCESS;
}

// The attributes only steer how a real pool caches freed memory; the emulator frees at once.
// What it checks is that the call is well-formed: the pool, a settable attribute, and a value.
EMU_API CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attribute, void *value) {
    if (CUresult r = require_context()) return r;
    if (pool != &default_pool) {
        fail("cuMemPoolSetAttribute: %p is not the device's memory pool", (void *)pool);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
        case CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC:
        case CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES:
            return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_RELEASE_THRESHOLD:
            pool->release_threshold = *(const uint64_t *)value;
            return CUDA_SUCCESS;
        case CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH:
        case CU_MEMPOOL_ATTR_USED_MEM_HIGH:
            return *(const uint64_t *)value == 0 ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;  // reset only
        default:
            fail("cuMemPoolSetAttribute(%d): not a settable pool attribute", attribute);
            return CUDA_ERROR_INVALID_VALUE;
    }
}

// ---- copies ----

EMU_API CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes) {
    return copy("cuMemcpyHtoD", (void *)destination, Side::device, source, Side::host, bytes, nullptr);
}
EMU_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void *source, size_t bytes, CUstream stream) {
    return copy("cuMemcpyHtoDAsync", (void *)destination, Side::device, source, Side::host, bytes, stream);
}
EMU_API CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes) {
    return copy("cuMemcpyDtoH", destination, Side::host, (const void *)source, Side::device, bytes, nullptr);
}
EMU_API CUresult cuMemcpyDtoHAsync_v2(void *destination, CUdeviceptr source, size_t bytes, CUstream stream) {
    return copy("cuMemcpyDtoHAsync", destination, Side::host, (const void *)source, Side::device, bytes, stream);
}
EMU_API CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes) {
    return copy("cuMemcpyDtoD", (void *)destination, Side::device, (const void *)source, Side::device, bytes, nullptr);
}
EMU_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream) {
    return copy("cuMemcpyDtoDAsync", (void *)destination, Side::device, (const void *)source, Side::device, bytes,
                stream);
}

// ---- memsets (count is in elements: bytes for D8, 32-bit words for D32) ----

EMU_API CUresult cuMemsetD8_v2(CUdeviceptr destination, unsigned char value, size_t count) {
    return memset_d8("cuMemsetD8", destination, value, count, nullptr);
}
EMU_API CUresult cuMemsetD8Async(CUdeviceptr destination, unsigned char value, size_t count, CUstream stream) {
    return memset_d8("cuMemsetD8Async", destination, value, count, stream);
}
EMU_API CUresult cuMemsetD32_v2(CUdeviceptr destination, unsigned value, size_t count) {
    return memset_d32("cuMemsetD32", destination, value, count, nullptr);
}
EMU_API CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned value, size_t count, CUstream stream) {
    return memset_d32("cuMemsetD32Async", destination, value, count, stream);
}
