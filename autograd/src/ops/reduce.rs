//! Reductions: a sum hands its gradient to every summand; a max hands it to the winner only.

use crate::var::rule;
use crate::Var;

impl Var {
    /// `Σ x`: ∂/∂xᵢ = 1, so the scalar gradient is broadcast to the input's shape.
    #[track_caller]
    pub fn sum(&self) -> Var {
        let input = self.value().clone();
        Var::record(
            "sum",
            input.sum(),
            [(self, rule(move |g| input.zeros_like().add(g)))],
        )
    }

    /// Sum along `axis`: the gradient is broadcast back along that axis.
    #[track_caller]
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Var {
        let input = self.value().clone();
        let out = input.sum_axis(axis, keepdim);
        let kept = input.shape().reduced(axis, true);
        Var::record(
            "sum_axis",
            out,
            [(
                self,
                rule(move |g| input.zeros_like().add(&g.reshape(kept.clone()))),
            )],
        )
    }

    /// Mean of all elements: the sum's gradient divided by the count.
    #[track_caller]
    pub fn mean(&self) -> Var {
        let count = self.value().numel() as f32;
        self.sum().mul_scalar(1.0 / count)
    }

    /// Mean along `axis`.
    #[track_caller]
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Var {
        let len = self.dims().get(axis).copied().unwrap_or(1) as f32;
        self.sum_axis(axis, keepdim).mul_scalar(1.0 / len)
    }

    /// Maximum along `axis`: ∂/∂xᵢ = 1 for the (first) maximal element, 0 elsewhere.
    #[track_caller]
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Var {
        let input = self.value();
        let out = input.max_axis(axis, keepdim);
        let winners = input.argmax_axis(axis);
        let len = input.dims()[axis];
        let dropped = input.shape().reduced(axis, false);
        let rule = rule(move |g| {
            g.reshape(dropped.clone())
                .scatter_along_axis(&winners, axis, len)
        });
        Var::record("max_axis", out, [(self, rule)])
    }

    /// Largest element, as a scalar.
    #[track_caller]
    pub fn max(&self) -> Var {
        self.reshape([self.value().numel()]).max_axis(0, false)
    }
}
