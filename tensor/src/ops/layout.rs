//! Changing how elements are arranged: reshape (shares storage), permute and transpose (copy),
//! joining tensors along an axis (cat) and cutting a slab out of one (narrow).

use super::assert_same_device;
use crate::backend::{AxisLayout, Backend};
use crate::storage::Storage;
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

    /// Joins `parts` along `axis`, as `torch.cat(parts, dim=axis)`: all parts have the same rank
    /// and the same sizes except along `axis`, where the result's size is the sum of theirs. A
    /// part may have size 0 along `axis` (it adds nothing).
    #[track_caller]
    pub fn cat(parts: &[Tensor], axis: usize) -> Tensor {
        let Some(first) = parts.first() else {
            panic!("cat: no tensors to join (expected a non-empty list)");
        };
        assert!(
            axis < first.rank(),
            "cat: axis {axis} does not exist in shape {} (rank {})",
            first.shape(),
            first.rank()
        );
        for (p, part) in parts.iter().enumerate().skip(1) {
            assert_same_device("cat", first, part);
            assert!(
                part.rank() == first.rank(),
                "cat: part {p} has shape {} of rank {}, but part 0 has {} of rank {}",
                part.shape(),
                part.rank(),
                first.shape(),
                first.rank()
            );
            let differs =
                (0..first.rank()).find(|&a| a != axis && part.dims()[a] != first.dims()[a]);
            if let Some(a) = differs {
                panic!(
                    "cat: part {p} has shape {} but part 0 has {}: sizes must match except along axis {axis} (they differ along axis {a})",
                    part.shape(),
                    first.shape()
                );
            }
        }
        let lens: Vec<usize> = parts.iter().map(|p| p.dims()[axis]).collect();
        let mut dims = first.dims().to_vec();
        dims[axis] = lens
            .iter()
            .fold(0usize, |sum, &len| sum.saturating_add(len));
        let shape = Shape::new(dims);
        if let Err(why) = shape.try_numel() {
            panic!("cat: the result {shape} {why}");
        }
        let (outer, _, inner) = shape.split_at_axis(axis);
        let storages: Vec<&Storage> = parts.iter().map(|p| p.storage()).collect();
        Tensor::from_storage(Storage::cat(&storages, &lens, outer, inner), shape)
    }

    /// The `len` positions from `start` along `axis`, as `Tensor.narrow(axis, start, len)`
    /// (a copy here, not a view).
    #[track_caller]
    pub fn narrow(&self, axis: usize, start: usize, len: usize) -> Tensor {
        assert!(
            axis < self.rank(),
            "narrow: axis {axis} does not exist in shape {} (rank {})",
            self.shape(),
            self.rank()
        );
        let size = self.dims()[axis];
        assert!(
            start <= size && len <= size - start,
            "narrow: positions {start}..{} are out of range of axis {axis} (size {size}) of shape {}",
            start.saturating_add(len),
            self.shape()
        );
        let mut dims = self.dims().to_vec();
        dims[axis] = len;
        let layout = AxisLayout::of(self.shape(), axis);
        Tensor::from_storage(self.storage().narrow(layout, start, len), Shape::new(dims))
    }

    /// Gradient of [`narrow`](Self::narrow): `self` (the output gradient) put back at positions
    /// `start..` along `axis` of a tensor whose size there is `size`, with zeros elsewhere: the
    /// `cat` of zeros, `self` and zeros.
    #[track_caller]
    pub fn narrow_backward(&self, axis: usize, start: usize, size: usize) -> Tensor {
        assert!(
            axis < self.rank() && start <= size && self.dims()[axis] <= size - start,
            "narrow backward: output gradient {} does not fit at {start} along axis {axis} of size {size}",
            self.shape()
        );
        let zeros = |len: usize| {
            let mut dims = self.dims().to_vec();
            dims[axis] = len;
            let shape = Shape::new(dims);
            let storage = Storage::full(shape.numel(), 0.0, self.device())
                .expect("the device already holds `self`");
            Tensor::from_storage(storage, shape)
        };
        let after = size - start - self.dims()[axis];
        Tensor::cat(&[zeros(start), self.clone(), zeros(after)], axis)
    }
}
