// Reductions along one axis of a tensor viewed as [outer, len, inner]. Launched from ../reduce.rs.

// The reduction's identity and how it folds in one value. A NaN anywhere makes the maximum NaN,
// as in PyTorch.
__device__ float reduce_identity(ReduceCode op) { return op == ReduceCode::Sum ? 0.0f : -INFINITY; }

__device__ float reduce_combine(ReduceCode op, float acc, float v) {
    if (op == ReduceCode::Sum) return acc + v;
    return (v > acc || isnan(v)) ? v : acc;
}

// Strided lanes (inner > 1): one thread per lane; neighbouring threads read neighbouring values.
extern "C" __global__ void reduce_axis(float *out, const float *x, u32 outer, u32 len, u32 inner, ReduceCode op) {
    FOR_EACH_INDEX(lane, (u64)outer * inner) {
        u64 o = lane / inner, i = lane % inner;
        const float *p = x + o * len * inner + i;
        float acc = reduce_identity(op);
        for (u32 k = 0; k < len; ++k) acc = reduce_combine(op, acc, p[(u64)k * inner]);
        out[lane] = acc;
    }
}

// Long contiguous rows (inner == 1), e.g. the sum of a whole tensor: many threads per row. Each
// row is cut into `parts`; block (row, part) folds its part with all its threads, then the
// threads' results meet in shared memory, halving the number of active threads each round.
// out[row * parts + part] receives the block's result; with parts > 1 the caller reduces those
// partial results with a second launch of this kernel.
#define REDUCE_THREADS 256   // the block size the launch must use (a power of two)

extern "C" __global__ void reduce_rows(float *out, const float *x, u64 rows, u64 len, u32 parts, ReduceCode op) {
    __shared__ float partial[REDUCE_THREADS];
    const u32 t = threadIdx.x, part = blockIdx.y;
    const u64 part_len = (len + parts - 1) / parts;
    const u64 begin = part * part_len, end = begin + part_len < len ? begin + part_len : len;
    // A grid has at most 2^31 - 1 blocks along x; beyond that blocks take several rows. The loop
    // condition is the same for every thread of a block, so all of them meet each barrier.
    for (u64 row = blockIdx.x; row < rows; row += gridDim.x) {
        const float *p = x + row * len;
        float acc = reduce_identity(op);
        for (u64 k = begin + t; k < end; k += REDUCE_THREADS) acc = reduce_combine(op, acc, p[k]);
        partial[t] = acc;
        __syncthreads();
        for (u32 active = REDUCE_THREADS / 2; active > 0; active /= 2) {
            if (t < active) partial[t] = reduce_combine(op, partial[t], partial[t + active]);
            __syncthreads();
        }
        if (t == 0) out[row * parts + part] = partial[0];
        __syncthreads();   // partial[0] is read before the next row overwrites it
    }
}

extern "C" __global__ void argmax_axis(u32 *out, const float *x, u32 outer, u32 len, u32 inner) {
    FOR_EACH_INDEX(lane, (u64)outer * inner) {
        u64 o = lane / inner, i = lane % inner;
        const float *p = x + o * len * inner + i;
        u32 best = 0;
        for (u32 k = 1; k < len; ++k) {
            float v = p[(u64)k * inner], b = p[(u64)best * inner];
            if (v > b || (isnan(v) && !isnan(b))) best = k;
        }
        out[lane] = best;
    }
}

// The inverse of picking one element per lane: zeros except values[lane] at indices[lane].
extern "C" __global__ void scatter_axis(float *out, const float *values, const u32 *indices, u32 outer, u32 len, u32 inner) {
    FOR_EACH_INDEX(j, (u64)outer * len * inner) {
        u64 i = j % inner, k = (j / inner) % len, o = j / ((u64)inner * len);
        u64 lane = o * inner + i;
        out[j] = indices[lane] == k ? values[lane] : 0.0f;
    }
}
