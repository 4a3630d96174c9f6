// Every driver function the stand-in libcuda.so exports, with the real driver's signature. The
// files that define them include this header, so the compiler holds each definition to its
// declaration. (Listed as in cuda.h: the unsuffixed names of cuda.h are macros for these.)
#pragma once

#include "cuda_api.h"

// Initialisation, version, errors (context.cpp, device.cpp, errors.cpp)
EMU_API CUresult cuInit(unsigned flags);
EMU_API CUresult cuDriverGetVersion(int *version);
EMU_API CUresult cuGetErrorName(CUresult error, const char **name);
EMU_API CUresult cuGetErrorString(CUresult error, const char **description);

// Device (device.cpp)
EMU_API CUresult cuDeviceGetCount(int *count);
EMU_API CUresult cuDeviceGet(CUdevice *device, int ordinal);
EMU_API CUresult cuDeviceGetName(char *name, int length, CUdevice device);
EMU_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice device);
EMU_API CUresult cuDeviceGetAttribute(int *value, int attribute, CUdevice device);

// Context (context.cpp)
EMU_API CUresult cuDevicePrimaryCtxRetain(CUcontext *context, CUdevice device);
EMU_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice device);
EMU_API CUresult cuCtxGetCurrent(CUcontext *context);
EMU_API CUresult cuCtxSetCurrent(CUcontext context);
EMU_API CUresult cuCtxGetDevice(CUdevice *device);
EMU_API CUresult cuCtxSynchronize(void);

// Streams and events (streams_events.cpp)
EMU_API CUresult cuStreamSynchronize(CUstream stream);
EMU_API CUresult cuStreamWaitEvent(CUstream stream, CUevent event, unsigned flags);
EMU_API CUresult cuEventCreate(CUevent *event, unsigned flags);
EMU_API CUresult cuEventDestroy_v2(CUevent event);
EMU_API CUresult cuEventRecord(CUevent event, CUstream stream);
EMU_API CUresult cuEventSynchronize(CUevent event);
EMU_API CUresult cuEventQuery(CUevent event);

// Memory (memory_api.cpp)
EMU_API CUresult cuMemAlloc_v2(CUdeviceptr *pointer, size_t bytes);
EMU_API CUresult cuMemAllocAsync(CUdeviceptr *pointer, size_t bytes, CUstream stream);
EMU_API CUresult cuMemFree_v2(CUdeviceptr pointer);
EMU_API CUresult cuMemFreeAsync(CUdeviceptr pointer, CUstream stream);
EMU_API CUresult cuMemGetInfo_v2(size_t *free, size_t *total);
EMU_API CUresult cuDeviceGetDefaultMemPool(CUmemoryPool *pool, CUdevice device);
EMU_API CUresult cuMemPoolSetAttribute(CUmemoryPool pool, int attribute, void *value);
EMU_API CUresult cuMemcpyHtoD_v2(CUdeviceptr destination, const void *source, size_t bytes);
EMU_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr destination, const void *source, size_t bytes, CUstream stream);
EMU_API CUresult cuMemcpyDtoH_v2(void *destination, CUdeviceptr source, size_t bytes);
EMU_API CUresult cuMemcpyDtoHAsync_v2(void *destination, CUdeviceptr source, size_t bytes, CUstream stream);
EMU_API CUresult cuMemcpyDtoD_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes);
EMU_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream);
EMU_API CUresult cuMemsetD8_v2(CUdeviceptr destination, unsigned char value, size_t count);
EMU_API CUresult cuMemsetD8Async(CUdeviceptr destination, unsigned char value, size_t count, CUstream stream);
EMU_API CUresult cuMemsetD32_v2(CUdeviceptr destination, unsigned value, size_t count);
EMU_API CUresult cuMemsetD32Async(CUdeviceptr destination, unsigned value, size_t count, CUstream stream);

// Modules and launches (modules.cpp, launch.cpp)
EMU_API CUresult cuModuleLoadData(CUmodule *module, const void *image);
EMU_API CUresult cuModuleUnload(CUmodule module);
EMU_API CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name);
EMU_API CUresult cuFuncGetAttribute(int *value, int attribute, CUfunction function);
EMU_API CUresult cuLaunchKernel(CUfunction function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                                unsigned block_x, unsigned block_y, unsigned block_z, unsigned dynamic_shared,
                                CUstream stream, void **params, void **extra);
