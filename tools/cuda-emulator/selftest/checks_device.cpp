// The device as a program sees it before launching anything: version, attributes, error names.
#include <cstring>

#include "device.h"

CHECK(device_description, "driver 13.0, one sm_90 device, its limits and attributes", {}) {
    int version = 0, count = 0, value = 0;
    EXPECT_RESULT(cuDriverGetVersion(&version), CUDA_SUCCESS);
    EXPECT(version == 13000);
    EXPECT_RESULT(cuDeviceGetCount(&count), CUDA_ERROR_NOT_INITIALIZED);  // before cuInit
    open_device();
    EXPECT_RESULT(cuDeviceGetCount(&count), CUDA_SUCCESS);
    EXPECT(count == 1);
    CUdevice device;
    EXPECT_RESULT(cuDeviceGet(&device, 1), CUDA_ERROR_INVALID_DEVICE);
    char name[256];
    EXPECT_RESULT(cuDeviceGetName(name, sizeof name, 0), CUDA_SUCCESS);
    EXPECT(strcmp(name, "Emulated CUDA device (CPU)") == 0);  // the architecture is printed apart
    struct Expected {
        int attribute, value;
    } expected[] = {
        {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, 9}, {CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, 0},
        {CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK, 1024}, {CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z, 64},
        {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X, 2147483647}, {CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y, 65535},
        {CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK, 49152}, {CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK, 65536},
        {CU_DEVICE_ATTRIBUTE_WARP_SIZE, 32}, {CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED, 1},
        {CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT, 132},
    };
    for (const Expected &e : expected) {
        EXPECT_RESULT(cuDeviceGetAttribute(&value, e.attribute, 0), CUDA_SUCCESS);
        EXPECT(value == e.value);
    }
    EXPECT_RESULT(cuDeviceGetAttribute(&value, 9999, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("attribute not modelled");
    CUcontext context;
    EXPECT_RESULT(cuCtxGetCurrent(&context), CUDA_SUCCESS);
    EXPECT(context != nullptr);
    EXPECT_RESULT(cuCtxGetDevice(&device), CUDA_SUCCESS);
    EXPECT(device == 0);
}

CHECK(error_names, "cuGetErrorName / cuGetErrorString give the driver's words", {}) {
    struct Expected {
        CUresult code;
        const char *name, *description;
    } expected[] = {
        {CUDA_ERROR_INVALID_VALUE, "CUDA_ERROR_INVALID_VALUE", "invalid argument"},
        {CUDA_ERROR_OUT_OF_MEMORY, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory"},
        {CUDA_ERROR_INVALID_IMAGE, "CUDA_ERROR_INVALID_IMAGE", "device kernel image is invalid"},
        {CUDA_ERROR_NO_BINARY_FOR_GPU, "CUDA_ERROR_NO_BINARY_FOR_GPU",
         "no kernel image is available for execution on the device"},
        {CUDA_ERROR_INVALID_PTX, "CUDA_ERROR_INVALID_PTX", "a PTX JIT compilation failed"},
        {CUDA_ERROR_INVALID_HANDLE, "CUDA_ERROR_INVALID_HANDLE", "invalid resource handle"},
        {CUDA_ERROR_NOT_FOUND, "CUDA_ERROR_NOT_FOUND", "named symbol not found"},
        {CUDA_ERROR_ILLEGAL_ADDRESS, "CUDA_ERROR_ILLEGAL_ADDRESS", "an illegal memory access was encountered"},
        {CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES, "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES",
         "too many resources requested for launch"},
        {CUDA_ERROR_LAUNCH_FAILED, "CUDA_ERROR_LAUNCH_FAILED", "unspecified launch failure"},
        {CUDA_ERROR_NOT_SUPPORTED, "CUDA_ERROR_NOT_SUPPORTED", "operation not supported"},
    };
    for (const Expected &e : expected) {
        const char *name = nullptr, *description = nullptr;
        EXPECT_RESULT(cuGetErrorName(e.code, &name), CUDA_SUCCESS);
        EXPECT_RESULT(cuGetErrorString(e.code, &description), CUDA_SUCCESS);
        EXPECT(strcmp(name, e.name) == 0 && strcmp(description, e.description) == 0);
    }
    const char *name = "unchanged";
    EXPECT_RESULT(cuGetErrorName((CUresult)12345, &name), CUDA_ERROR_INVALID_VALUE);
    EXPECT(name == nullptr);
}
