//! Matrix multiplication, 2-D and batched, with transpose flags instead of transposed copies.

use super::assert_same_device;
use crate::backend::{Backend, GemmSpec};
use crate::{Shape, Tensor};

impl Tensor {
    /// `self · rhs`: `[m, k] · [k, n] → [m, n]`, or batched `[b, m, k] · [b, k, n] → [b, m, n]`.
    #[track_caller]
    pub fn matmul(&self, rhs: &Tensor) -> Tensor {
        self.matmul_t(rhs, false, false)
    }

    /// `op(self) · op(rhs)` where `op` transposes the last two axes of an operand whose flag is
    /// set. The transpose is free: the GEMM reads the stored matrix with swapped strides.
    /// For example a Linear layer computes `x · Wᵀ` as `x.matmul_t(&w, false, true)`.
    #[track_caller]
    pub fn matmul_t(&self, rhs: &Tensor, transpose_a: bool, transpose_b: bool) -> Tensor {
        assert_same_device("matmul", self, rhs);
        let spec = match gemm_spec(self.shape(), rhs.shape(), transpose_a, transpose_b) {
            Ok(spec) => spec,
            Err(why) => panic!("matmul: shapes {} and {} {why}", self.shape(), rhs.shape()),
        };
        let out_shape = if self.rank() == 3 {
            Shape::new([spec.batch, spec.m, spec.n])
        } else {
            Shape::new([spec.m, spec.n])
        };
        Tensor::from_storage(self.storage().gemm(rhs.storage(), &spec), out_shape)
    }
}

/// Reads m, n, k and the batch from the operands' shapes, or says why they do not fit.
fn gemm_spec(
    a: &Shape,
    b: &Shape,
    transpose_a: bool,
    transpose_b: bool,
) -> Result<GemmSpec, String> {
    if a.rank() != b.rank() || !(a.rank() == 2 || a.rank() == 3) {
        return Err("must both be 2-D or both 3-D (batched)".into());
    }
    let batched = a.rank() == 3;
    let batch = if batched { a.dims()[0] } else { 1 };
    if batched && b.dims()[0] != batch {
        return Err("have different batch sizes".into());
    }
    let last_two = |s: &Shape, transpose: bool| {
        let (rows, cols) = (s.dims()[s.rank() - 2], s.dims()[s.rank() - 1]);
        if transpose {
            (cols, rows)
        } else {
            (rows, cols)
        }
    };
    let (m, k) = last_two(a, transpose_a);
    let (k_b, n) = last_two(b, transpose_b);
    if k != k_b {
        return Err(format!(
            "do not chain: inner dimensions {k} and {k_b} differ"
        ));
    }
    Ok(GemmSpec {
        batch,
        m,
        n,
        k,
        transpose_a,
        transpose_b,
    })
}
