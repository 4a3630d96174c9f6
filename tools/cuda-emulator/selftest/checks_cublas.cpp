// The stand-in cuBLAS: column-major SGEMM against a plain triple loop, TF32 rounding, argument
// checks, and operands checked against the driver's allocations.
#include <cmath>
#include <cstring>

#include "../src/sgemm.h"
#include "device.h"

namespace {

// Column-major reference in double precision. op(X)(r, c) of an X stored with leading dimension ld.
float element(const std::vector<float> &x, bool transposed, int ld, int row, int col) {
    return transposed ? x[col + (size_t)row * ld] : x[row + (size_t)col * ld];
}

std::vector<float> reference(int m, int n, int k, bool ta, bool tb, const std::vector<float> &a, int lda,
                             const std::vector<float> &b, int ldb, float alpha, float beta, std::vector<float> c,
                             int ldc, bool tf32) {
    for (int j = 0; j < n; ++j)
        for (int i = 0; i < m; ++i) {
            double sum = 0;
            for (int p = 0; p < k; ++p) {
                float x = element(a, ta, lda, i, p), y = element(b, tb, ldb, p, j);
                if (tf32) x = emu::round_to_tf32(x), y = emu::round_to_tf32(y);
                sum += (double)x * y;
            }
            float &out = c[i + (size_t)j * ldc];
            out = (float)(alpha * sum + (beta == 0.0f ? 0.0 : beta * out));
        }
    return c;
}

std::vector<float> random_values(size_t n, unsigned seed) {
    std::vector<float> v(n);
    for (size_t i = 0; i < n; ++i) {
        seed = seed * 1664525u + 1013904223u;
        v[i] = (float)(seed >> 8) / (float)(1 << 24) * 2.0f - 1.0f;
    }
    return v;
}

cublasHandle_t create_handle() {
    cublasHandle_t handle;
    EXPECT_STATUS(cublasCreate_v2(&handle), CUBLAS_STATUS_SUCCESS);
    return handle;
}

// One GEMM through the stand-in, compared with the reference.
void check_gemm(cublasHandle_t handle, int m, int n, int k, bool ta, bool tb, float alpha, float beta, bool tf32) {
    int lda = (ta ? k : m) + 3, ldb = (tb ? n : k) + 1, ldc = m + 2;  // padded leading dimensions
    std::vector<float> a = random_values((size_t)lda * (ta ? m : k), 1), b = random_values((size_t)ldb * (tb ? k : n), 2),
                       c = random_values((size_t)ldc * n, 3);
    DeviceBuffer<float> da(a.size()), db(b.size()), dc(c.size());
    da.upload(a);
    db.upload(b);
    dc.upload(c);
    EXPECT_STATUS(cublasSetMathMode(handle, tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : 0), CUBLAS_STATUS_SUCCESS);
    EXPECT_STATUS(cublasSgemm_v2(handle, ta, tb, m, n, k, &alpha, (const float *)da.pointer, lda,
                                 (const float *)db.pointer, ldb, &beta, (float *)dc.pointer, ldc),
                  CUBLAS_STATUS_SUCCESS);
    std::vector<float> expected = reference(m, n, k, ta, tb, a, lda, b, ldb, alpha, beta, c, ldc, tf32);
    std::vector<float> got = dc.download();
    for (size_t i = 0; i < got.size(); ++i) EXPECT(std::fabs(got[i] - expected[i]) <= 1e-6f * k * (1 + std::fabs(expected[i])));
}

}  // namespace

CHECK(sgemm_matches_reference, "SGEMM, every transposition, odd sizes, alpha/beta, vs a triple loop", {}) {
    open_device();
    cublasHandle_t handle = create_handle();
    for (bool ta : {false, true})
        for (bool tb : {false, true}) {
            check_gemm(handle, 37, 29, 300, ta, tb, 1.0f, 0.0f, false);
            check_gemm(handle, 130, 9, 17, ta, tb, 0.5f, 2.0f, false);
        }
    check_gemm(handle, 1, 1, 1, false, false, 1.0f, 1.0f, false);
    check_gemm(handle, 300, 260, 70, false, true, 1.0f, 0.0f, false);  // threads split the columns
    EXPECT_STATUS(cublasDestroy_v2(handle), CUBLAS_STATUS_SUCCESS);
}

CHECK(sgemm_tf32, "CUBLAS_TF32_TENSOR_OP_MATH rounds A and B to 10 mantissa bits", {}) {
    open_device();
    cublasHandle_t handle = create_handle();
    check_gemm(handle, 40, 30, 50, true, false, 1.0f, 0.0f, true);
    // 1 + 2^-12 is not a TF32 value: it rounds to 1, so 1 × (1 + 2^-12) gives 1 in TF32 mode.
    EXPECT(emu::round_to_tf32(1.0f + 1.0f / 4096) == 1.0f);
    EXPECT(emu::round_to_tf32(1.0f + 1.0f / 2048) == 1.0f + 1.0f / 1024);  // a tie: away from zero
    EXPECT(std::isinf(emu::round_to_tf32(INFINITY)) && std::isnan(emu::round_to_tf32(NAN)));
    EXPECT_STATUS(cublasDestroy_v2(handle), CUBLAS_STATUS_SUCCESS);
}

CHECK(sgemm_strided_batched, "strided-batched SGEMM with beta 0 never reads C (fresh NaN memory)", {}) {
    open_device();
    cublasHandle_t handle = create_handle();
    const int m = 5, n = 4, k = 3, batch = 3;
    std::vector<float> a = random_values(m * k * batch, 4), b = random_values(k * n * batch, 5);
    DeviceBuffer<float> da(a.size()), db(b.size()), dc(m * n * batch);  // dc: 0xFF bytes
    da.upload(a);
    db.upload(b);
    float alpha = 1.0f, beta = 0.0f;
    EXPECT_STATUS(cublasSgemmStridedBatched(handle, 0, 0, m, n, k, &alpha, (const float *)da.pointer, m, m * k,
                                            (const float *)db.pointer, k, k * n, &beta, (float *)dc.pointer, m, m * n,
                                            batch),
                  CUBLAS_STATUS_SUCCESS);
    std::vector<float> c = dc.download();
    for (int i = 0; i < batch; ++i) {
        std::vector<float> ai(a.begin() + i * m * k, a.begin() + (i + 1) * m * k);
        std::vector<float> bi(b.begin() + i * k * n, b.begin() + (i + 1) * k * n);
        std::vector<float> expected = reference(m, n, k, false, false, ai, m, bi, k, 1.0f, 0.0f,
                                                std::vector<float>(m * n, 0.0f), m, false);
        for (int e = 0; e < m * n; ++e) EXPECT(std::fabs(c[i * m * n + e] - expected[e]) <= 1e-5f);
    }
    EXPECT_STATUS(cublasDestroy_v2(handle), CUBLAS_STATUS_SUCCESS);
}

CHECK(sgemm_invalid_arguments, "bad transposition, sizes or leading dimensions: INVALID_VALUE", {}) {
    open_device();
    cublasHandle_t handle = create_handle();
    DeviceBuffer<float> x(64);
    const float *p = (const float *)x.pointer;
    float *c = (float *)x.pointer, one = 1.0f;
    EXPECT_STATUS(cublasSgemm_v2(handle, 5, 0, 4, 4, 4, &one, p, 4, p, 4, &one, c, 4), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasSgemm_v2(handle, 0, 0, -1, 4, 4, &one, p, 4, p, 4, &one, c, 4), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasSgemm_v2(handle, 0, 0, 4, 4, 4, &one, p, 3, p, 4, &one, c, 4), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasSgemm_v2(handle, 1, 0, 4, 4, 8, &one, p, 4, p, 8, &one, c, 4), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasSgemm_v2(handle, 0, 0, 4, 4, 4, &one, p, 4, p, 4, &one, c, 3), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasSetMathMode(handle, 7), CUBLAS_STATUS_INVALID_VALUE);
    EXPECT_STATUS(cublasDestroy_v2(handle), CUBLAS_STATUS_SUCCESS);
    EXPECT_STATUS(cublasSgemm_v2(handle, 0, 0, 4, 4, 4, &one, p, 4, p, 4, &one, c, 4), CUBLAS_STATUS_NOT_INITIALIZED);
    EXPECT(strcmp(cublasGetStatusName(CUBLAS_STATUS_INVALID_VALUE), "CUBLAS_STATUS_INVALID_VALUE") == 0);
}

CHECK(sgemm_operand_outside_allocation, "a GEMM operand past its buffer: EXECUTION_FAILED, sticky", {}) {
    open_device();
    cublasHandle_t handle = create_handle();
    DeviceBuffer<float> a(16), b(16), c(15);  // C needs 16
    float one = 1.0f, zero = 0.0f;
    EXPECT_STATUS(cublasSgemm_v2(handle, 0, 0, 4, 4, 4, &one, (const float *)a.pointer, 4, (const float *)b.pointer, 4,
                                 &zero, (float *)c.pointer, 4),
                  CUBLAS_STATUS_EXECUTION_FAILED);
    EXPECT_MESSAGE("GEMM operand C of batch 0");
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
}
