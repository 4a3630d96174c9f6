//! Matrix multiplication on the CPU: matrixmultiply's packed SGEMM, and the naive triple loop
//! that tests and benches compare it with.

use crate::backend::GemmSpec;
use rayon::prelude::*;

/// Row-major matrix operand: its buffer and whether it is stored transposed.
#[derive(Clone, Copy)]
pub struct MatRef<'a> {
    pub data: &'a [f32],
    pub transposed: bool,
}

impl<'a> MatRef<'a> {
    /// The matrix stored in `data`.
    pub fn new(data: &'a [f32]) -> Self {
        MatRef {
            data,
            transposed: false,
        }
    }

    /// The transpose of the matrix stored in `data`.
    pub fn transpose_of(data: &'a [f32]) -> Self {
        MatRef {
            data,
            transposed: true,
        }
    }

    /// Element `(i, j)` of the operand, a `rows × cols` matrix (after the transpose).
    fn element(&self, rows: usize, cols: usize, i: usize, j: usize) -> f32 {
        if self.transposed {
            self.data[j * rows + i]
        } else {
            self.data[i * cols + j]
        }
    }
}

/// The operands of batch entry `i`: `a[i]` (m×k) and `b[i]` (k×n), with the spec's transposes.
fn batch_operands<'a>(
    a: &'a [f32],
    b: &'a [f32],
    spec: &GemmSpec,
    i: usize,
) -> (MatRef<'a>, MatRef<'a>) {
    let GemmSpec { m, n, k, .. } = *spec;
    let a_i = MatRef {
        data: &a[i * m * k..(i + 1) * m * k],
        transposed: spec.transpose_a,
    };
    let b_i = MatRef {
        data: &b[i * k * n..(i + 1) * k * n],
        transposed: spec.transpose_b,
    };
    (a_i, b_i)
}

/// `c = a · b + beta · c` on one thread, with `a` m×k and `b` k×n after their transpose flags.
///
/// Transposes cost nothing: matrixmultiply takes a row and a column stride per operand, and a
/// stored-transposed matrix simply swaps them.
#[allow(clippy::too_many_arguments)]
pub fn sgemm(a: MatRef, b: MatRef, c: &mut [f32], m: usize, n: usize, k: usize, beta: f32) {
    debug_assert_eq!(a.data.len(), m * k);
    debug_assert_eq!(b.data.len(), k * n);
    debug_assert_eq!(c.len(), m * n);
    if m == 0 || n == 0 {
        return;
    }
    let (rsa, csa) = if a.transposed { (1, m) } else { (k, 1) };
    let (rsb, csb) = if b.transposed { (1, k) } else { (n, 1) };
    // Safety: the slices hold m·k, k·n and m·n elements (checked above), and the strides address
    // exactly those elements in row-major order.
    unsafe {
        matrixmultiply::sgemm(
            m,
            k,
            n,
            1.0,
            a.data.as_ptr(),
            rsa as isize,
            csa as isize,
            b.data.as_ptr(),
            rsb as isize,
            csb as isize,
            beta,
            c.as_mut_ptr(),
            n as isize,
            1,
        );
    }
}

/// Batched GEMM: the batch is spread over rayon's threads, each GEMM stays single-threaded
/// (matrixmultiply scales poorly with its own threads on these sizes).
pub fn gemm(a: &[f32], b: &[f32], spec: &GemmSpec) -> Vec<f32> {
    let GemmSpec { m, n, k, .. } = *spec;
    let mut c = vec![0.0; spec.batch * m * n];
    if k == 0 {
        return c;
    }
    let per_batch = |(i, c_i): (usize, &mut [f32])| {
        let (a_i, b_i) = batch_operands(a, b, spec, i);
        sgemm(a_i, b_i, c_i, m, n, k, 0.0);
    };
    if spec.batch == 1 || m * n == 0 {
        c.chunks_mut((m * n).max(1)).enumerate().for_each(per_batch);
    } else {
        c.par_chunks_mut(m * n).enumerate().for_each(per_batch);
    }
    c
}

/// The reference: three loops straight from the definition `C[i,j] = Σ_p A[i,p] · B[p,j]`.
pub fn gemm_naive(a: &[f32], b: &[f32], spec: &GemmSpec) -> Vec<f32> {
    let GemmSpec { m, n, k, .. } = *spec;
    let mut c = vec![0.0; spec.batch * m * n];
    for batch in 0..spec.batch {
        let (a, b) = batch_operands(a, b, spec, batch);
        for i in 0..m {
            for j in 0..n {
                let mut sum = 0.0;
                for p in 0..k {
                    sum += a.element(m, k, i, p) * b.element(k, n, p, j);
                }
                c[batch * m * n + i * n + j] = sum;
            }
        }
    }
    c
}
