//! Shape ops: the gradient is the output gradient put back into the input's arrangement.

use crate::var::rule;
use crate::Var;
use tensor::{Shape, Tensor};

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

    /// `torch.cat(parts, dim=axis)`: each part's gradient is its own slab of `g`, the positions
    /// along `axis` that the part filled.
    #[track_caller]
    pub fn cat(parts: &[Var], axis: usize) -> Var {
        let values: Vec<Tensor> = parts.iter().map(|p| p.value().clone()).collect();
        let out = Tensor::cat(&values, axis);
        let mut start = 0;
        let mut inputs = Vec::with_capacity(parts.len());
        for part in parts {
            let (from, len) = (start, part.dims()[axis]);
            inputs.push((part, rule(move |g| g.narrow(axis, from, len))));
            start += len;
        }
        Var::record("cat", out, inputs)
    }

    /// `x.narrow(axis, start, len)`: the gradient is `g` put back at positions `start..` along
    /// `axis`, zeros elsewhere (the positions left out did not affect the output).
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Var {
        let out = self.value().narrow(axis, start, len);
        let size = self.dims()[axis];
        Var::record(
            "narrow",
            out,
            [(self, rule(move |g| g.narrow_backward(axis, start, size)))],
        )
    }
}
