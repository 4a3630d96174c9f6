//! The softmax family on the GPU (kernels/softmax.cu): softmax, log-softmax, and the fused
//! softmax-cross-entropy with its gradient. The CPU versions are in `cpu/softmax.rs`.

use super::error::to_u32;
use super::launch::{KernelArg, Launch};
use super::{elementwise, reduce, CudaIndices, CudaStorage};
use crate::backend::{AxisLayout, ReduceOp, UnaryOp};

/// `enum class SoftmaxKind` of kernels/common.cuh.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SoftmaxKind {
    Softmax = 0,
    LogSoftmax = 1,
}

impl SoftmaxKind {
    /// Every variant, for the test that compares them with common.cuh.
    #[cfg(test)]
    pub const ALL: [SoftmaxKind; 2] = [SoftmaxKind::Softmax, SoftmaxKind::LogSoftmax];
}

// Safety: `#[repr(u32)]` with the values of `enum class SoftmaxKind : u32`.
unsafe impl KernelArg for SoftmaxKind {}

/// Softmax or log-softmax of every lane of `x` viewed as `[outer, len, inner]`.
pub fn softmax(x: &CudaStorage, l: AxisLayout, kind: SoftmaxKind) -> CudaStorage {
    let out = CudaStorage::uninit(x.device(), x.len());
    let (outer, len, inner) = (
        to_u32(l.outer, "outer size"),
        to_u32(l.len, "axis length"),
        to_u32(l.inner, "inner size"),
    );
    Launch::grid_stride(x.device(), "softmax_axis", l.outer * l.inner)
        .arg(&out.all())
        .arg(&x.all())
        .arg(&outer)
        .arg(&len)
        .arg(&inner)
        .arg(&kind)
        .run();
    out
}

/// Mean over rows of `−log softmax(row)[label]`: one value, left on the device.
pub fn cross_entropy(
    logits: &CudaStorage,
    labels: &CudaIndices,
    rows: usize,
    classes: usize,
) -> CudaStorage {
    let losses = CudaStorage::uninit(logits.device(), rows);
    let (rows32, classes32) = (to_u32(rows, "rows"), to_u32(classes, "classes"));
    Launch::grid_stride(logits.device(), "cross_entropy_rows", rows)
        .arg(&losses.all())
        .arg(&logits.all())
        .arg(&labels.all())
        .arg(&rows32)
        .arg(&classes32)
        .run();
    let all_rows = AxisLayout {
        outer: 1,
        len: rows,
        inner: 1,
    };
    let sum = reduce::reduce(&losses, ReduceOp::Sum, all_rows);
    elementwise::unary(&sum, UnaryOp::MulScalar(1.0 / rows as f32))
}

/// `grad_loss · (softmax(row) − one_hot(label)) / rows`, reading `grad_loss` on the device.
pub fn cross_entropy_backward(
    logits: &CudaStorage,
    labels: &CudaIndices,
    grad_loss: &CudaStorage,
    rows: usize,
    classes: usize,
) -> CudaStorage {
    let out = CudaStorage::uninit(logits.device(), rows * classes);
    let (rows32, classes32) = (to_u32(rows, "rows"), to_u32(classes, "classes"));
    Launch::grid_stride(logits.device(), "cross_entropy_backward", rows * classes)
        .arg(&out.all())
        .arg(&logits.all())
        .arg(&labels.all())
        .arg(&grad_loss.all())
        .arg(&rows32)
        .arg(&classes32)
        .run();
    out
}
