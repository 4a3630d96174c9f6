// im2col and col2im for convolution by GEMM (see tensor/src/cpu/conv.rs for the idea).
// Launched from ../conv.rs.

// Column matrix for `images` images starting at `first`, laid out for the GEMMs:
// ImageMajor    col[n][r][p] (forward and input gradient: one GEMM per image)
// ChannelMajor  col[r][n][p] (weight gradient: one GEMM over every image and pixel)
extern "C" __global__ void im2col(float *col, const float *x, u32 images, ConvGeom g, ColumnLayout layout) {
    u32 C = g.C, H = g.H, W = g.W, kh = g.kh, kw = g.kw, stride = g.stride, padding = g.padding, OH = g.OH, OW = g.OW;
    u64 patch = (u64)C * kh * kw, pixels = (u64)OH * OW;
    FOR_EACH_INDEX(j, images * patch * pixels) {
        u64 p = j % pixels, r = (j / pixels) % patch, n = j / (pixels * patch);
        u64 c = r / (kh * kw), i = (r / kw) % kh, k = r % kw;
        long long iy = (long long)((p / OW) * stride + i) - padding;
        long long ix = (long long)((p % OW) * stride + k) - padding;
        float v = 0.0f;
        if (iy >= 0 && ix >= 0 && iy < H && ix < W) v = x[((n * C + c) * H + iy) * W + ix];
        u64 at = layout == ColumnLayout::ChannelMajor ? (r * images + n) * pixels + p : j;
        col[at] = v;
    }
}

// Adjoint of im2col (image-major layout): each input pixel gathers every column entry copied
// from it, so no two threads write the same place.
extern "C" __global__ void col2im(float *x, const float *col, u32 images, ConvGeom g) {
    u32 C = g.C, H = g.H, W = g.W, kh = g.kh, kw = g.kw, stride = g.stride, padding = g.padding, OH = g.OH, OW = g.OW;
    u64 patch = (u64)C * kh * kw, pixels = (u64)OH * OW;
    FOR_EACH_INDEX(j, (u64)images * C * H * W) {
        u64 ix = j % W, iy = (j / W) % H, c = (j / ((u64)W * H)) % C, n = j / ((u64)W * H * C);
        float sum = 0.0f;
        for (u32 i = 0; i < kh; ++i) {
            long long y = (long long)iy + padding - i;          // = oy · stride
            if (y < 0 || y % stride != 0 || y / stride >= OH) continue;
            for (u32 k = 0; k < kw; ++k) {
                long long xx = (long long)ix + padding - k;     // = ox · stride
                if (xx < 0 || xx % stride != 0 || xx / stride >= OW) continue;
                u64 r = (c * kh + i) * kw + k, p = (y / stride) * OW + xx / stride;
                sum += col[(n * patch + r) * pixels + p];
            }
        }
        x[j] = sum;
    }
}

// y[n, c, p] += bias[c]
extern "C" __global__ void add_channel_bias(float *y, const float *bias, u64 n, u32 channels, u32 pixels) {
    FOR_EACH_INDEX(j, n) { y[j] += bias[(j / pixels) % channels]; }
}
