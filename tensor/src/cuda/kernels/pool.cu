// Max-pooling over [planes, H, W]; indices are positions within the plane, as in PyTorch.
// Launched from ../pool.rs.
extern "C" __global__ void max_pool2d(float *out, u32 *indices, const float *x, PoolGeom g) {
    u32 planes = g.planes, H = g.H, W = g.W, kernel = g.kernel, stride = g.stride, padding = g.padding, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)planes * OH * OW) {
        u64 ox = j % OW, oy = (j / OW) % OH, plane = j / ((u64)OW * OH);
        const float *p = x + plane * H * W;
        float best = -INFINITY;
        long long best_at = -1;
        for (u32 i = 0; i < kernel; ++i) {
            long long iy = (long long)(oy * stride + i) - padding;
            if (iy < 0 || iy >= H) continue;
            for (u32 k = 0; k < kernel; ++k) {
                long long ix = (long long)(ox * stride + k) - padding;
                if (ix < 0 || ix >= W) continue;
                float v = p[iy * W + ix];
                if (best_at < 0 || v > best || (isnan(v) && !isnan(best))) { best = v; best_at = iy * W + ix; }
            }
        }
        out[j] = best;
        indices[j] = (u32)(best_at < 0 ? 0 : best_at);
    }
}

// Backward as a gather: each input pixel adds the gradients of the (overlapping) windows whose
// maximum it was; no atomics, deterministic. Only the few windows covering the pixel are visited:
// output o covers input coordinate v when o·stride − padding ≤ v < o·stride − padding + kernel.
__device__ void covering_outputs(long long v, u32 kernel, u32 stride, u32 padding, u32 outputs, long long *first, long long *last) {
    long long lowest = v + padding - kernel + 1;
    *first = lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
    long long highest = (v + padding) / stride;
    *last = highest < (long long)outputs - 1 ? highest : (long long)outputs - 1;
}

extern "C" __global__ void max_pool2d_backward(float *dx, const float *dy, const u32 *indices, PoolGeom g) {
    u32 planes = g.planes, H = g.H, W = g.W, kernel = g.kernel, stride = g.stride, padding = g.padding, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)planes * H * W) {
        u64 at = j % ((u64)H * W), plane = j / ((u64)H * W);
        long long iy = at / W, ix = at % W, y0, y1, x0, x1;
        covering_outputs(iy, kernel, stride, padding, OH, &y0, &y1);
        covering_outputs(ix, kernel, stride, padding, OW, &x0, &x1);
        float sum = 0.0f;
        for (long long oy = y0; oy <= y1; ++oy) {
            for (long long ox = x0; ox <= x1; ++ox) {
                u64 o = (plane * OH + oy) * OW + ox;
                if (indices[o] == at) sum += dy[o];
            }
        }
        dx[j] = sum;
    }
}
