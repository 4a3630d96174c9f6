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
        let (spec, out_shape) = match gemm_spec(self.shape(), rhs.shape(), transpose_a, transpose_b)
        {
            Ok(fits) => fits,
            Err(why) => panic!("matmul: shapes {} and {} {why}", self.shape(), rhs.shape()),
        };
        Tensor::from_storage(self.storage().gemm(rhs.storage(), &spec), out_shape)
    }
}

/// Reads m, n, k and the batch from the operands' shapes and works out the output's shape, or
/// says why they do not fit.
fn gemm_spec(
    a: &Shape,
    b: &Shape,
    transpose_a: bool,
    transpose_b: bool,
) -> Result<(GemmSpec, Shape), String> {
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
    // Both operands fit, yet the output may not: [m, 0] · [0, n] holds no values but makes m·n.
    let out_shape = if batched {
        Shape::new([batch, m, n])
    } else {
        Shape::new([m, n])
    };
    if let Err(why) = out_shape.try_numel() {
        return Err(format!("give an output {out_shape} that {why}"));
    }
    let spec = GemmSpec {
        batch,
        m,
        n,
        k,
        transpose_a,
        transpose_b,
    };
    Ok((spec, out_shape))
}
