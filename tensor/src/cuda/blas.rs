//! Matrix products on the GPU through cuBLAS, for row-major matrices, and the TF32 switches.
//!
//! cuBLAS is column-major. A row-major matrix is its transpose in column-major order, so for
//! row-major `C = op(A) · op(B)` cuBLAS computes `Cᵀ = op(B)ᵀ · op(A)ᵀ`: the same call with the
//! operands swapped, no data moved.

use super::error::to_i32;
use super::memory::Span;
use crate::backend::GemmSpec;
use cudarc::cublas::result as cublas;
use cudarc::cublas::sys::{
    cublasHandle_t, cublasMath_t, cublasOperation_t, cublasSetMathMode, cublasStatus_t,
};
use cudarc::driver::sys::CUstream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// How cuBLAS may multiply: exact f32, or TF32 tensor cores (inputs rounded to 10 mantissa
/// bits, sums in f32; several times faster on Ampere and later).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Math {
    F32,
    Tf32,
}

/// TF32 for convolution GEMMs (on by default) and for matmul/Linear GEMMs (off by default):
/// PyTorch's defaults (`torch.backends.cudnn.allow_tf32 = True`,
/// `torch.backends.cuda.matmul.allow_tf32 = False`).
static CONV_TF32: AtomicBool = AtomicBool::new(true);
static MATMUL_TF32: AtomicBool = AtomicBool::new(false);

/// One switch for both: `--tf32 on|off` in the examples.
pub fn set_tf32(enabled: bool) {
    CONV_TF32.store(enabled, Ordering::Relaxed);
    MATMUL_TF32.store(enabled, Ordering::Relaxed);
}

fn math(tf32: bool) -> Math {
    if tf32 {
        Math::Tf32
    } else {
        Math::F32
    }
}

/// The math of convolution GEMMs.
pub fn conv_math() -> Math {
    math(CONV_TF32.load(Ordering::Relaxed))
}

/// The math of matmul (Linear) GEMMs.
pub fn matmul_math() -> Math {
    math(MATMUL_TF32.load(Ordering::Relaxed))
}

/// Element offsets between the matrices of consecutive batch entries (0: one matrix shared by
/// the whole batch).
#[derive(Clone, Copy, Debug)]
pub struct BatchStrides {
    pub a: usize,
    pub b: usize,
    pub c: usize,
}

impl BatchStrides {
    /// Every operand its own matrix per batch entry.
    pub fn packed(spec: &GemmSpec) -> Self {
        BatchStrides {
            a: spec.m * spec.k,
            b: spec.k * spec.n,
            c: spec.m * spec.n,
        }
    }
}

struct Handle(cublasHandle_t);

// Safety: a cuBLAS handle may be used from any thread, one at a time (the mutex below).
unsafe impl Send for Handle {}

/// The device's cuBLAS handle. The math mode is a property of the handle, so setting it and
/// running the GEMM happen under one lock: two threads cannot mix their modes.
pub struct Blas {
    handle: Mutex<Handle>,
}

impl Blas {
    /// A handle whose work goes to `stream`.
    pub fn new(stream: CUstream) -> Result<Self, String> {
        let handle = cublas::create_handle().map_err(|e| format!("{e:?}"))?;
        // Safety: a live handle and the device's stream.
        unsafe { cublas::set_stream(handle, stream as _) }.map_err(|e| format!("{e:?}"))?;
        Ok(Blas {
            handle: Mutex::new(Handle(handle)),
        })
    }

    /// Row-major `C[i] = op(A[i]) · op(B[i]) + beta · C[i]` for every batch entry `i`.
    #[allow(clippy::too_many_arguments)]
    pub fn gemm(
        &self,
        a: Span<'_, f32>,
        b: Span<'_, f32>,
        c: Span<'_, f32>,
        spec: &GemmSpec,
        strides: BatchStrides,
        beta: f32,
        math: Math,
    ) {
        check_extents(a, b, c, spec, strides);
        let GemmSpec {
            batch,
            m,
            n,
            k,
            transpose_a,
            transpose_b,
        } = *spec;
        let op = |t: bool| {
            if t {
                cublasOperation_t::CUBLAS_OP_T
            } else {
                cublasOperation_t::CUBLAS_OP_N
            }
        };
        let mode = match math {
            Math::Tf32 => cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH,
            Math::F32 => cublasMath_t::CUBLAS_DEFAULT_MATH,
        };
        let alpha = 1.0f32;
        let handle = self.handle.lock().expect("cuBLAS handle");
        // Safety: a live handle; the spans hold what the spec reads and writes (checked above);
        // alpha and beta are host values that outlive the call.
        let status = unsafe {
            let set_mode = cublasSetMathMode(handle.0, mode);
            if set_mode != cublasStatus_t::CUBLAS_STATUS_SUCCESS {
                panic!("cuBLAS: setting the math mode failed: {set_mode:?}");
            }
            cublas::sgemm_strided_batched(
                handle.0,
                op(transpose_b),
                op(transpose_a),
                to_i32(n, "GEMM n"),
                to_i32(m, "GEMM m"),
                to_i32(k, "GEMM k"),
                &alpha,
                b.address() as *const f32,
                to_i32(if transpose_b { k } else { n }, "GEMM ldb"),
                strides.b as i64,
                a.address() as *const f32,
                to_i32(if transpose_a { m } else { k }, "GEMM lda"),
                strides.a as i64,
                &beta,
                c.address() as *mut f32,
                to_i32(n, "GEMM ldc"),
                strides.c as i64,
                to_i32(batch, "GEMM batch"),
            )
        };
        status.unwrap_or_else(|e| panic!("cuBLAS GEMM {spec:?} failed: {e:?}"));
    }
}

impl Drop for Blas {
    fn drop(&mut self) {
        if let Ok(handle) = self.handle.get_mut() {
            // Safety: the handle is destroyed once, after its last use.
            let _ = unsafe { cublas::destroy_handle(handle.0) };
        }
    }
}

/// Panics unless each span holds every value the GEMM reads or writes: cuBLAS would read or
/// write past the buffer without a word.
#[track_caller]
fn check_extents(
    a: Span<'_, f32>,
    b: Span<'_, f32>,
    c: Span<'_, f32>,
    spec: &GemmSpec,
    strides: BatchStrides,
) {
    let needed = |matrix: usize, stride: usize| (spec.batch.max(1) - 1) * stride + matrix;
    for (name, span, matrix, stride) in [
        ("A", a.len(), spec.m * spec.k, strides.a),
        ("B", b.len(), spec.k * spec.n, strides.b),
        ("C", c.len(), spec.m * spec.n, strides.c),
    ] {
        assert!(
            span >= needed(matrix, stride),
            "cuBLAS GEMM {spec:?}: operand {name} has {span} values, needs {}",
            needed(matrix, stride)
        );
    }
}
