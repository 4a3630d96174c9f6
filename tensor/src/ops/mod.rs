//! `Tensor`'s operations, one file per family. Each method checks shapes (panicking with a
//! message that names the op and the shapes, at the caller's line), works out the geometry, and
//! hands the buffers to the device's kernel through the [`Backend`](crate::Backend) trait.

mod conv;
mod elementwise;
mod layout;
mod matmul;
mod optim;
mod pool;
mod reduce;
mod resize;
mod softmax;

use crate::Tensor;

/// Panics unless both tensors live on the same device: mixing devices is a programming error.
#[track_caller]
pub(crate) fn assert_same_device(op: &str, a: &Tensor, b: &Tensor) {
    assert!(
        a.device() == b.device(),
        "{op}: tensors are on different devices ({} and {}); move one with .to(device)",
        a.device(),
        b.device()
    );
}
