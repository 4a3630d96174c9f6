// The slice of cuBLAS (cublas_api.h, CUDA 13.0) that the stand-in libcublas.so implements, with
// the real status numbers and signatures.
#pragma once

#include "cuda_api.h"

typedef struct EmuBlasHandle *cublasHandle_t;

// Statuses: the name, the number, and cuBLAS's description (cublasGetStatusString).
#define EMU_CUBLAS_STATUSES(X)                                                              \
    X(CUBLAS_STATUS_SUCCESS, 0, "success")                                                  \
    X(CUBLAS_STATUS_NOT_INITIALIZED, 1, "the library was not initialized")                  \
    X(CUBLAS_STATUS_ALLOC_FAILED, 3, "the resource allocation failed")                      \
    X(CUBLAS_STATUS_INVALID_VALUE, 7, "an invalid numeric value was used as an argument")   \
    X(CUBLAS_STATUS_ARCH_MISMATCH, 8, "an absent device architectural feature is required") \
    X(CUBLAS_STATUS_MAPPING_ERROR, 11, "an access to GPU memory space failed")              \
    X(CUBLAS_STATUS_EXECUTION_FAILED, 13, "the GPU program failed to execute")              \
    X(CUBLAS_STATUS_INTERNAL_ERROR, 14, "an internal operation failed")                     \
    X(CUBLAS_STATUS_NOT_SUPPORTED, 15, "the functionality requested is not supported")      \
    X(CUBLAS_STATUS_LICENSE_ERROR, 16, "error detected trying to check the license")
enum cublasStatus_t : int { EMU_CUBLAS_STATUSES(EMU_ENUMERATOR) };

// cublasOperation_t: CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2.
// cublasMath_t: CUBLAS_DEFAULT_MATH = 0, ..., CUBLAS_TF32_TENSOR_OP_MATH = 3, plus the flag
// CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16.
constexpr int CUBLAS_TF32_TENSOR_OP_MATH = 3;

EMU_API cublasStatus_t cublasCreate_v2(cublasHandle_t *handle);
EMU_API cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
EMU_API cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version);
EMU_API cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream stream);
EMU_API cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, CUstream *stream);
EMU_API cublasStatus_t cublasSetMathMode(cublasHandle_t handle, int mode);
EMU_API cublasStatus_t cublasGetMathMode(cublasHandle_t handle, int *mode);
EMU_API cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                      const float *alpha, const float *A, int lda, const float *B, int ldb,
                                      const float *beta, float *C, int ldc);
EMU_API cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                                 const float *alpha, const float *A, int lda, long long stride_a,
                                                 const float *B, int ldb, long long stride_b, const float *beta,
                                                 float *C, int ldc, long long stride_c, int batch);
EMU_API const char *cublasGetStatusName(cublasStatus_t status);
EMU_API const char *cublasGetStatusString(cublasStatus_t status);
