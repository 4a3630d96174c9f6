// Small helpers for the checks: opening the device the way cudarc does, loading the self-test
// kernels (compiled by NVRTC), device buffers, and launches with typed arguments.
#pragma once

#include <string>
#include <vector>

#include "harness.h"
#include "nvrtc.h"

// cuInit, the primary context, made current on this thread.
void open_device();

// The self-test kernels' source, as one program: *.cuh then *.cu of selftest/kernels.
std::string test_kernels_source();
// That source compiled by NVRTC for `arch` and loaded; EXPECTs the load to succeed.
CUmodule load_test_kernels(Output output, const std::string &arch = "sm_90");
CUfunction get_function(CUmodule module, const char *name);

// A device allocation of `count` values of T, freed when it goes out of scope.
template <class T>
struct DeviceBuffer {
    CUdeviceptr pointer = 0;
    size_t count;

    explicit DeviceBuffer(size_t n) : count(n) { EXPECT_RESULT(cuMemAlloc_v2(&pointer, n * sizeof(T)), CUDA_SUCCESS); }
    ~DeviceBuffer() {
        if (pointer) cuMemFree_v2(pointer);
    }
    DeviceBuffer(const DeviceBuffer &) = delete;
    DeviceBuffer &operator=(const DeviceBuffer &) = delete;

    void upload(const std::vector<T> &values) {
        EXPECT_RESULT(cuMemcpyHtoD_v2(pointer, values.data(), values.size() * sizeof(T)), CUDA_SUCCESS);
    }
    std::vector<T> download() const {
        std::vector<T> values(count);
        EXPECT_RESULT(cuMemcpyDtoH_v2(values.data(), pointer, count * sizeof(T)), CUDA_SUCCESS);
        return values;
    }
};

struct Shape {
    unsigned x, y = 1, z = 1;
};

// cuLaunchKernel with each argument passed by address, as cudarc does.
template <class... Args>
CUresult launch(CUfunction function, Shape grid, Shape block, Args... args) {
    void *params[] = {&args..., nullptr};
    return cuLaunchKernel(function, grid.x, grid.y, grid.z, block.x, block.y, block.z, 0, nullptr, params, nullptr);
}

// How `body`, run in a forked copy of this process, ends it: the status from waitpid.
int run_forked(void (*body)());
// Whether `body`, run in a forked copy of this process, ends it with abort() (SIGABRT).
bool aborts(void (*body)());

// A copy of `source` with the first `from` replaced by `to` (to make a mismatching kernel).
std::string replace_once(std::string source, const std::string &from, const std::string &to);
