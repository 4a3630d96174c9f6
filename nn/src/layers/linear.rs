//! `nn.Linear`: `y = x · Wᵀ + b`, with W stored `[out, in]` as in PyTorch.

use crate::{init, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

pub struct Linear {
    pub weight: Parameter,
    pub bias: Parameter,
}

impl Linear {
    pub fn new(in_features: usize, out_features: usize, rng: &mut Rng) -> Self {
        Linear {
            weight: Parameter::new(init::default_weight([out_features, in_features], rng)),
            bias: Parameter::new(init::default_bias(out_features, in_features, rng)),
        }
    }
}

impl Module for Linear {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        // Wᵀ costs nothing: the GEMM reads W with swapped strides.
        input.matmul_t(&weight, false, true).add(&bias)
    }

    fn forward_relu(&self, input: &Var, ctx: &mut ForwardContext) -> Option<Var> {
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        Some(input.matmul_t(&weight, false, true).bias_relu(&bias, 1))
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
