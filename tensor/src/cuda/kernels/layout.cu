// Permuting axes, and copying slabs along one axis (cat and narrow). Launched from ../layout.rs.

// Permuting axes: output element i reads input at Σ coordinate · input stride of that axis.
extern "C" __global__ void permute(float *out, const float *x, u64 n, Strides6 s) {
    FOR_EACH_INDEX(i, n) {
        u64 rest = i, at = 0;
        for (int axis = (int)s.rank - 1; axis >= 0; --axis) {
            at += (rest % s.dims[axis]) * s.a[axis];
            rest /= s.dims[axis];
        }
        out[i] = x[at];
    }
}

// One thread per copied value: n = outer · len · inner values, each at the same (outer block,
// position along the axis, inner offset) in x and in out, the axis positions shifted by the
// two starts. cat launches it once per part (x_start = 0), narrow once (out_start = 0).
extern "C" __global__ void copy_slab(float *out, const float *x, u64 n, Slab s) {
    FOR_EACH_INDEX(i, n) {
        u64 k = i % s.inner, rest = i / s.inner;
        u64 a = rest % s.len, o = rest / s.len;
        out[(o * s.out_len + s.out_start + a) * s.inner + k] = x[(o * s.x_len + s.x_start + a) * s.inner + k];
    }
}
