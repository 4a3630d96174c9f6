//! `nn.Conv2d`: a learned bank of filters slid over the image.

use crate::{init, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

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
}

impl Module for Conv2d {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        input.conv2d(&weight, Some(&bias), self.stride, self.padding)
    }

    fn forward_relu(&self, input: &Var, ctx: &mut ForwardContext) -> Option<Var> {
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        let convolved = input.conv2d(&weight, None, self.stride, self.padding);
        Some(convolved.bias_relu(&bias, 1))
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        vec![
            ("weight".into(), &mut self.weight),
            ("bias".into(), &mut self.bias),
        ]
    }
}
