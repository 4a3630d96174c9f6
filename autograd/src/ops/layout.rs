//! Shape ops: the gradient is the output gradient put back into the input's arrangement.

use crate::var::rule;
use crate::Var;
use tensor::Shape;

impl Var {
    /// Same elements, new shape: the gradient is reshaped back.
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Var {
        let original = self.shape().clone();
        let out = self.value().reshape(shape);
        Var::record(
            "reshape",
            out,
            [(self, rule(move |g| g.reshape(original.clone())))],
        )
    }

    /// `[N, ...] → [N, rest]`, as `nn.Flatten`.
    #[track_caller]
    pub fn flatten_from_1(&self) -> Var {
        let original = self.shape().clone();
        let out = self.value().flatten_from_1();
        Var::record(
            "flatten_from_1",
            out,
            [(self, rule(move |g| g.reshape(original.clone())))],
        )
    }

    /// Reordered axes: the gradient is permuted by the inverse permutation.
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Var {
        let out = self.value().permute(axes);
        let mut inverse = vec![0; axes.len()];
        for (i, &a) in axes.iter().enumerate() {
            inverse[a] = i;
        }
        Var::record("permute", out, [(self, rule(move |g| g.permute(&inverse)))])
    }

    /// Swapped axes: swapping them again undoes it.
    #[track_caller]
    pub fn transpose(&self, axis_a: usize, axis_b: usize) -> Var {
        let out = self.value().transpose(axis_a, axis_b);
        Var::record(
            "transpose",
            out,
            [(self, rule(move |g| g.transpose(axis_a, axis_b)))],
        )
    }
}
