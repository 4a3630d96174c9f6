//! The layers of a convolutional network, one per file.

mod adaptive_avg_pool2d;
mod avg_pool2d;
mod batch_norm;
mod conv2d;
mod dropout;
mod flatten;
mod linear;
mod max_pool2d;
mod relu;
mod sequential;
mod sigmoid;

pub use adaptive_avg_pool2d::AdaptiveAvgPool2d;
pub use avg_pool2d::AvgPool2d;
pub use batch_norm::{BatchNorm, BatchNorm1d, BatchNorm2d};
pub use conv2d::Conv2d;
pub use dropout::Dropout;
pub use flatten::Flatten;
pub use linear::Linear;
pub use max_pool2d::MaxPool2d;
pub use relu::ReLU;
pub use sequential::Sequential;
pub use sigmoid::Sigmoid;

use crate::{ForwardContext, Parameter};
use autograd::Var;
use std::fmt;
use tensor::{Pool2dGeometry, Shape};

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

/// `weight` and `bias` under their PyTorch names: the parameters of Conv2d and Linear, as
/// references (`&Parameter`, for `parameters`) or mutable ones (for `parameters_mut`).
fn weight_and_bias<P>(weight: P, bias: P) -> Vec<(String, P)> {
    vec![("weight".into(), weight), ("bias".into(), bias)]
}

/// Conv2d's and Linear's `weight` and `bias` as values of this forward pass (see
/// [`ForwardContext::parameter`]).
fn weight_and_bias_values(
    ctx: &mut ForwardContext,
    weight: &Parameter,
    bias: &Parameter,
) -> (Var, Var) {
    (ctx.parameter("weight", weight), ctx.parameter("bias", bias))
}

/// The `Module` methods that Conv2d and Linear share, written once inside each one's
/// `impl Module` (after its forward passes, which differ): both hold a `weight` (one filter of
/// `in` inputs per output) and a `bias`, count FLOPs as dot products, and describe themselves
/// with their `Display`.
macro_rules! weight_and_bias_methods {
    () => {
        fn describe(&self) -> String {
            self.to_string()
        }

        fn flops(&self, _input: &tensor::Shape, output: &tensor::Shape) -> f64 {
            super::dot_product_flops(&self.weight, output)
        }

        fn parameters(&self) -> Vec<(String, &crate::Parameter)> {
            super::weight_and_bias(&self.weight, &self.bias)
        }

        fn parameters_mut(&mut self) -> Vec<(String, &mut crate::Parameter)> {
            super::weight_and_bias(&mut self.weight, &mut self.bias)
        }
    };
}
use weight_and_bias_methods;

/// The `Display` and `Module` impls of a pooling layer (MaxPool2d, AvgPool2d), written once:
/// `$layer` has the fields `kernel`, `stride` and `padding`, and pools each window with
/// `Var::$pool`. No `flops`: comparisons or one addition per input, no multiply-adds (see
/// [`Module::flops`](crate::Module::flops)).
macro_rules! pooling_layer {
    // `after_relu: op` adds `forward_after_relu`, running `input.op(kernel, stride, padding)`.
    ($layer:ident, $pool:ident $(, after_relu: $fused:ident)?) => {
        /// `MaxPool2d(kernel 3, stride 2, padding 0)`: how shape errors name the layer.
        impl std::fmt::Display for $layer {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                let (kernel, stride, padding) = (self.kernel, self.stride, self.padding);
                let layer = stringify!($layer);
                write!(
                    f,
                    "{layer}(kernel {kernel}, stride {stride}, padding {padding})"
                )
            }
        }

        impl crate::Module for $layer {
            fn forward(
                &self,
                input: &autograd::Var,
                ctx: &mut crate::ForwardContext,
            ) -> autograd::Var {
                let window = [self.kernel, self.stride, self.padding];
                super::check_pool_input(ctx, self, input, window);
                input.$pool(self.kernel, self.stride, self.padding)
            }

            $(
                fn forward_after_relu(
                    &self,
                    input: &autograd::Var,
                    ctx: &mut crate::ForwardContext,
                ) -> Option<autograd::Var> {
                    let window = [self.kernel, self.stride, self.padding];
                    super::check_pool_input(ctx, self, input, window);
                    Some(input.$fused(self.kernel, self.stride, self.padding))
                }

                fn takes_relu_in(&self) -> bool {
                    true
                }
            )?

            fn describe(&self) -> String {
                self.to_string()
            }
        }
    };
}
use pooling_layer;

/// Panics, naming the pooling `layer`, unless `input` is `[N, C, H, W]` with room for its window
/// (`[kernel, stride, padding]`).
#[track_caller]
fn check_pool_input(
    ctx: &ForwardContext,
    layer: &dyn fmt::Display,
    input: &Var,
    window: [usize; 3],
) {
    let shape = input.shape();
    if input.dims().len() != 4 {
        refuse_input(
            ctx,
            layer,
            format_args!("expected input [N, C, H, W], got {shape}"),
        );
    }
    let [kernel, stride, padding] = window;
    if let Err(why) = Pool2dGeometry::try_from_shape(shape, kernel, stride, padding) {
        refuse_input(ctx, layer, format_args!("input {shape}: {why}"));
    }
}
