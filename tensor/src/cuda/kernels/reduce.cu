// Reductions along one axis of a tensor viewed as [outer, len, inner]: one thread per lane.
extern "C" __global__ void reduce_axis(float *out, const float *x, u32 outer, u32 len, u32 inner, u32 op) {
    FOR_EACH_INDEX(lane, (u64)outer * inner) {
        u64 o = lane / inner, i = lane % inner;
        const float *p = x + o * len * inner + i;
        float acc = op == 0 ? 0.0f : -INFINITY;
        for (u32 k = 0; k < len; ++k) {
            float v = p[(u64)k * inner];
            if (op == 0) acc += v;
            else if (v > acc || isnan(v)) acc = v;   // a NaN makes the maximum NaN, as in PyTorch
        }
        out[lane] = acc;
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
