// Kernels without barriers, for the memory, launch and module checks.

extern "C" __global__ void add_one(float *x, u64 n) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)blockDim.x * gridDim.x) x[i] += 1.0f;
}

// Writes n values, however large the buffer really is (for the out-of-bounds check).
extern "C" __global__ void fill_n(float *x, u64 n, float value) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)blockDim.x * gridDim.x) x[i] = value;
}

// Every thread keeps VALUES floats live at once, so ptxas gives it many registers (255 with
// NVRTC 13.0 for sm_90), and a block of 1024 threads cannot fit.
#define VALUES 96
extern "C" __global__ void many_registers(float *out, const float *in, u64 n) {
    float v[VALUES];
#pragma unroll
    for (int i = 0; i < VALUES; ++i) v[i] = in[(threadIdx.x * VALUES + i) % n];
    float s = 0.0f;
#pragma unroll
    for (int i = 0; i < VALUES; ++i) s += v[i] * v[VALUES - 1 - i];
#pragma unroll
    for (int i = 0; i < VALUES; ++i) out[(threadIdx.x * VALUES + i) % n] = v[i] * s;
}

// Structs passed by value, as rustgrad passes its geometry (sizes 12 and 40).
struct Small { u32 a, b, c; };
struct Large { u64 a[5]; };
extern "C" __global__ void struct_arguments(u64 *out, Small small, u32 scale, Large large) {
    if (blockIdx.x == 0 && threadIdx.x == 0)
        *out = (small.a + small.b + small.c) * scale + large.a[0] + large.a[4];
}

// A device function that stays a function of its own: compiled with -rdc=true, the cubin then
// holds attributes for it as for a kernel, and the loader must tell the two apart.
__device__ __noinline__ float twice(float v) { return 2.0f * v; }

extern "C" __global__ void double_values(float *x, u64 n) {
    for (u64 i = (u64)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (u64)blockDim.x * gridDim.x) x[i] = twice(x[i]);
}

// One thread reads 4 TiB past x, far outside every allocation, as a runaway index would: on a
// GPU, CUDA_ERROR_ILLEGAL_ADDRESS; on the host, SIGSEGV, which the emulator must turn into that.
extern "C" __global__ void wild_read(float *out, const float *x) {
    if (blockIdx.x == 1 && threadIdx.x == 5) out[0] = x[1ull << 40];
}

// Tells the host it runs (flag = 1), then waits a while for flag = 2, which never comes: the
// self-test's other host thread faults meanwhile, outside kernel code, and must crash the process.
extern "C" __global__ void wait_for_host(volatile u32 *flag) {
    flag[0] = 1;
    for (u64 spins = 0; spins < (1ull << 32) && flag[0] != 2; ++spins) {
    }
}
