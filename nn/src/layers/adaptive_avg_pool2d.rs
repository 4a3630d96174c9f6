//! `nn.AdaptiveAvgPool2d`: the mean over windows chosen so that the output has a given size,
//! whatever the input's (`(1, 1)`: global average pooling, as at the end of NiN and ResNet).

use super::refuse_input;
use crate::{ForwardContext, Module};
use autograd::Var;
use std::fmt;
use tensor::AdaptivePool2dGeometry;

/// `torch.nn.AdaptiveAvgPool2d((out_h, out_w))`: output row `i` averages input rows
/// `floor(i·H/out_h) .. ceil((i + 1)·H/out_h)`, columns likewise.
pub struct AdaptiveAvgPool2d {
    pub out_h: usize,
    pub out_w: usize,
}

impl AdaptiveAvgPool2d {
    pub fn new(out_h: usize, out_w: usize) -> Self {
        AdaptiveAvgPool2d { out_h, out_w }
    }
}

/// `AdaptiveAvgPool2d((1, 1))`, as PyTorch prints it: how shape errors name the layer.
impl fmt::Display for AdaptiveAvgPool2d {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdaptiveAvgPool2d(({}, {}))", self.out_h, self.out_w)
    }
}

impl Module for AdaptiveAvgPool2d {
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
            AdaptivePool2dGeometry::try_from_shape(input.shape(), self.out_h, self.out_w);
        if let Err(why) = geometry {
            refuse_input(ctx, self, format_args!("input {}: {why}", input.shape()));
        }
        input.adaptive_avg_pool2d(self.out_h, self.out_w)
    }

    // No `flops`: additions, no multiply-adds (see `Module::flops`).
    fn describe(&self) -> String {
        self.to_string()
    }
}
