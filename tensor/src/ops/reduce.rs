//! Reductions: sum, mean, max and argmax over all elements or along one axis.

use crate::backend::{AxisLayout, Backend, ReduceOp};
use crate::{Indices, Shape, Tensor};

impl Tensor {
    #[track_caller]
    fn check_axis(&self, op: &str, axis: usize) {
        assert!(
            axis < self.rank(),
            "{op}: axis {axis} does not exist in shape {}",
            self.shape()
        );
    }

    #[track_caller]
    fn reduce_axis(&self, op: ReduceOp, name: &str, axis: usize, keepdim: bool) -> Tensor {
        self.check_axis(name, axis);
        let storage = self
            .storage()
            .reduce(op, AxisLayout::of(self.shape(), axis));
        Tensor::from_storage(storage, self.shape().reduced(axis, keepdim))
    }

    /// All elements viewed as one axis, so "over everything" reuses the per-axis kernels.
    fn as_flat(&self) -> Tensor {
        self.reshape([self.numel()])
    }

    /// Sum of all elements, as a scalar tensor.
    pub fn sum(&self) -> Tensor {
        self.as_flat().sum_axis(0, false)
    }

    /// Sum along `axis`; `keepdim` keeps it with size 1 (as PyTorch's `keepdim=True`).
    #[track_caller]
    pub fn sum_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        self.reduce_axis(ReduceOp::Sum, "sum", axis, keepdim)
    }

    pub fn mean(&self) -> Tensor {
        self.sum().mul_scalar(1.0 / self.numel() as f32)
    }

    #[track_caller]
    pub fn mean_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        self.check_axis("mean", axis);
        let len = self.dims()[axis];
        self.sum_axis(axis, keepdim).mul_scalar(1.0 / len as f32)
    }

    /// Largest element, as a scalar tensor.
    #[track_caller]
    pub fn max(&self) -> Tensor {
        assert!(
            self.numel() > 0,
            "max: tensor of shape {} is empty",
            self.shape()
        );
        self.as_flat().max_axis(0, false)
    }

    #[track_caller]
    pub fn max_axis(&self, axis: usize, keepdim: bool) -> Tensor {
        self.reduce_axis(ReduceOp::Max, "max", axis, keepdim)
    }

    /// Position of the first largest element along `axis` (the axis is removed).
    #[track_caller]
    pub fn argmax_axis(&self, axis: usize) -> Indices {
        self.check_axis("argmax", axis);
        let storage = self.storage().argmax(AxisLayout::of(self.shape(), axis));
        Indices::from_storage(storage, self.shape().reduced(axis, false))
    }

    /// Flat position of the first largest element.
    #[track_caller]
    pub fn argmax(&self) -> Indices {
        assert!(
            self.numel() > 0,
            "argmax: tensor of shape {} is empty",
            self.shape()
        );
        self.as_flat().argmax_axis(0)
    }

    /// Spreads `self` (shaped like the input with `axis` removed) back along `axis` of length
    /// `len`: zeros everywhere except `self[..]` at `indices[..]`. The backward of max along an axis.
    #[track_caller]
    pub fn scatter_along_axis(&self, indices: &Indices, axis: usize, len: usize) -> Tensor {
        assert_eq!(
            self.shape(),
            indices.shape(),
            "scatter_along_axis: values {} and indices {} differ in shape",
            self.shape(),
            indices.shape()
        );
        let mut dims = self.dims().to_vec();
        assert!(
            axis <= dims.len(),
            "scatter_along_axis: axis {axis} out of range for shape {}",
            self.shape()
        );
        dims.insert(axis, len);
        let out_shape = Shape::new(dims);
        out_shape.check_numel("scatter_along_axis");
        let storage = self
            .storage()
            .scatter_along_axis(indices.storage(), AxisLayout::of(&out_shape, axis));
        Tensor::from_storage(storage, out_shape)
    }

    /// Sums a broadcast result back down to `target` (the shape an operand had before it was
    /// broadcast): the gradient of broadcasting.
    #[track_caller]
    pub fn sum_to_shape(&self, target: &Shape) -> Tensor {
        assert_eq!(
            target.broadcast(self.shape()).as_ref(),
            Some(self.shape()),
            "sum_to_shape: shape {} is not a broadcast of {}",
            self.shape(),
            target
        );
        let mut out = self.clone();
        // Leading axes that broadcasting added disappear entirely...
        while out.rank() > target.rank() {
            out = out.sum_axis(0, false);
        }
        // ...and axes stretched from size 1 are summed but kept.
        for axis in 0..target.rank() {
            if target.dims()[axis] == 1 && out.dims()[axis] != 1 {
                out = out.sum_axis(axis, true);
            }
        }
        out
    }
}
