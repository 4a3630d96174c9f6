// Launches: arguments, shapes, registers, out-of-bounds writes, sticky faults, handles.
#include <thread>

#include "device.h"

// add_one over a 16-float buffer, with its kernelParams, for the checks that call cuLaunchKernel
// themselves to vary what launch() fixes (shape, shared memory, function, stream, `extra`). Open
// the device first. Its params point into itself: neither copied nor moved (DeviceBuffer is not).
struct AddOneLaunch {
    CUfunction function = get_function(load_test_kernels(Output::cubin), "add_one");
    DeviceBuffer<float> x{16};
    CUdeviceptr pointer = x.pointer;
    unsigned long long n = x.count;
    void *params[2] = {&pointer, &n};
};

CHECK(struct_arguments, "structs passed by value reach the kernel intact", {}) {
    struct Small {
        unsigned a, b, c;
    };
    struct Large {
        unsigned long long a[5];
    };
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "struct_arguments");
    DeviceBuffer<unsigned long long> out(1);
    EXPECT_RESULT(launch(f, {1}, {32}, out.pointer, Small{1, 2, 3}, 10u, Large{{100, 0, 0, 0, 1000}}), CUDA_SUCCESS);
    EXPECT(out.download()[0] == 1160);
}

CHECK(pointer_argument_outside_allocations, "a pointer argument into freed memory: ILLEGAL_ADDRESS, sticky", {}) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "add_one");
    CUdeviceptr freed;
    EXPECT_RESULT(cuMemAlloc_v2(&freed, 1024), CUDA_SUCCESS);
    EXPECT_RESULT(cuMemFree_v2(freed), CUDA_SUCCESS);
    EXPECT_RESULT(launch(f, {1}, {32}, freed, 256ull), CUDA_ERROR_ILLEGAL_ADDRESS);
    EXPECT_MESSAGE("launch of add_one: argument 0");
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
}

CHECK(out_of_bounds_write, "a kernel writing past its buffer: ILLEGAL_ADDRESS (canary), sticky",
      {"ASAN_OPTIONS=detect_leaks=0:halt_on_error=0"}) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "fill_n");
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAlloc_v2(&p, 100 * sizeof(float)), CUDA_SUCCESS);
    EXPECT_RESULT(launch(f, {1}, {128}, p, 100ull, 1.0f), CUDA_SUCCESS);
    EXPECT_RESULT(launch(f, {1}, {128}, p, 101ull, 1.0f), CUDA_ERROR_ILLEGAL_ADDRESS);
    EXPECT_MESSAGE("kernel fill_n wrote out of bounds: byte 0 past the end of the 400-byte allocation");
#ifdef __SANITIZE_ADDRESS__
    // Under ASan the canaries are poisoned too: ASan names the faulting line (and, told not to
    // halt, lets the emulator report the fault as well).
    EXPECT_MESSAGE("AddressSanitizer: use-after-poison");
    EXPECT_MESSAGE("in fill_n");
#endif
    EXPECT_RESULT(cuMemFree_v2(p), CUDA_ERROR_ILLEGAL_ADDRESS);
}

CHECK(launch_shape_limits, "grid/block beyond sm_90, zero dims, > 48 KiB shared: INVALID_VALUE", {}) {
    open_device();
    AddOneLaunch add_one;
    auto launch_shape = [&](unsigned gx, unsigned gy, unsigned gz, unsigned bx, unsigned by, unsigned bz, unsigned shared) {
        return cuLaunchKernel(add_one.function, gx, gy, gz, bx, by, bz, shared, nullptr, add_one.params, nullptr);
    };
    EXPECT_RESULT(launch_shape(1, 1, 1, 1025, 1, 1, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(1, 1, 1, 32, 32, 2, 0), CUDA_ERROR_INVALID_VALUE);  // 2048 threads
    EXPECT_RESULT(launch_shape(1, 1, 1, 1, 1, 65, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(1, 65536, 1, 32, 1, 1, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(1, 1, 65536, 32, 1, 1, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(0, 1, 1, 32, 1, 1, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(1, 1, 1, 32, 0, 1, 0), CUDA_ERROR_INVALID_VALUE);
    EXPECT_RESULT(launch_shape(1, 1, 1, 32, 1, 1, 48 * 1024 + 1), CUDA_ERROR_INVALID_VALUE);
    EXPECT_MESSAGE("exceeds sm_90");
    // Refused launches leave the context usable; the limits themselves are fine.
    EXPECT_RESULT(launch_shape(1, 1, 1, 1024, 1, 1, 48 * 1024), CUDA_SUCCESS);
    EXPECT_RESULT(launch_shape(1, 65535, 1, 1, 1, 64, 0), CUDA_SUCCESS);
    for (float v : add_one.x.download()) EXPECT(v != v);  // add_one on NaN stays NaN: ran, nothing else
}

CHECK(register_limit, "a block that needs more registers than 64 K: LAUNCH_OUT_OF_RESOURCES", {}) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "many_registers");
    int registers = 0, max_threads = 0;
    EXPECT_RESULT(cuFuncGetAttribute(&registers, CU_FUNC_ATTRIBUTE_NUM_REGS, f), CUDA_SUCCESS);
    EXPECT_RESULT(cuFuncGetAttribute(&max_threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f), CUDA_SUCCESS);
    EXPECT(registers > 64);  // or the kernel no longer makes its point
    // Registers go to warps in units of 256: ⌈registers · 32 / 256⌉ · 256 per warp.
    int per_warp = (registers * 32 + 255) / 256 * 256;
    EXPECT(max_threads == 65536 / per_warp * 32);
    DeviceBuffer<float> in(1024), out(1024);
    EXPECT_RESULT(launch(f, {1}, {(unsigned)max_threads + 32}, out.pointer, in.pointer, 1024ull),
                  CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES);
    EXPECT_MESSAGE("launch of many_registers");
    EXPECT_RESULT(launch(f, {1}, {(unsigned)max_threads}, out.pointer, in.pointer, 1024ull), CUDA_SUCCESS);
}

CHECK(sticky_error_until_context_reset, "a fault stays until the primary context is released", {}) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "add_one");
    EXPECT_RESULT(launch(f, {1}, {32}, (CUdeviceptr)0x1234, 1ull), CUDA_ERROR_ILLEGAL_ADDRESS);
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAlloc_v2(&p, 4), CUDA_ERROR_ILLEGAL_ADDRESS);
    EXPECT_RESULT(cuModuleLoadData(nullptr, nullptr), CUDA_ERROR_ILLEGAL_ADDRESS);
    // Releasing the last reference destroys the context (and its memory and modules).
    EXPECT_RESULT(cuDevicePrimaryCtxRelease_v2(0), CUDA_SUCCESS);
    open_device();
    EXPECT_RESULT(cuMemAlloc_v2(&p, 4), CUDA_SUCCESS);
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_SUCCESS);
    EXPECT_RESULT(launch(f, {1}, {32}, p, 1ull), CUDA_ERROR_INVALID_HANDLE);  // its module is gone
}

CHECK(no_current_context, "a thread without a current context: INVALID_CONTEXT", {}) {
    open_device();
    CUresult result = CUDA_SUCCESS;
    std::thread other([&] {
        CUdeviceptr p;
        result = cuMemAlloc_v2(&p, 4);
    });
    other.join();
    EXPECT_RESULT(result, CUDA_ERROR_INVALID_CONTEXT);
}

CHECK(invalid_handles, "unknown function, stream and event handles: INVALID_HANDLE", {}) {
    open_device();
    AddOneLaunch add_one;
    int not_a_handle = 0;
    EXPECT_RESULT(cuLaunchKernel((CUfunction)&not_a_handle, 1, 1, 1, 32, 1, 1, 0, nullptr, add_one.params, nullptr),
                  CUDA_ERROR_INVALID_HANDLE);
    EXPECT_RESULT(cuLaunchKernel(add_one.function, 1, 1, 1, 32, 1, 1, 0, (CUstream)&not_a_handle, add_one.params, nullptr),
                  CUDA_ERROR_INVALID_HANDLE);
    void *extra[] = {nullptr};
    EXPECT_RESULT(cuLaunchKernel(add_one.function, 1, 1, 1, 32, 1, 1, 0, nullptr, nullptr, extra),
                  CUDA_ERROR_INVALID_VALUE);
    CUevent event;
    EXPECT_RESULT(cuEventCreate(&event, 2), CUDA_SUCCESS);
    EXPECT_RESULT(cuEventRecord(event, nullptr), CUDA_SUCCESS);
    EXPECT_RESULT(cuStreamWaitEvent(nullptr, event, 0), CUDA_SUCCESS);
    EXPECT_RESULT(cuEventSynchronize(event), CUDA_SUCCESS);
    EXPECT_RESULT(cuEventDestroy_v2(event), CUDA_SUCCESS);
    EXPECT_RESULT(cuEventRecord(event, nullptr), CUDA_ERROR_INVALID_HANDLE);
    EXPECT_RESULT(cuStreamSynchronize((CUstream)&not_a_handle), CUDA_ERROR_INVALID_HANDLE);
}

CHECK(launch_bounds, "more threads than __launch_bounds__ allows: LAUNCH_OUT_OF_RESOURCES", {}) {
    open_device();
    for (Output output : {Output::cubin, Output::ptx}) {
        CUfunction f = get_function(load_test_kernels(output), "bounded_block");
        int max_threads = 0;
        EXPECT_RESULT(cuFuncGetAttribute(&max_threads, CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK, f), CUDA_SUCCESS);
        EXPECT(max_threads == 64);
        DeviceBuffer<float> out(128);
        EXPECT_RESULT(launch(f, {1}, {128}, out.pointer), CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES);
        EXPECT_RESULT(launch(f, {1}, {64}, out.pointer), CUDA_SUCCESS);
        std::vector<float> values = out.download();
        for (unsigned t = 0; t < 64; ++t) EXPECT(values[t] == (float)(63 - t));
    }
}
