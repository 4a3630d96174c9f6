//! # rustgrad
//!
//! A deep-learning library written from scratch to be read. This root crate re-exports the
//! three crates of the workspace:
//!
//! - [`tensor`]: shapes, tensors on a device, and the one trait of kernels every backend implements;
//! - [`autograd`]: the tape and the backward rule of every differentiable op;
//! - [`nn`]: layers, losses, optimizers, data and checkpoints.
//!
//! See the README for a reading order through the source.

pub use autograd;
pub use nn;
pub use tensor;
