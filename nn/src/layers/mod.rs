//! The layers of a convolutional network, one per file.

mod conv2d;
mod dropout;
mod flatten;
mod linear;
mod max_pool2d;
mod relu;
mod sequential;

pub use conv2d::Conv2d;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use linear::Linear;
pub use max_pool2d::MaxPool2d;
pub use relu::ReLU;
pub use sequential::Sequential;

use crate::ForwardContext;
use std::fmt;

/// Panics because `layer` cannot take its input: the message names the layer's place in the
/// model (when a container named it), the layer, and the `problem` with the shapes. A layer checks
/// its input itself, before the tensor ops, so that the message says which layer it is: the
/// op's own message ("matmul: shapes [8, 6300] and [4096, 6400] ...") would not, and the
/// reported line is the model's caller, which may run many layers.
#[track_caller]
fn refuse_input(ctx: &ForwardContext, layer: &dyn fmt::Display, problem: fmt::Arguments) -> ! {
    match ctx.module_path() {
        Some(path) => panic!("module {path}, {layer}: {problem}"),
        None => panic!("{layer}: {problem}"),
    }
}
