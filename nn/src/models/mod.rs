//! Whole models, defined exactly as their PyTorch counterparts so checkpoints move between them.

mod alexnet;
mod mlp;

pub use alexnet::AlexNet;
pub use mlp::Mlp;
