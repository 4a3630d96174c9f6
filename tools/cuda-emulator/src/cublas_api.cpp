// The stand-in libcublas.so: handles, math mode, and SGEMM (plain and strided-batched), with
// cuBLAS's argument checks, and with every operand checked against the driver's live
// allocations (through emulator_bridge.h) — a GEMM reading past its buffers is a fault here.
#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <set>

#include "code_text.h"
#include "cublas_api.h"
#include "emulator_bridge.h"
#include "sgemm.h"

constexpr int cublas_version = 130000;  // cuBLAS 13.0.0, as shipped with CUDA 13.0
constexpr int disallow_reduced_precision_flag = 16;

struct EmuBlasHandle {
    CUstream stream = nullptr;
    int math_mode = 0;  // CUBLAS_DEFAULT_MATH
};

namespace {

std::mutex handles_lock;
std::set<cublasHandle_t> &live_handles() {
    static auto *handles = new std::set<cublasHandle_t>;
    return *handles;
}

bool is_live(cublasHandle_t handle) {
    std::lock_guard<std::mutex> guard(handles_lock);
    return live_handles().count(handle) != 0;
}

[[gnu::format(printf, 1, 2)]] void fail(const char *format, ...) {
    char line[1024];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    fprintf(stderr, "EMU check failed: cuBLAS: %s\n", line);
    fflush(stderr);
}

// A getter, with cuBLAS's checks: NOT_INITIALIZED for a handle that is not live (then `read`
// never sees it), INVALID_VALUE for a null `out`.
template <class T, class Read>
cublasStatus_t answer(cublasHandle_t handle, T *out, Read read) {
    if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!out) return CUBLAS_STATUS_INVALID_VALUE;
    *out = read(*handle);
    return CUBLAS_STATUS_SUCCESS;
}

// cublasOperation_t: N, T and C (the same as T for real matrices).
bool valid_operation(int op) { return op >= 0 && op <= 2; }

// The arguments cuBLAS itself rejects with CUBLAS_STATUS_INVALID_VALUE.
bool valid_gemm_arguments(int transa, int transb, int m, int n, int k, int lda, int ldb, int ldc, int batch) {
    int a_rows = transa == 0 ? m : k, b_rows = transb == 0 ? k : n;
    return valid_operation(transa) && valid_operation(transb) && m >= 0 && n >= 0 && k >= 0 && batch >= 0 &&
           lda >= std::max(1, a_rows) && ldb >= std::max(1, b_rows) && ldc >= std::max(1, m);
}

// Bytes a column-major matrix spans: (cols - 1) · ld + rows elements.
size_t matrix_bytes(int rows, int cols, int ld) {
    if (rows == 0 || cols == 0) return 0;
    return ((size_t)(cols - 1) * ld + rows) * sizeof(float);
}

bool operand_ok(const char *name, const float *p, int rows, int cols, int ld, long long batch) {
    size_t bytes = matrix_bytes(rows, cols, ld);
    if (bytes == 0 || emu_is_device_range((uint64_t)p, bytes)) return true;
    fail("GEMM operand %s of batch %lld (%d×%d, leading dimension %d, %zu bytes from %p) is not inside one live "
         "device allocation",
         name, batch, rows, cols, ld, bytes, (const void *)p);
    return false;
}

cublasStatus_t gemm(cublasHandle_t handle, int transa, int transb, int m, int n, int k, const float *alpha,
                    const float *A, int lda, long long stride_a, const float *B, int ldb, long long stride_b,
                    const float *beta, float *C, int ldc, long long stride_c, int batch) {
    if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!alpha || !beta || !valid_gemm_arguments(transa, transb, m, n, k, lda, ldb, ldc, batch)) {
        fail("invalid SGEMM arguments: transa %d transb %d m %d n %d k %d lda %d ldb %d ldc %d batch %d", transa,
             transb, m, n, k, lda, ldb, ldc, batch);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    if (m == 0 || n == 0 || batch == 0) return CUBLAS_STATUS_SUCCESS;
    int a_rows = transa == 0 ? m : k, a_cols = transa == 0 ? k : m;
    int b_rows = transb == 0 ? k : n, b_cols = transb == 0 ? n : k;
    bool reads_ab = k > 0 && *alpha != 0.0f;
    emu_device_acquire();
    cublasStatus_t status = CUBLAS_STATUS_SUCCESS;
    if (emu_sticky_error() != CUDA_SUCCESS) status = CUBLAS_STATUS_EXECUTION_FAILED;
    for (long long b = 0; b < batch && status == CUBLAS_STATUS_SUCCESS; ++b) {
        const float *a = A + b * stride_a, *bm = B + b * stride_b;
        float *c = C + b * stride_c;
        if ((reads_ab && (!operand_ok("A", a, a_rows, a_cols, lda, b) || !operand_ok("B", bm, b_rows, b_cols, ldb, b))) ||
            !operand_ok("C", c, m, n, ldc, b)) {
            emu_raise_fault(CUDA_ERROR_ILLEGAL_ADDRESS);  // what the GEMM kernel would have done
            status = CUBLAS_STATUS_EXECUTION_FAILED;
            break;
        }
        emu::sgemm({m, n, k, *alpha, *beta, a, lda, transa != 0, bm, ldb, transb != 0, c, ldc,
                    (handle->math_mode & ~disallow_reduced_precision_flag) == CUBLAS_TF32_TENSOR_OP_MATH});
    }
    emu_device_release();
    if (status == CUBLAS_STATUS_SUCCESS) {
        emu_count_gemm(2.0 * m * n * k * batch);
        if (emu_verbose_enabled())
            fprintf(stderr, "EMU: cuBLAS SGEMM %c%c m %d n %d k %d batch %d%s\n", "NTC"[transa], "NTC"[transb], m, n,
                    k, batch, (handle->math_mode & ~disallow_reduced_precision_flag) == CUBLAS_TF32_TENSOR_OP_MATH ? " TF32" : "");
    }
    return status;
}

}  // namespace

EMU_API cublasStatus_t cublasCreate_v2(cublasHandle_t *handle) {
    if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new EmuBlasHandle;
    std::lock_guard<std::mutex> guard(handles_lock);
    live_handles().insert(*handle);
    return CUBLAS_STATUS_SUCCESS;
}

EMU_API cublasStatus_t cublasDestroy_v2(cublasHandle_t handle) {
    {
        std::lock_guard<std::mutex> guard(handles_lock);
        if (!live_handles().erase(handle)) {
            fail("cublasDestroy: %p is not a live handle (destroyed twice?)", (void *)handle);
            return CUBLAS_STATUS_NOT_INITIALIZED;
        }
    }
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_API cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int *version) {
    return answer(handle, version, [](const EmuBlasHandle &) { return cublas_version; });
}

EMU_API cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream stream) {
    if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (!emu_is_valid_stream(stream)) {
        fail("cublasSetStream: %p is not a stream of the emulator", (void *)stream);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    handle->stream = stream;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_API cublasStatus_t cublasGetStream_v2(cublasHandle_t handle, CUstream *stream) {
    return answer(handle, stream, [](const EmuBlasHandle &h) { return h.stream; });
}

EMU_API cublasStatus_t cublasSetMathMode(cublasHandle_t handle, int mode) {
    if (!is_live(handle)) return CUBLAS_STATUS_NOT_INITIALIZED;
    int base = mode & ~disallow_reduced_precision_flag;
    if (!(base <= 4 || base == 8)) {  // DEFAULT, TENSOR_OP, PEDANTIC, TF32_TENSOR_OP, EMULATED_BF16X9, FIXEDPOINT
        fail("cublasSetMathMode(%d): not a cublasMath_t", mode);
        return CUBLAS_STATUS_INVALID_VALUE;
    }
    handle->math_mode = mode;
    return CUBLAS_STATUS_SUCCESS;
}

EMU_API cublasStatus_t cublasGetMathMode(cublasHandle_t handle, int *mode) {
    return answer(handle, mode, [](const EmuBlasHandle &h) { return h.math_mode; });
}

EMU_API cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                      const float *alpha, const float *A, int lda, const float *B, int ldb,
                                      const float *beta, float *C, int ldc) {
    return gemm(handle, transa, transb, m, n, k, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}

EMU_API cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, int transa, int transb, int m, int n, int k,
                                                 const float *alpha, const float *A, int lda, long long stride_a,
                                                 const float *B, int ldb, long long stride_b, const float *beta,
                                                 float *C, int ldc, long long stride_c, int batch) {
    return gemm(handle, transa, transb, m, n, k, alpha, A, lda, stride_a, B, ldb, stride_b, beta, C, ldc, stride_c,
                batch);
}

// ---- status names and descriptions, as cuBLAS words them ----

constexpr CodeText<cublasStatus_t> statuses[] = {EMU_CUBLAS_STATUSES(EMU_CODE_TEXT)};

EMU_API const char *cublasGetStatusName(cublasStatus_t status) {
    const CodeText<cublasStatus_t> *text = find_code_text(statuses, status);
    return text ? text->name : "CUBLAS_STATUS_UNKNOWN";
}

EMU_API const char *cublasGetStatusString(cublasStatus_t status) {
    const CodeText<cublasStatus_t> *text = find_code_text(statuses, status);
    return text ? text->description : "unknown error";
}
