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

use crate::{ForwardContext, Parameter};
use std::fmt;
use tensor::Shape;

/// FLOPs of a Conv2d or a Linear layer with this `weight` that produced `output`: each output
/// value is the dot product of one filter (a row of the weight: `in` values for Linear,
/// `in · kh · kw` for Conv2d) with as many inputs, one multiply-add per weight, 2 FLOPs each.
/// The bias additions (one per output value) are left out, as in the usual counts.
fn dot_product_flops(weight: &Parameter, output: &Shape) -> f64 {
    let weights_per_filter: usize = weight.value.dims().iter().skip(1).product();
    2.0 * output.numel() as f64 * weights_per_filter as f64
}

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
