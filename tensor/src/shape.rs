//! The shape of a tensor: its size along each axis, row-major (the last axis is contiguous).
//!
//! Sizes come from user code, so their arithmetic is checked: a product that overflowed `usize`
//! would wrap (in release builds) into a small or zero size, and a huge tensor would silently
//! become an empty one. [`Shape::numel`] and [`Shape::strides`] panic instead, and ops check the
//! shapes they create with [`Shape::check_numel`], which names the op and also refuses a tensor
//! whose bytes would not fit in one allocation.

use std::fmt;

/// Sizes along each axis. A scalar has rank 0 and one element.
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(Vec<usize>);

/// Bytes per element of every tensor buffer (`f32` values, `u32` indices).
const ELEMENT_BYTES: usize = 4;

impl Shape {
    /// The most elements a tensor can have: Rust allocates at most `isize::MAX` bytes at once.
    pub const MAX_NUMEL: usize = isize::MAX as usize / ELEMENT_BYTES;

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

    /// The product of the non-zero sizes, or `None` when it overflows `usize`. Every product of
    /// some of the sizes (the element count, each stride, the blocks of `split_at_axis`) is either
    /// 0 or at most this, so once it fits, they all do.
    fn product_of_nonzero_sizes(&self) -> Option<usize> {
        self.0
            .iter()
            .filter(|&&d| d != 0)
            .try_fold(1usize, |product, &d| product.checked_mul(d))
    }

    /// Why sizes whose product overflows cannot make a tensor (the reason after "shape [..] ").
    fn overflow_reason(&self) -> &'static str {
        if self.0.contains(&0) {
            "is too large: the product of its non-zero sizes overflows usize, and so would its strides"
        } else {
            "is too large: the product of its sizes overflows usize"
        }
    }

    /// Number of elements: the product of the sizes (1 for a scalar). Panics, in every build,
    /// when the product overflows `usize` (ops check first with [`check_numel`](Shape::check_numel),
    /// which names the op).
    #[track_caller]
    pub fn numel(&self) -> usize {
        let Some(product) = self.product_of_nonzero_sizes() else {
            panic!("shape {self} {}", self.overflow_reason());
        };
        if self.0.contains(&0) {
            0
        } else {
            product
        }
    }

    /// Number of elements of a tensor of this shape, or why there cannot be one: the product of
    /// the sizes overflows `usize`, or its buffer would be larger than one allocation can be.
    pub fn try_numel(&self) -> Result<usize, String> {
        if self.product_of_nonzero_sizes().is_none() {
            return Err(self.overflow_reason().to_string());
        }
        let numel = self.numel();
        if numel > Shape::MAX_NUMEL {
            return Err(format!(
                "needs {} bytes ({ELEMENT_BYTES} per element), more than one allocation can hold ({} bytes)",
                numel as u128 * ELEMENT_BYTES as u128,
                isize::MAX
            ));
        }
        Ok(numel)
    }

    /// [`try_numel`](Shape::try_numel) for a tensor that `op` is about to create: panics at the
    /// caller's line with a message naming the op and the shape when there cannot be one.
    #[track_caller]
    pub fn check_numel(&self, op: &str) -> usize {
        match self.try_numel() {
            Ok(numel) => numel,
            Err(why) => panic!("{op}: shape {self} {why}"),
        }
    }

    /// Row-major strides in elements: how far to step in memory for +1 along each axis.
    #[track_caller]
    pub fn strides(&self) -> Vec<usize> {
        // Each stride is a product of some sizes: checking them all at once makes the plain
        // multiplications below safe.
        if self.product_of_nonzero_sizes().is_none() {
            panic!("shape {self} {}", self.overflow_reason());
        }
        let mut strides = vec![1; self.rank()];
        for axis in (0..self.rank().saturating_sub(1)).rev() {
            strides[axis] = strides[axis + 1] * self.0[axis + 1];
        }
        strides
    }

    /// Views the shape as (outer, len, inner) around `axis`: every reduction and softmax along
    /// one axis walks `outer` blocks of `len` steps of stride `inner`.
    #[track_caller]
    pub fn split_at_axis(&self, axis: usize) -> (usize, usize, usize) {
        // Both products are 0 or at most the product of the non-zero sizes: check that once.
        if self.product_of_nonzero_sizes().is_none() {
            panic!("shape {self} {}", self.overflow_reason());
        }
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
    /// be equal or one of them 1. Returns `None` when they are incompatible. The result can be
    /// too large for a tensor even when both inputs fit: check it with `try_numel`.
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
    #[track_caller]
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

    #[test]
    fn sizes_that_overflow_are_refused_in_every_build() {
        let huge = Shape::new([1 << 40, 1 << 40]);
        assert!(huge.try_numel().unwrap_err().contains("overflows usize"));
        let numel = std::panic::catch_unwind(|| huge.numel()).unwrap_err();
        assert_eq!(
            numel.downcast_ref::<String>().unwrap(),
            "shape [1099511627776, 1099511627776] is too large: the product of its sizes overflows usize"
        );
        assert!(std::panic::catch_unwind(|| huge.strides()).is_err());
        // An empty shape has no elements, but its strides would still overflow.
        let empty = Shape::new([0, 1 << 40, 1 << 40]);
        assert!(empty
            .try_numel()
            .unwrap_err()
            .contains("non-zero sizes overflows"));
        assert!(std::panic::catch_unwind(|| empty.strides()).is_err());
        assert_eq!(Shape::new([0, 1 << 40]).try_numel(), Ok(0));
    }

    #[test]
    fn sizes_whose_bytes_do_not_fit_one_allocation_are_refused() {
        assert_eq!(
            Shape::new([Shape::MAX_NUMEL]).try_numel(),
            Ok(Shape::MAX_NUMEL)
        );
        let too_big = Shape::new([Shape::MAX_NUMEL + 1]);
        assert_eq!(too_big.numel(), Shape::MAX_NUMEL + 1, "it can be counted");
        assert_eq!(
            too_big.try_numel().unwrap_err(),
            "needs 9223372036854775808 bytes (4 per element), more than one allocation can hold (9223372036854775807 bytes)"
        );
        let message = std::panic::catch_unwind(|| Shape::new([1 << 62]).check_numel("zeros"));
        assert_eq!(
            message.unwrap_err().downcast_ref::<String>().unwrap(),
            "zeros: shape [4611686018427387904] needs 18446744073709551616 bytes (4 per element), more than one allocation can hold (9223372036854775807 bytes)"
        );
    }
}
