//! # tensor
//!
//! rustgrad's tensor crate: [`Shape`], [`Tensor`] (f32) and [`Indices`] (u32) on a [`Device`],
//! and the [`Backend`] trait — the one list of kernels that every device implements.
//!
//! Reading order: `shape.rs` → `tensor.rs` → `backend.rs` (the kernel set) → `ops/` (what each
//! tensor method checks before calling a kernel) → `cpu/` (the kernels, each beside its naive
//! reference).

pub mod backend;
pub mod cpu;
#[cfg(feature = "cuda")]
pub mod cuda;
mod device;
mod error;
mod indices;
mod ops;
mod packed_bytes;
pub mod rng;
mod shape;
mod storage;
mod tensor;

pub use backend::{
    AdamStep, AdamUpdate, AdaptivePool2dGeometry, AxisLayout, Backend, BinaryOp, BroadcastShapes,
    Conv2dGeometry, GatherImages, GemmSpec, Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep,
    UnaryOp,
};
pub use device::Device;
pub use error::{Error, Result};
pub use indices::Indices;
pub use packed_bytes::PackedBytes;
pub use rng::Rng;
pub use shape::Shape;
pub use tensor::Tensor;

/// Tensor-core TF32 math on the GPU for both convolution and matmul GEMMs (`true`), or for neither
/// (`false`). The default is PyTorch's: on for convolutions, off for matmul/Linear. Has no effect
/// on the CPU or in builds without the `cuda` feature.
pub fn set_tf32(enabled: bool) {
    #[cfg(feature = "cuda")]
    cuda::set_tf32(enabled);
    #[cfg(not(feature = "cuda"))]
    let _ = enabled;
}
