// Softmax family over [outer, len, inner] lanes, one thread per lane, subtracting the lane's
// maximum first so exp never overflows. Launched from ../softmax.rs.

__device__ void lane_max_lse(const float *p, u32 len, u64 inner, float *max_out, float *lse_out) {
    float m = -INFINITY;
    for (u32 k = 0; k < len; ++k) m = fmaxf(m, p[k * inner]);
    float sum = 0.0f;
    for (u32 k = 0; k < len; ++k) sum += expf(p[k * inner] - m);
    *max_out = m;
    *lse_out = m + logf(sum);
}

extern "C" __global__ void softmax_axis(float *out, const float *x, u32 outer, u32 len, u32 inner, SoftmaxKind kind) {
    FOR_EACH_INDEX(lane, (u64)outer * inner) {
        u64 base = (lane / inner) * len * inner + lane % inner;
        float m, lse;
        lane_max_lse(x + base, len, inner, &m, &lse);
        for (u32 k = 0; k < len; ++k) {
            float y = x[base + (u64)k * inner] - lse;
            out[base + (u64)k * inner] = kind == SoftmaxKind::LogSoftmax ? y : expf(y);
        }
    }
}

// Labels are checked where they come from the host (Tensor::cross_entropy knows their largest
// value). Labels made on the device are not: an out-of-range one gives its row a NaN loss and
// NaN gradients, so training stops on a NaN loss instead of reading outside the row.

// Per-row loss −log softmax(row)[label]; the mean is taken by a reduction afterwards.
extern "C" __global__ void cross_entropy_rows(float *losses, const float *logits, const u32 *labels, u32 rows, u32 classes) {
    FOR_EACH_INDEX(r, rows) {
        const float *row = logits + r * classes;
        float m, lse;
        lane_max_lse(row, classes, 1, &m, &lse);
        losses[r] = labels[r] < classes ? lse - row[labels[r]] : NAN;
    }
}

// grad · (softmax(row) − one_hot(label)) / rows, with grad read from device memory (no sync).
extern "C" __global__ void cross_entropy_backward(float *out, const float *logits, const u32 *labels, const float *grad_loss,
                                                  u32 rows, u32 classes) {
    float scale = grad_loss[0] / rows;
    FOR_EACH_INDEX(j, (u64)rows * classes) {
        u64 r = j / classes, k = j % classes;
        const float *row = logits + r * classes;
        float m, lse;
        lane_max_lse(row, classes, 1, &m, &lse);
        float target = labels[r] == k ? 1.0f : 0.0f;
        out[j] = labels[r] < classes ? scale * (expf(row[k] - lse) - target) : NAN;
    }
}
