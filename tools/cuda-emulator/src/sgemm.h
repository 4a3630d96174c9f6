// Single-precision GEMM on the CPU, in cuBLAS's column-major convention:
//
//     C = alpha · op(A) · op(B) + beta · C        op(X) = X or Xᵀ
//
// with C m×n (leading dimension ldc), op(A) m×k and op(B) k×n. Element (row, col) of a
// column-major matrix with leading dimension ld is at data[row + col · ld].
#pragma once

namespace emu {

struct GemmProblem {
    int m, n, k;
    float alpha, beta;  // beta == 0: C is written without being read (it may hold NaN)
    const float *a;
    int lda;
    bool transpose_a;
    const float *b;
    int ldb;
    bool transpose_b;
    float *c;
    int ldc;
    bool tf32;  // round A and B to TF32 (10-bit mantissa) first, as tensor cores do
};

void sgemm(const GemmProblem &problem);

// TF32 rounding: to the nearest value with a 10-bit mantissa, ties away from zero
// (PTX cvt.rna.tf32.f32). Infinities and NaNs pass unchanged.
float round_to_tf32(float x);

}  // namespace emu
