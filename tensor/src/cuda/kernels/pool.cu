// Max- and average-pooling over [planes, H, W]; max-pooling's indices are positions within the
// plane, as in PyTorch.
// Launched from ../pool.rs.

// A range [first, end) of rows or columns.
struct Span { long long first, end; };

// The input coordinates under output coordinate o's window, clipped to [0, size).
__device__ Span window_span(long long o, PoolGeom g, u32 size) {
    long long start = o * g.stride - (long long)g.padding;
    long long end = start + g.kernel;
    return Span{start > 0 ? start : 0, end < size ? end : size};
}

// The output coordinates whose windows cover input coordinate v, the inverse of window_span:
// output o covers v when o·stride − padding ≤ v < o·stride − padding + kernel.
__device__ Span covering_span(long long v, PoolGeom g, u32 outputs) {
    long long lowest = v + g.padding - g.kernel + 1;
    long long first = lowest <= 0 ? 0 : (lowest + g.stride - 1) / g.stride;
    long long end = (v + g.padding) / g.stride + 1;
    return Span{first, end < outputs ? end : outputs};
}

extern "C" __global__ void max_pool2d(float *out, u32 *indices, const float *x, PoolGeom g) {
    FOR_EACH_INDEX(j, (u64)g.planes * g.OH * g.OW) {
        u64 ox = j % g.OW, oy = (j / g.OW) % g.OH, plane = j / ((u64)g.OW * g.OH);
        Span rows = window_span(oy, g, g.H), cols = window_span(ox, g, g.W);
        const float *p = x + plane * g.H * g.W;
        float best = -INFINITY;
        long long best_at = -1;
        for (long long iy = rows.first; iy < rows.end; ++iy) {
            for (long long ix = cols.first; ix < cols.end; ++ix) {
                float v = p[iy * g.W + ix];
                if (best_at < 0 || v > best || (isnan(v) && !isnan(best))) { best = v; best_at = iy * g.W + ix; }
            }
        }
        out[j] = best;
        indices[j] = (u32)(best_at < 0 ? 0 : best_at);
    }
}

// Backward of both poolings as a gather: input pixel j (of [planes, H, W]) sums dy / divisor over
// the outputs whose windows cover it — for max-pooling (`indices` given) only over the windows
// whose maximum it was. Only those few windows are visited; no atomics, deterministic.
__device__ float gather_from_windows(u64 j, const float *dy, const u32 *indices, float divisor, PoolGeom g) {
    u64 at = j % ((u64)g.H * g.W), plane = j / ((u64)g.H * g.W);
    Span rows = covering_span(at / g.W, g, g.OH), cols = covering_span(at % g.W, g, g.OW);
    float sum = 0.0f;
    for (long long oy = rows.first; oy < rows.end; ++oy) {
        for (long long ox = cols.first; ox < cols.end; ++ox) {
            u64 o = (plane * g.OH + oy) * g.OW + ox;
            if (indices == nullptr || indices[o] == at) sum += dy[o] / divisor;
        }
    }
    return sum;
}

// Each input pixel adds the gradients of the (overlapping) windows whose maximum it was.
extern "C" __global__ void max_pool2d_backward(float *dx, const float *dy, const u32 *indices, PoolGeom g) {
    FOR_EACH_INDEX(j, (u64)g.planes * g.H * g.W) dx[j] = gather_from_windows(j, dy, indices, 1.0f, g);
}

// Average-pooling with PyTorch's defaults (count_include_pad=True, ceil_mode=False): padded zeros
// add nothing but count, so every window divides by kernel².
extern "C" __global__ void avg_pool2d(float *out, const float *x, PoolGeom g) {
    float divisor = (float)(g.kernel * g.kernel);
    FOR_EACH_INDEX(j, (u64)g.planes * g.OH * g.OW) {
        u64 ox = j % g.OW, oy = (j / g.OW) % g.OH, plane = j / ((u64)g.OW * g.OH);
        Span rows = window_span(oy, g, g.H), cols = window_span(ox, g, g.W);
        const float *p = x + plane * g.H * g.W;
        float sum = 0.0f;
        for (long long iy = rows.first; iy < rows.end; ++iy) {
            for (long long ix = cols.first; ix < cols.end; ++ix) sum += p[iy * g.W + ix];
        }
        out[j] = sum / divisor;
    }
}

// Each input pixel sums dy / kernel² over the windows that cover it.
extern "C" __global__ void avg_pool2d_backward(float *dx, const float *dy, PoolGeom g) {
    float divisor = (float)(g.kernel * g.kernel);
    FOR_EACH_INDEX(j, (u64)g.planes * g.H * g.W) dx[j] = gather_from_windows(j, dy, nullptr, divisor, g);
}
