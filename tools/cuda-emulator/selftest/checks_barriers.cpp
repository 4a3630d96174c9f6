// __shared__ memory and __syncthreads(): kernels that need the barrier work, the same kernels
// without it visibly fail, and a divergent barrier is a named launch failure.
#include <cmath>

#include "device.h"

namespace {

constexpr unsigned block = 256;  // BLOCK in kernels/common.cuh
constexpr unsigned blocks = 4;

std::vector<float> ramp(size_t n) {
    std::vector<float> values(n);
    for (size_t i = 0; i < n; ++i) values[i] = (float)i;
    return values;
}

// Runs one of the reverse/rotate kernels over `blocks` blocks of the ramp 0, 1, 2, ...
std::vector<float> run_block_kernel(Output output, const char *kernel) {
    open_device();
    CUfunction f = get_function(load_test_kernels(output), kernel);
    DeviceBuffer<float> in(block * blocks), out(block * blocks);
    in.upload(ramp(block * blocks));
    EXPECT_RESULT(launch(f, {blocks}, {block}, out.pointer, in.pointer), CUDA_SUCCESS);
    return out.download();
}

bool is_reversed(const std::vector<float> &out) {
    for (unsigned b = 0; b < blocks; ++b)
        for (unsigned t = 0; t < block; ++t)
            if (out[b * block + t] != (float)(b * block + block - 1 - t)) return false;
    return true;
}

std::vector<float> run_block_sum(const char *kernel) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), kernel);
    DeviceBuffer<float> in(block * blocks), sums(blocks);
    in.upload(ramp(block * blocks));
    EXPECT_RESULT(launch(f, {blocks}, {block}, sums.pointer, in.pointer), CUDA_SUCCESS);
    return sums.download();
}

// Σ of b·256 .. b·256 + 255: exact in f32.
float expected_block_sum(unsigned b) { return (float)(block * b * block + block * (block - 1) / 2); }

}  // namespace

CHECK(barrier_reverse_cubin, "a kernel that needs __syncthreads() is right (cubin)", {}) {
    EXPECT(is_reversed(run_block_kernel(Output::cubin, "reverse_block")));
}

CHECK(barrier_reverse_ptx, "the same kernel loaded as PTX", {}) {
    EXPECT(is_reversed(run_block_kernel(Output::ptx, "reverse_block")));
}

CHECK(barrier_tree_reduction, "a block tree-reduction through __shared__ is exact", {}) {
    std::vector<float> sums = run_block_sum("block_sum");
    for (unsigned b = 0; b < blocks; ++b) EXPECT(sums[b] == expected_block_sum(b));
}

CHECK(missing_barrier_reverse, "without its __syncthreads() the reversal reads NaN poison", {}) {
    std::vector<float> out = run_block_kernel(Output::cubin, "reverse_block_missing_barrier");
    EXPECT(!is_reversed(out));
    size_t nan = 0;
    for (float v : out) nan += std::isnan(v);
    EXPECT(nan > 0);
}

CHECK(missing_barrier_reduction, "without its barriers the tree-reduction reads NaN poison", {}) {
    // Block 0 runs its threads in index order: thread 0 adds slot 128 before thread 128 wrote it.
    // (Odd blocks run in reverse order, which happens to suit a tree reduction; the reversal
    // above is caught in every block.)
    std::vector<float> sums = run_block_sum("block_sum_missing_barriers");
    EXPECT(std::isnan(sums[0]));
}

CHECK(barrier_in_helper_function, "a barrier reached through a __device__ helper runs as fibers", {}) {
    std::vector<float> out = run_block_kernel(Output::cubin, "rotate_block");
    for (unsigned b = 0; b < blocks; ++b)
        for (unsigned t = 0; t < block; ++t) EXPECT(out[b * block + t] == (float)(b * block + (t + 1) % block));
}

CHECK(divergent_barrier, "a thread leaving while others wait at __syncthreads(): LAUNCH_FAILED, sticky", {}) {
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "divergent_barrier");
    DeviceBuffer<float> out(block);
    EXPECT_RESULT(launch(f, {1}, {block}, out.pointer), CUDA_ERROR_LAUNCH_FAILED);
    EXPECT_MESSAGE("kernel divergent_barrier, block (0,0,0): divergent __syncthreads()");
    // Sticky, as a GPU fault: every later call on the context says the same.
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_ERROR_LAUNCH_FAILED);
    CUdeviceptr p;
    EXPECT_RESULT(cuMemAlloc_v2(&p, 16), CUDA_ERROR_LAUNCH_FAILED);
}

CHECK(barrier_hidden_from_the_generator, "__syncthreads() in a kernel run as plain: abort, named", {}) {
    EXPECT(aborts([] {
        open_device();
        CUfunction f = get_function(load_test_kernels(Output::cubin), "hidden_barrier");
        DeviceBuffer<float> out(block);
        launch(f, {1}, {block}, out.pointer);
    }));
    EXPECT_MESSAGE("kernel hidden_barrier called __syncthreads(), but the emulator runs it as a plain kernel");
}
