// Device memory: fresh memory reads as NaN, allocations and copies are checked, the memory limit
// and the no-pools mode behave as a small GPU and a sandboxed driver would.
#include <cmath>
#include <cstring>

#include "device.h"

CHECK(fresh_memory_is_nan, "new allocations hold 0xFF bytes (NaN as f32)", {}) {
    open_device();
    DeviceBuffer<float> buffer(100);
    for (float v : buffer.download()) EXPECT(std::isnan(v));
}

CHECK(zero_byte_allocation, "cuMemAlloc(0) and cuMemAllocAsync(0): INVALID_VALUE", {}) {
    open_device();
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAlloc_v2(&p, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(cuMemAllocAsync(&p, 0, nullptr), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("zero-byte allocations");
}

CHECK(out_of_range_copy, "copies past an allocation, or from freed memory: INVALID_VALUE, not sticky", {}) {
    open_device();
    DeviceBuffer<float> buffer(10);
    std::vector<float> host(11, 1.0f);
    EXPECT_RESULT(cuMemcpyHtoD_v2(buffer.pointer, host.data(), 11 * sizeof(float)), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("runs 4 bytes past the end of its allocation");
    EXPECT_RESULT(cuMemcpyDtoH_v2(host.data(), buffer.pointer + 4, 10 * sizeof(float)), CUDA_ERROR_INVALID_VALUE);
    CUdeviceptr freed;
    EXPECT_RESULT(cuMemAlloc_v2(&freed, 64), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFree_v2(freed), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemcpyDtoD_v2(buffer.pointer, freed, 4), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("is not inside any live allocation");
    // A bad copy is refused before anything happens: the context is fine.
    EXPECT_RESULT(cuMemcpyHtoD_v2(buffer.pointer, host.data(), 10 * sizeof(float)), CUDA_SUCCESS);
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_SUCCESS);
}

CHECK(memsets_and_device_copies, "cuMemsetD8/D32 and device-to-device copies", {}) {
    open_device();
    DeviceBuffer<unsigned> a(64), b(64);
    EXPECT_RESULT(cuMemsetD32_v2(a.pointer, 0xDEADBEEFu, 64), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemcpyDtoDAsync_v2(b.pointer, a.pointer, 64 * 4, nullptr), CUDA_SUCCESS);
    for (unsigned v : b.download()) EXPECT(v == 0xDEADBEEFu);
    EXPECT_RESULT(cuMemsetD8Async(b.pointer, 0x01, 64 * 4, nullptr), CUDA_SUCCESS);
    for (unsigned v : b.download()) EXPECT(v == 0x01010101u);
    EXPECT_RESULT(cuMemsetD32_v2(a.pointer + 2, 0, 4), CUDA_ERROR_INVALID_VALUE);  // not 4-byte aligned
    EXPECT_RESULT(cuMemsetD8_v2(a.pointer, 0, 64 * 4 + 1), CUDA_ERROR_INVALID_VALUE);
}

CHECK(bad_frees, "double free and freeing an interior pointer: INVALID_VALUE, named", {}) {
    open_device();
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAlloc_v2(&p, 256), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFree_v2(p + 16), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("not the start of an allocation");
    EXPECT_RESULT(cuMemFreeAsync(p, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFree_v2(p), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("freed twice, or never allocated");
}

CHECK(device_memory_limit, "EMU_DEVICE_MEMORY_MIB=64: the 65th MiB is OUT_OF_MEMORY", {"EMU_DEVICE_MEMORY_MIB=64"}) {
    open_device();
    size_t total = 0, free = 0;
    EXPECT_RESULT(cuDeviceTotalMem_v2(&total, 0), CUDA_SUCCESS);
    EXPECT(total == 64u << 20);
    CUdeviceptr big, more;
    EXPECT_RESULT(cuMemAllocAsync(&big, 48u << 20, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemGetInfo_v2(&free, &total), CUDA_SUCCESS);
    EXPECT(free == 16u << 20);
    EXPECT_RESULT(cuMemAllocAsync(&more, 32u << 20, nullptr), CUDA_ERROR_OUT_OF_MEMORY);
    EXPECT_RESULT(cuMemAlloc_v2(&more, (16u << 20) + 1), CUDA_ERROR_OUT_OF_MEMORY);
    EXPECT_MESSAGE("out of device memory");
    // Not sticky, and freeing makes room.
    EXPECT_RESULT(cuMemFreeAsync(big, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemAllocAsync(&more, 32u << 20, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFreeAsync(more, nullptr), CUDA_SUCCESS);
}

CHECK(no_memory_pools, "EMU_NO_MEMORY_POOLS=1: pools 'supported', cuMemAllocAsync NOT_SUPPORTED", {"EMU_NO_MEMORY_POOLS=1"}) {
    open_device();
    int pools = 0;
    EXPECT_RESULT(cuDeviceGetAttribute(&pools, CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, 0), CUDA_SUCCESS);
    EXPECT(pools == 1);
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAllocAsync(&p, 1024, nullptr), CUDA_ERROR_NOT_SUPPORTED);
    // The fallback a library takes: plain cuMemAlloc, which works (and either free takes it).
    EXPECT_RESULT(cuMemAlloc_v2(&p, 1024), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFreeAsync(p, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_SUCCESS);
}

CHECK(memory_pool_attribute, "cuMemPoolSetAttribute on the default pool", {}) {
    open_device();
    CUmemoryPool pool;
    EXPECT_RESULT(cuDeviceGetDefaultMemPool(&pool, 0), CUDA_SUCCESS);
    uint64_t threshold = UINT64_MAX;
    EXPECT_RESULT(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemPoolSetAttribute(pool, CU_MEMPOOL_ATTR_USED_MEM_CURRENT, &threshold), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(cuMemPoolSetAttribute((CUmemoryPool)&threshold, CU_MEMPOOL_ATTR_RELEASE_THRESHOLD, &threshold),
                  CUDA_ERROR_INVALID_VALUE);
}
