//! `nn.MaxPool2d`: the largest value of each window.

use super::refuse_input;
use crate::{ForwardContext, Module};
use autograd::Var;
use std::fmt;
use tensor::Pool2dGeometry;

pub struct MaxPool2d {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl MaxPool2d {
    pub fn new(kernel: usize, stride: usize) -> Self {
        MaxPool2d {
            kernel,
            stride,
            padding: 0,
        }
    }
}

/// `MaxPool2d(kernel 3, stride 2, padding 0)`: how shape errors name the layer.
impl fmt::Display for MaxPool2d {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (kernel, stride, padding) = (self.kernel, self.stride, self.padding);
        write!(
            f,
            "MaxPool2d(kernel {kernel}, stride {stride}, padding {padding})"
        )
    }
}

impl Module for MaxPool2d {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        if input.dims().len() != 4 {
            let shape = input.shape();
            refuse_input(
                ctx,
                self,
                format_args!("expected input [N, C, H, W], got {shape}"),
            );
        }
        let geometry =
            Pool2dGeometry::try_from_shape(input.shape(), self.kernel, self.stride, self.padding);
        if let Err(why) = geometry {
            refuse_input(ctx, self, format_args!("input {}: {why}", input.shape()));
        }
        input.max_pool2d(self.kernel, self.stride, self.padding)
    }

    // No `flops`: comparisons, not multiply-adds (see `Module::flops`).
    fn describe(&self) -> String {
        self.to_string()
    }
}
