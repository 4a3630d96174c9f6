// Optimizer steps, in place, one thread per parameter value (formulas as in tensor/src/cpu/optim.rs).

extern "C" __global__ void adam_step(float *p, const float *g, float *m, float *v, u64 n, float beta1,
                                     float beta2, float eps, float weight_decay, float step_size, float bias_correction2_sqrt) {
    FOR_EACH_INDEX(i, n) {
        float grad = g[i] + weight_decay * p[i];
        m[i] = beta1 * m[i] + (1.0f - beta1) * grad;
        v[i] = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        p[i] -= step_size * m[i] / (sqrtf(v[i]) / bias_correction2_sqrt + eps);
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
