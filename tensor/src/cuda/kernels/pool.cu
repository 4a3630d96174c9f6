// Max-, average- and adaptive average-pooling over [planes, H, W]; max-pooling's indices are
// positions within the plane, as in PyTorch.
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

// Adaptive average-pooling (F.adaptive_avg_pool2d): output o of `outputs` averages inputs
// floor(o·input/outputs) .. ceil((o + 1)·input/outputs) - 1 (AdaptivePool2dGeometry::window in
// ../../backend.rs), each window divided by its own size.
__device__ u64 adaptive_start(u64 o, u64 input, u64 outputs) { return o * input / outputs; }
__device__ u64 adaptive_end(u64 o, u64 input, u64 outputs) { return ((o + 1) * input + outputs - 1) / outputs; }

extern "C" __global__ void adaptive_avg_pool2d(float *out, const float *x, AdaptivePoolGeom g) {
    u32 planes = g.planes, H = g.H, W = g.W, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)planes * OH * OW) {
        u64 ox = j % OW, oy = (j / OW) % OH, plane = j / ((u64)OW * OH);
        const float *p = x + plane * H * W;
        u64 y0 = adaptive_start(oy, H, OH), y1 = adaptive_end(oy, H, OH);
        u64 x0 = adaptive_start(ox, W, OW), x1 = adaptive_end(ox, W, OW);
        float sum = 0.0f;
        for (u64 iy = y0; iy < y1; ++iy) {
            for (u64 ix = x0; ix < x1; ++ix) sum += p[iy * W + ix];
        }
        out[j] = sum / (float)((y1 - y0) * (x1 - x0));
    }
}

// Backward as a gather: each input pixel sums dy / window size over the windows that contain it,
// outputs floor(v·outputs/input) .. ceil((v + 1)·outputs/input) - 1 along each axis
// (AdaptivePool2dGeometry::covering_outputs); no atomics, deterministic.
extern "C" __global__ void adaptive_avg_pool2d_backward(float *dx, const float *dy, AdaptivePoolGeom g) {
    u32 planes = g.planes, H = g.H, W = g.W, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)planes * H * W) {
        u64 at = j % ((u64)H * W), plane = j / ((u64)H * W);
        u64 iy = at / W, ix = at % W;
        u64 oy0 = iy * OH / H, oy1 = ((iy + 1) * OH + H - 1) / H;
        u64 ox0 = ix * OW / W, ox1 = ((ix + 1) * OW + W - 1) / W;
        if (oy1 > OH) oy1 = OH;
        if (ox1 > OW) ox1 = OW;
        float sum = 0.0f;
        for (u64 oy = oy0; oy < oy1; ++oy) {
            u64 height = adaptive_end(oy, H, OH) - adaptive_start(oy, H, OH);
            for (u64 ox = ox0; ox < ox1; ++ox) {
                u64 width = adaptive_end(ox, W, OW) - adaptive_start(ox, W, OW);
                sum += dy[(plane * OH + oy) * OW + ox] / (float)(height * width);
            }
        }
        dx[j] = sum;
    }
}
