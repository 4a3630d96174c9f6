//! Matrix multiplication. For `C = A · B`: `∂L/∂A = G · Bᵀ` and `∂L/∂B = Aᵀ · G`, where G is
//! the output gradient. With transposed operands the same identities pick the flags, so no
//! transposed copy is ever made.

use crate::var::rule;
use crate::Var;

impl Var {
    /// `self · rhs` (2-D, or batched 3-D).
    #[track_caller]
    pub fn matmul(&self, rhs: &Var) -> Var {
        self.matmul_t(rhs, false, false)
    }

    /// `op(self) · op(rhs)` with `op` transposing when its flag is set.
    #[track_caller]
    pub fn matmul_t(&self, rhs: &Var, transpose_a: bool, transpose_b: bool) -> Var {
        let (a, b) = (self.value().clone(), rhs.value().clone());
        let out = a.matmul_t(&b, transpose_a, transpose_b);
        // ∂L/∂op(A) = G · op(B)ᵀ. If A was stored transposed, its gradient is that transposed:
        // ∂L/∂A = op(B) · Gᵀ.
        let grad_a = move |g: &tensor::Tensor| match transpose_a {
            false => g.matmul_t(&b, false, !transpose_b),
            true => b.matmul_t(g, transpose_b, true),
        };
        // ∂L/∂op(B) = op(A)ᵀ · G; stored transposed: ∂L/∂B = Gᵀ · op(A).
        let grad_b = move |g: &tensor::Tensor| match transpose_b {
            false => a.matmul_t(g, !transpose_a, false),
            true => g.matmul_t(&a, true, transpose_a),
        };
        Var::record("matmul", out, [(self, rule(grad_a)), (rhs, rule(grad_b))])
    }
}
