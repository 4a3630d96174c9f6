// Kernels that need __syncthreads(), and the same kernels with it removed: the self-test checks
// that the first give the right answer and the second visibly do not.

// Each block reverses its BLOCK values through shared memory: thread t writes slot t and, after
// the barrier, reads slot BLOCK - 1 - t, which another thread wrote.
extern "C" __global__ void reverse_block(float *out, const float *in) {
    __shared__ float slots[BLOCK];
    u32 base = blockIdx.x * BLOCK;
    slots[threadIdx.x] = in[base + threadIdx.x];
    __syncthreads();
    out[base + threadIdx.x] = slots[BLOCK - 1 - threadIdx.x];
}

extern "C" __global__ void reverse_block_missing_barrier(float *out, const float *in) {
    __shared__ float slots[BLOCK];
    u32 base = blockIdx.x * BLOCK;
    slots[threadIdx.x] = in[base + threadIdx.x];
    out[base + threadIdx.x] = slots[BLOCK - 1 - threadIdx.x];
}

// A block's sum by tree reduction: at each step the lower half adds the upper half.
extern "C" __global__ void block_sum(float *sums, const float *in) {
    __shared__ float partial[BLOCK];
    partial[threadIdx.x] = in[blockIdx.x * BLOCK + threadIdx.x];
    __syncthreads();
    for (u32 half = BLOCK / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x == 0) sums[blockIdx.x] = partial[0];
}

extern "C" __global__ void block_sum_missing_barriers(float *sums, const float *in) {
    __shared__ float partial[BLOCK];
    partial[threadIdx.x] = in[blockIdx.x * BLOCK + threadIdx.x];
    for (u32 half = BLOCK / 2; half > 0; half /= 2) {
        if (threadIdx.x < half) partial[threadIdx.x] += partial[threadIdx.x + half];
    }
    if (threadIdx.x == 0) sums[blockIdx.x] = partial[0];
}

// Thread 0 leaves before the barrier the others wait at: a divergent barrier.
extern "C" __global__ void divergent_barrier(float *out) {
    if (threadIdx.x == 0) return;
    __syncthreads();
    out[threadIdx.x] = 1.0f;
}

// The barrier sits in a helper: the generator must still run this kernel's threads as fibers.
__device__ void rotate_left_through(float *slots, float *value) {
    slots[threadIdx.x] = *value;
    __syncthreads();
    *value = slots[(threadIdx.x + 1) % BLOCK];
}

extern "C" __global__ void rotate_block(float *out, const float *in) {
    __shared__ float slots[BLOCK];
    float value = in[blockIdx.x * BLOCK + threadIdx.x];
    rotate_left_through(slots, &value);
    out[blockIdx.x * BLOCK + threadIdx.x] = value;
}

// A barrier the generator cannot see (it reads the kernels as text and does not expand macros):
// the kernel runs as plain, and its __syncthreads() must stop the program with a message.
#define HIDDEN_BARRIER() __syncthreads()
extern "C" __global__ void hidden_barrier(float *out) {
    HIDDEN_BARRIER();
    out[threadIdx.x] = 1.0f;
}

// __launch_bounds__ caps the block: the cubin (and the PTX's .maxntid) say 64 threads at most.
extern "C" __global__ void __launch_bounds__(64) bounded_block(float *out) {
    __shared__ float slots[64];
    slots[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = slots[63 - threadIdx.x];
}

// After a barrier one thread reads far outside every allocation: a fault on a fiber's stack.
extern "C" __global__ void wild_read_after_barrier(float *out, const float *x) {
    __shared__ float slots[BLOCK];
    slots[threadIdx.x] = x[blockIdx.x * BLOCK + threadIdx.x];
    __syncthreads();
    float value = slots[BLOCK - 1 - threadIdx.x];
    if (blockIdx.x == 1 && threadIdx.x == 7) value = x[1ull << 40];
    out[blockIdx.x * BLOCK + threadIdx.x] = value;
}
