// Permuting axes: output element i reads input at Σ coordinate · input stride of that axis.
// Launched from ../layout.rs.
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
