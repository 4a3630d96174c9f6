//! `nn.Conv2d`: a learned bank of filters slid over the image.

use super::{refuse_input, weight_and_bias_methods, weight_and_bias_values};
use crate::{init, ForwardContext, Module, Parameter};
use autograd::Var;
use std::fmt;
use tensor::{Conv2dGeometry, Rng};

pub struct Conv2d {
    pub weight: Parameter,
    pub bias: Parameter,
    pub stride: usize,
    pub padding: usize,
}

impl Conv2d {
    /// Square `kernel`, PyTorch's default initialisation.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        rng: &mut Rng,
    ) -> Self {
        let fan_in = in_channels * kernel * kernel;
        Conv2d {
            weight: Parameter::new(init::default_weight(
                [out_channels, in_channels, kernel, kernel],
                rng,
            )),
            bias: Parameter::new(init::default_bias(out_channels, fan_in, rng)),
            stride,
            padding,
        }
    }

    /// Panics, naming this layer, unless `input` is `[N, in_channels, H, W]` with room for the
    /// kernel.
    #[track_caller]
    fn check_input(&self, input: &Var, ctx: &ForwardContext) {
        let weight = self.weight.value.shape();
        let &[_, in_channels, _, _] = weight.dims() else {
            return; // a weight that is not 4-D: the convolution's own message says so
        };
        let dims = input.dims();
        if dims.len() != 4 || dims[1] != in_channels {
            // [C, H, W]: one image without its batch axis (PyTorch would accept it).
            let hint = if dims.len() == 3 && dims[0] == in_channels {
                format!("; for one image, reshape it to {:?}", [&[1], dims].concat())
            } else {
                String::new()
            };
            refuse_input(
                ctx,
                self,
                format_args!(
                    "expected input [N, {in_channels}, H, W], got {}{hint}",
                    input.shape()
                ),
            );
        }
        let geometry =
            Conv2dGeometry::try_from_shapes(input.shape(), weight, self.stride, self.padding);
        if let Err(why) = geometry {
            refuse_input(ctx, self, format_args!("input {}: {why}", input.shape()));
        }
    }
}

/// `Conv2d(1 → 96, kernel 11, stride 4, padding 0)`: how shape errors name the layer.
impl fmt::Display for Conv2d {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (stride, padding) = (self.stride, self.padding);
        match self.weight.value.dims() {
            &[out_channels, in_channels, kernel_h, kernel_w] => {
                write!(f, "Conv2d({in_channels} → {out_channels}, kernel ")?;
                if kernel_h == kernel_w {
                    write!(f, "{kernel_h}")?;
                } else {
                    write!(f, "{kernel_h}x{kernel_w}")?;
                }
                write!(f, ", stride {stride}, padding {padding})")
            }
            _ => write!(f, "Conv2d(weight {})", self.weight.value.shape()),
        }
    }
}

impl Module for Conv2d {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        self.check_input(input, ctx);
        let (weight, bias) = weight_and_bias_values(ctx, &self.weight, &self.bias);
        input.conv2d(&weight, Some(&bias), self.stride, self.padding)
    }

    fn forward_relu(&self, input: &Var, ctx: &mut ForwardContext) -> Option<Var> {
        self.check_input(input, ctx);
        let (weight, bias) = weight_and_bias_values(ctx, &self.weight, &self.bias);
        let convolved = input.conv2d(&weight, None, self.stride, self.padding);
        Some(convolved.bias_relu(&bias, 1))
    }

    // `describe`, `flops`, `parameters` and `parameters_mut`, the same as Linear's (layers/mod.rs).
    weight_and_bias_methods!();
}
