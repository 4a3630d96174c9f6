// Optimizer steps, in place, one thread per parameter value (formulas as in tensor/src/cpu/optim.rs).
// Launched from ../optim.rs.

// One parameter tensor of a fused Adam step (layout of `AdamTensor` in ../optim.rs).
struct AdamTensor {
    float *p;
    const float *g;
    float *m;
    float *v;
    u64 n;
    float beta1, beta2, eps, weight_decay, step_size, bias_correction2_sqrt;
};

// Adam on a whole model in one launch: grid row blockIdx.y updates tensors[blockIdx.y], its
// blocks stride over that tensor (rows of small tensors finish at once).
extern "C" __global__ void adam_step(const AdamTensor *tensors) {
    const AdamTensor t = tensors[blockIdx.y];
    FOR_EACH_INDEX(i, t.n) {
        float grad = t.g[i] + t.weight_decay * t.p[i];
        float m = t.beta1 * t.m[i] + (1.0f - t.beta1) * grad;
        float v = t.beta2 * t.v[i] + (1.0f - t.beta2) * grad * grad;
        t.m[i] = m;
        t.v[i] = v;
        t.p[i] -= t.step_size * m / (sqrtf(v) / t.bias_correction2_sqrt + t.eps);
    }
}

// buffer may be null when momentum is 0.
extern "C" __global__ void sgd_step(float *p, const float *g, float *buffer, u64 n, float lr, float momentum,
                                    float dampening, float weight_decay, u32 nesterov, u32 first_step) {
    FOR_EACH_INDEX(i, n) {
        float grad = g[i] + weight_decay * p[i];
        if (buffer == 0) { p[i] -= lr * grad; continue; }
        buffer[i] = first_step ? grad : momentum * buffer[i] + (1.0f - dampening) * grad;
        float direction = nesterov ? grad + momentum * buffer[i] : buffer[i];
        p[i] -= lr * direction;
    }
}
