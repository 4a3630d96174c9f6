//! Changing how elements are arranged: reshape (shares storage), permute and transpose (copy).

use crate::backend::Backend;
use crate::{Shape, Tensor};

impl Tensor {
    /// The same elements under a new shape of equal size; no copy.
    #[track_caller]
    pub fn reshape(&self, shape: impl Into<Shape>) -> Tensor {
        let shape = shape.into();
        assert_eq!(
            shape.check_numel("reshape"),
            self.numel(),
            "reshape: cannot view shape {} ({} elements) as {} ({} elements)",
            self.shape(),
            self.numel(),
            shape,
            shape.numel()
        );
        self.with_shape(shape)
    }

    /// Keeps axis 0 and merges the rest: `[N, C, H, W]` becomes `[N, C·H·W]`.
    #[track_caller]
    pub fn flatten_from_1(&self) -> Tensor {
        assert!(self.rank() >= 1, "flatten: a scalar has no axis to keep");
        let batch = self.dims()[0];
        let rest = self.numel().checked_div(batch).unwrap_or(0);
        self.reshape([batch, rest])
    }

    /// Reorders axes: output axis `i` is input axis `axes[i]`. Copies into a contiguous tensor.
    #[track_caller]
    pub fn permute(&self, axes: &[usize]) -> Tensor {
        let mut seen = vec![false; self.rank()];
        let is_permutation = axes.len() == self.rank()
            && axes
                .iter()
                .all(|&a| a < self.rank() && !std::mem::replace(&mut seen[a], true));
        assert!(
            is_permutation,
            "permute: {axes:?} is not a permutation of the axes of shape {}",
            self.shape()
        );
        let dims: Vec<usize> = axes.iter().map(|&a| self.dims()[a]).collect();
        Tensor::from_storage(self.storage().permute(self.shape(), axes), Shape::new(dims))
    }

    /// Swaps two axes (a copy).
    #[track_caller]
    pub fn transpose(&self, axis_a: usize, axis_b: usize) -> Tensor {
        assert!(
            axis_a < self.rank() && axis_b < self.rank(),
            "transpose: axes {axis_a} and {axis_b} do not both exist in shape {}",
            self.shape()
        );
        let mut axes: Vec<usize> = (0..self.rank()).collect();
        axes.swap(axis_a, axis_b);
        self.permute(&axes)
    }
}
