// Elementwise kernels: unary functions, binary operations (same shapes, or broadcast), dropout
// masks, fill, and a layer's bias + ReLU in one pass. Launched from ../elementwise.rs; the
// `UnaryCode` and `BinaryCode` that select the operation are declared in common.cuh and
// mirrored by the Rust enums of the same names in ../elementwise.rs.

// max(v, 0), except that NaN stays NaN, as in PyTorch (fmaxf would return 0 and hide it).
__device__ float relu(float v) { return v > 0.0f || isnan(v) ? v : 0.0f; }

// 1 / (1 + e^-v) without overflow: e is only ever taken of -|v| (as sigmoid in ../../backend.rs).
__device__ float sigmoid(float v) {
    if (v >= 0.0f) return 1.0f / (1.0f + expf(-v));
    float e = expf(v);
    return e / (1.0f + e);
}

__device__ float unary_op(UnaryCode op, float v, float param) {
    switch (op) {
        case UnaryCode::Neg: return -v;
        case UnaryCode::Exp: return expf(v);
        case UnaryCode::Log: return logf(v);
        case UnaryCode::Sqrt: return sqrtf(v);
        case UnaryCode::Relu: return relu(v);
        case UnaryCode::Step: return v > 0.0f ? 1.0f : 0.0f;
        case UnaryCode::Powf: return powf(v, param);
        case UnaryCode::AddScalar: return v + param;
        case UnaryCode::MulScalar: return v * param;
        case UnaryCode::Sigmoid: return sigmoid(v);
    }
    return NAN;   // not reached: the Rust enum has no other values
}

extern "C" __global__ void unary(float *out, const float *x, u64 n, UnaryCode op, float param) {
    FOR_EACH_INDEX(i, n) { out[i] = unary_op(op, x[i], param); }
}

__device__ float binary_op(BinaryCode op, float a, float b) {
    switch (op) {
        case BinaryCode::Add: return a + b;
        case BinaryCode::Sub: return a - b;
        case BinaryCode::Mul: return a * b;
        case BinaryCode::Div: return a / b;
        case BinaryCode::KeepWherePositive: return b > 0.0f ? a : 0.0f;
    }
    return NAN;   // not reached
}

// Same shapes: no index arithmetic.
extern "C" __global__ void binary_same(float *out, const float *a, const float *b, u64 n, BinaryCode op) {
    FOR_EACH_INDEX(i, n) { out[i] = binary_op(op, a[i], b[i]); }
}

// Broadcast: decompose the output index into coordinates, weight them by each input's strides.
extern "C" __global__ void binary_broadcast(float *out, const float *a, const float *b, u64 n, BinaryCode op, Strides6 s) {
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
    FOR_EACH_INDEX(i, n) { out[i] = relu(x[i] + bias[(i / inner) % channels]); }
}
