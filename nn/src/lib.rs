//! # nn
//!
//! Neural-network building blocks on top of [`autograd`]: layers, losses, optimizers, data
//! loading and checkpoints. This crate is part of the workspace layout from the start so that
//! `rustgrad::nn` has a fixed home; its contents (the `Module` trait, Conv2d, MaxPool2d, Linear,
//! ReLU, Dropout, Flatten, Sequential, SGD, Adam, the Fashion-MNIST loader and safetensors
//! checkpoints) are built in the issue that follows the core, on the ops `autograd` provides.

pub use autograd;
pub use tensor;
