// The slice of the CUDA driver API (cuda.h) that the emulator implements: handle types, result
// codes and the enum values it understands. The numbers are the real ones from cuda.h (CUDA 13.0),
// written out here so the emulator builds without a CUDA installation.
#pragma once

#include <cstddef>
#include <cstdint>

// Every driver function the emulator exports is declared with EMU_API: C linkage, and visible
// outside the library (everything else in libcuda.so is hidden, so the kernels' own symbols,
// e.g. `fill`, cannot clash with anything in the program that loads us).
#define EMU_API extern "C" __attribute__((visibility("default")))

// Enums whose every value other code must name (a result code's name and description, an
// attribute's value) are written once, as a list of X(NAME, number, ...) entries: the enum is the
// list expanded with EMU_ENUMERATOR, which makes each entry `NAME = number,`, and that other code
// expands the same list its own way, so no value can be in one and missing from the other.
#define EMU_ENUMERATOR(name, number, ...) name = number,

typedef int CUdevice;
typedef uint64_t CUdeviceptr;
// Opaque handles: in the emulator each points at one of its own objects (context.cpp,
// streams_events.cpp, modules.cpp, memory_api.cpp), and every call checks it is a live one.
typedef struct EmuContext *CUcontext;
typedef struct EmuStream *CUstream;
typedef struct EmuEvent *CUevent;
typedef struct EmuModule *CUmodule;
typedef struct EmuFunction *CUfunction;
typedef struct EmuMemPool *CUmemoryPool;

// The special stream handles of cuda.h besides the null stream.
#define EMU_STREAM_LEGACY ((CUstream)0x1)
#define EMU_STREAM_PER_THREAD ((CUstream)0x2)

// Result codes: the name, the number, and the driver's description (cuGetErrorString).
#define EMU_CU_RESULTS(X)                                                                                      \
    X(CUDA_SUCCESS, 0, "no error")                                                                             \
    X(CUDA_ERROR_INVALID_VALUE, 1, "invalid argument")                                                         \
    X(CUDA_ERROR_OUT_OF_MEMORY, 2, "out of memory")                                                            \
    X(CUDA_ERROR_NOT_INITIALIZED, 3, "initialization error")                                                   \
    X(CUDA_ERROR_DEINITIALIZED, 4, "driver shutting down")                                                     \
    X(CUDA_ERROR_NO_DEVICE, 100, "no CUDA-capable device is detected")                                         \
    X(CUDA_ERROR_INVALID_DEVICE, 101, "invalid device ordinal")                                                \
    X(CUDA_ERROR_INVALID_IMAGE, 200, "device kernel image is invalid")                                         \
    X(CUDA_ERROR_INVALID_CONTEXT, 201, "invalid device context")                                               \
    X(CUDA_ERROR_NO_BINARY_FOR_GPU, 209, "no kernel image is available for execution on the device")           \
    X(CUDA_ERROR_INVALID_PTX, 218, "a PTX JIT compilation failed")                                             \
    X(CUDA_ERROR_UNSUPPORTED_PTX_VERSION, 222, "the provided PTX was compiled with an unsupported toolchain.") \
    X(CUDA_ERROR_INVALID_HANDLE, 400, "invalid resource handle")                                               \
    X(CUDA_ERROR_ILLEGAL_STATE, 401, "the operation cannot be performed in the present state")                 \
    X(CUDA_ERROR_NOT_FOUND, 500, "named symbol not found")                                                     \
    X(CUDA_ERROR_NOT_READY, 600, "device not ready")                                                           \
    X(CUDA_ERROR_ILLEGAL_ADDRESS, 700, "an illegal memory access was encountered")                             \
    X(CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, 701, "too many resources requested for launch")                      \
    X(CUDA_ERROR_LAUNCH_TIMEOUT, 702, "the launch timed out and was terminated")                               \
    X(CUDA_ERROR_CONTEXT_IS_DESTROYED, 709, "context is destroyed")                                            \
    X(CUDA_ERROR_LAUNCH_FAILED, 719, "unspecified launch failure")                                             \
    X(CUDA_ERROR_NOT_PERMITTED, 800, "operation not permitted")                                                \
    X(CUDA_ERROR_NOT_SUPPORTED, 801, "operation not supported")                                                \
    X(CUDA_ERROR_UNKNOWN, 999, "unknown error")
enum CUresult : int { EMU_CU_RESULTS(EMU_ENUMERATOR) };

// The device attributes the emulator answers (cuDeviceGetAttribute): the name, the number, and
// the emulated H200's value (from device_limits.h; the list is expanded with values in device.cpp
// only). Any other attribute is refused loudly rather than answered with a made-up value: add it
// here, with the H200's real value, when a program needs it. Memory pools are reported even under
// EMU_NO_MEMORY_POOLS: that mode imitates sandboxes whose driver says "supported" and then fails
// cuMemAllocAsync.
#define EMU_DEVICE_ATTRIBUTES(X)                                                                        \
    X(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1, gpu::max_threads_per_block)                         \
    X(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X, 2, gpu::max_block_dim[0])                                    \
    X(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y, 3, gpu::max_block_dim[1])                                    \
    X(CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, 4, gpu::max_block_dim[2])                                    \
    X(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, 5, gpu::max_grid_dim[0])                                      \
    X(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, 6, gpu::max_grid_dim[1])                                      \
    X(CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z, 7, gpu::max_grid_dim[2])                                      \
    X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 8, gpu::max_shared_per_block)                    \
    X(CU_DEVICE_ATTRIBUTE_TOTAL_CONSTANT_MEMORY, 9, gpu::constant_memory_bytes)                         \
    X(CU_DEVICE_ATTRIBUTE_WARP_SIZE, 10, gpu::warp_size)                                                \
    X(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, 12, gpu::registers_per_block)                        \
    X(CU_DEVICE_ATTRIBUTE_CLOCK_RATE, 13, gpu::clock_khz)                                               \
    X(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 16, gpu::multiprocessors)                               \
    X(CU_DEVICE_ATTRIBUTE_INTEGRATED, 18, 0)                                                            \
    X(CU_DEVICE_ATTRIBUTE_COMPUTE_MODE, 20, 0) /* default */                                            \
    X(CU_DEVICE_ATTRIBUTE_CONCURRENT_KERNELS, 31, 1)                                                    \
    X(CU_DEVICE_ATTRIBUTE_ECC_ENABLED, 32, 1)                                                           \
    X(CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE, 38, gpu::l2_cache_bytes)                                       \
    X(CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR, 39, gpu::max_threads_per_multiprocessor)      \
    X(CU_DEVICE_ATTRIBUTE_ASYNC_ENGINE_COUNT, 40, 2)                                                    \
    X(CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING, 41, 1)                                                    \
    X(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 75, gpu::compute_major)                             \
    X(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 76, gpu::compute_minor)                             \
    X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR, 81, gpu::max_shared_per_multiprocessor) \
    X(CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR, 82, gpu::registers_per_block)               \
    X(CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY, 83, 0) /* cuMemAllocManaged is not emulated */                \
    X(CU_DEVICE_ATTRIBUTE_COOPERATIVE_LAUNCH, 95, 0) /* nor cooperative launches */                     \
    X(CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN, 97, gpu::max_shared_per_block_optin)       \
    X(CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR, 106, gpu::max_blocks_per_multiprocessor)       \
    X(CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, 115, 1)
enum CUdevice_attribute : int { EMU_DEVICE_ATTRIBUTES(EMU_ENUMERATOR) };

enum CUfunction_attribute : int {
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
};

enum CUmemPool_attribute : int {
    CU_MEMPOOL_ATTR_REUSE_FOLLOW_EVENT_DEPENDENCIES = 1,
    CU_MEMPOOL_ATTR_REUSE_ALLOW_OPPORTUNISTIC = 2,
    CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES = 3,
    CU_MEMPOOL_ATTR_RELEASE_THRESHOLD = 4,
    CU_MEMPOOL_ATTR_RESERVED_MEM_CURRENT = 5,
    CU_MEMPOOL_ATTR_RESERVED_MEM_HIGH = 6,
    CU_MEMPOOL_ATTR_USED_MEM_CURRENT = 7,
    CU_MEMPOOL_ATTR_USED_MEM_HIGH = 8,
};
