// Elementwise kernels: unary functions, broadcasting binary operations, dropout masks.
// Op codes match tensor/src/cuda/mod.rs (UnaryCode, BinaryCode).

extern "C" __global__ void unary(float *out, const float *x, u64 n, u32 op, float param) {
    FOR_EACH_INDEX(i, n) {
        float v = x[i];
        float r;
        switch (op) {
            case 0: r = -v; break;                        // neg
            case 1: r = expf(v); break;                   // exp
            case 2: r = logf(v); break;                   // log
            case 3: r = sqrtf(v); break;                  // sqrt
            case 4: r = v > 0.0f ? v : 0.0f; break;       // relu
            case 5: r = v > 0.0f ? 1.0f : 0.0f; break;    // step
            case 6: r = powf(v, param); break;            // powf
            case 7: r = v + param; break;                 // add scalar
            default: r = v * param; break;                // mul scalar
        }
        out[i] = r;
    }
}

__device__ float binary_op(u32 op, float a, float b) {
    switch (op) {
        case 0: return a + b;
        case 1: return a - b;
        case 2: return a * b;
        default: return a / b;
    }
}

// Same shapes: no index arithmetic.
extern "C" __global__ void binary_same(float *out, const float *a, const float *b, u64 n, u32 op) {
    FOR_EACH_INDEX(i, n) { out[i] = binary_op(op, a[i], b[i]); }
}

// Broadcast: decompose the output index into coordinates, weight them by each input's strides.
extern "C" __global__ void binary_broadcast(float *out, const float *a, const float *b, u64 n, u32 op, Strides6 s) {
    FOR_EACH_INDEX(i, n) {
        u64 rest = i, a_at = 0, b_at = 0;
        for (int axis = (int)s.rank - 1; axis >= 0; --axis) {
            u64 coordinate = rest % s.dims[axis];
            rest /= s.dims[axis];
            a_at += coordinate * s.a[axis];
            b_at += coordinate * s.b[axis];
        }
        out[i] = binary_op(op, a[a_at], b[b_at]);
    }
}

// SplitMix64, as in tensor/src/rng.rs, so both backends draw the same mask for the same seed.
__device__ u64 splitmix64(u64 z) {
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

extern "C" __global__ void dropout_mask(float *mask, u64 n, float p, u64 seed) {
    float keep_scale = p < 1.0f ? 1.0f / (1.0f - p) : 0.0f;
    u64 mixed_seed = splitmix64(seed);
    FOR_EACH_INDEX(i, n) {
        u64 bits = splitmix64(mixed_seed ^ i);
        float u = (float)(bits >> 40) * (1.0f / 16777216.0f);
        mask[i] = u >= p ? keep_scale : 0.0f;
    }
}

extern "C" __global__ void fill(float *out, u64 n, float value) {
    FOR_EACH_INDEX(i, n) { out[i] = value; }
}

// max(x + bias[channel], 0) over [outer, channels, inner]: a layer's bias and ReLU in one pass.
extern "C" __global__ void bias_relu(float *out, const float *x, const float *bias, u64 n, u32 channels, u32 inner) {
    FOR_EACH_INDEX(i, n) { out[i] = fmaxf(x[i] + bias[(i / inner) % channels], 0.0f); }
}
