// Bilinear resize with align_corners = False, as tensor/src/cpu/resize.rs. Launched from ../resize.rs.

__device__ void source_taps(u32 o, u32 in_size, u32 out_size, u32 *first, u32 *second, float *weight) {
    float scale = (float)in_size / (float)out_size;
    float position = fmaxf(scale * ((float)o + 0.5f) - 0.5f, 0.0f);
    u32 f = (u32)position;
    if (f > in_size - 1) f = in_size - 1;
    *first = f;
    *second = f + 1 < in_size ? f + 1 : in_size - 1;
    *weight = position - (float)f;
}

extern "C" __global__ void resize_bilinear(float *out, const float *x, ResizeGeom g) {
    u32 H = g.H, W = g.W, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)g.images * OH * OW) {
        u32 ox = j % OW, oy = (j / OW) % OH;
        u64 plane = j / ((u64)OW * OH);
        u32 y0, y1, x0, x1;
        float wy, wx;
        source_taps(oy, H, OH, &y0, &y1, &wy);
        source_taps(ox, W, OW, &x0, &x1, &wx);
        const float *p = x + plane * H * W;
        float top = (1.0f - wx) * p[y0 * W + x0] + wx * p[y0 * W + x1];
        float bottom = (1.0f - wx) * p[y1 * W + x0] + wx * p[y1 * W + x1];
        out[j] = (1.0f - wy) * top + wy * bottom;
    }
}

// A batch from a dataset kept on the GPU as bytes packed four to a u32: image picks[n], pixels
// / 255, resized bilinearly — gather, scale and resize in one pass.
__device__ float dataset_pixel(const u32 *words, u64 index) {
    return (float)((words[index >> 2] >> ((index & 3) * 8)) & 0xff) * (1.0f / 255.0f);
}

extern "C" __global__ void gather_images(float *out, const u32 *words, const u32 *picks, ResizeGeom g) {
    u32 H = g.H, W = g.W, OH = g.OH, OW = g.OW;
    FOR_EACH_INDEX(j, (u64)g.images * OH * OW) {
        u32 ox = j % OW, oy = (j / OW) % OH;
        u64 first = (u64)picks[j / ((u64)OW * OH)] * H * W;
        u32 y0, y1, x0, x1;
        float wy, wx;
        source_taps(oy, H, OH, &y0, &y1, &wy);
        source_taps(ox, W, OW, &x0, &x1, &wx);
        float top = (1.0f - wx) * dataset_pixel(words, first + y0 * W + x0) + wx * dataset_pixel(words, first + y0 * W + x1);
        float bottom = (1.0f - wx) * dataset_pixel(words, first + y1 * W + x0) + wx * dataset_pixel(words, first + y1 * W + x1);
        out[j] = (1.0f - wy) * top + wy * bottom;
    }
}
