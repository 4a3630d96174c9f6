//! The shape of a tensor: its size along each axis, row-major (the last axis is contiguous).

use std::fmt;

/// Sizes along each axis. A scalar has rank 0 and one element.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

impl Shape {
    pub fn new(dims: impl Into<Vec<usize>>) -> Self {
        Shape(dims.into())
    }

    pub fn scalar() -> Self {
        Shape(Vec::new())
    }

    pub fn dims(&self) -> &[usize] {
        &self.0
    }

    pub fn rank(&self) -> usize {
        self.0.len()
    }

    /// Number of elements: the product of the sizes (1 for a scalar).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }

    /// Row-major strides in elements: how far to step in memory for +1 along each axis.
    pub fn strides(&self) -> Vec<usize> {
        let mut strides = vec![1; self.rank()];
        for axis in (0..self.rank().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * self.0[axis + 1];
        }
        strides
    }

    /// Views the shape as (outer, len, inner) around `axis`: every reduction and softmax along
    /// one axis walks `outer` blocks of `len` steps of stride `inner`.
    pub fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        let outer = self.0[..axis].iter().product();
        let inner = self.0[axis + 1..].iter().product();
        (outer, self.0[axis], inner)
    }

    /// The same shape with `axis` removed (`keepdim = false`) or set to 1 (`keepdim = true`).
    pub fn reduced(&self, axis: usize, keepdim: bool) -> Shape {
        let mut dims = self.0.clone();
        if keepdim {
            dims[axis] = 1;
        } else {
            dims.remove(axis);
        }
        Shape(dims)
    }

    /// NumPy/PyTorch broadcasting: align the shapes at their last axis; each pair of sizes must
    /// be equal or one of them 1. Returns `None` when they are incompatible.
    pub fn broadcast(&self, other: &Shape) -> Option<Shape> {
        let rank = self.rank().max(other.rank());
        let mut dims = vec![0; rank];
        for (i, dim) in dims.iter_mut().enumerate() {
            let a = self.dim_from_end(rank - 1 - i);
            let b = other.dim_from_end(rank - 1 - i);
            *dim = match (a, b) {
                (a, b) if a == b => a,
                (1, b) => b,
                (a, 1) => a,
                _ => return None,
            };
        }
        Some(Shape(dims))
    }

    /// Size of the axis `k` places from the end, 1 beyond the rank (broadcasting's rule).
    fn dim_from_end(&self, k: usize) -> usize {
        if k < self.rank() {
            self.0[self.rank() - 1 - k]
        } else {
            1
        }
    }

    /// Strides for reading a tensor of this shape as if it had the (broadcast) shape `target`:
    /// axes of size 1 that were stretched get stride 0, missing leading axes too.
    pub fn broadcast_strides(&self, target: &Shape) -> Vec<usize> {
        let own = self.strides();
        let offset = target.rank() - self.rank();
        (0..target.rank())
            .map(|axis| {
                if axis < offset || self.0[axis - offset] == 1 {
                    0
                } else {
                    own[axis - offset]
                }
            })
            .collect()
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

impl From<&[usize]> for Shape {
    fn from(dims: &[usize]) -> Self {
        Shape(dims.to_vec())
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(dims: [usize; N]) -> Self {
        Shape(dims.to_vec())
    }
}

impl From<Vec<usize>> for Shape {
    fn from(dims: Vec<usize>) -> Self {
        Shape(dims)
    }
}

impl From<&Shape> for Shape {
    fn from(shape: &Shape) -> Self {
        shape.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strides_are_row_major() {
        assert_eq!(Shape::new([2, 3, 4]).strides(), vec![12, 4, 1]);
        assert_eq!(Shape::scalar().strides(), Vec::<usize>::new());
    }

    #[test]
    fn broadcasting_follows_numpy() {
        let a = Shape::new([8, 1, 6, 1]);
        let b = Shape::new([7, 1, 5]);
        assert_eq!(a.broadcast(&b), Some(Shape::new([8, 7, 6, 5])));
        assert_eq!(Shape::new([3]).broadcast(&Shape::new([4])), None);
        assert_eq!(
            Shape::new([3, 1]).broadcast_strides(&Shape::new([2, 3, 4])),
            vec![0, 1, 0]
        );
    }

    #[test]
    fn split_at_axis_gives_outer_len_inner() {
        assert_eq!(Shape::new([2, 3, 4, 5]).split_at_axis(1), (2, 3, 20));
    }
}
