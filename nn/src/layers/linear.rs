//! `nn.Linear`: `y = x · Wᵀ + b`, with W stored `[out, in]` as in PyTorch.

use super::{dot_product_flops, refuse_input};
use crate::{init, ForwardContext, Module, Parameter};
use autograd::Var;
use std::fmt;
use tensor::{Rng, Shape};

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

    /// Panics, naming this layer, unless `input` is `[N, in_features]`.
    #[track_caller]
    fn check_input(&self, input: &Var, ctx: &ForwardContext) {
        let &[_, in_features] = self.weight.value.dims() else {
            return; // a weight that is not 2-D: the matmul's own message says so
        };
        let dims = input.dims();
        if dims.len() == 2 && dims[1] == in_features {
            return;
        }
        // [N, C, H, W] with C·H·W = in_features: a missing Flatten, a common slip.
        let flattens = dims.len() > 2 && dims[1..].iter().product::<usize>() == in_features;
        let hint = if flattens {
            "; flatten it first (layers::Flatten)"
        } else {
            ""
        };
        refuse_input(
            ctx,
            self,
            format_args!(
                "expected input [N, {in_features}], got {}{hint}",
                input.shape()
            ),
        );
    }
}

/// `Linear(6400 → 4096)`: how shape errors name the layer.
impl fmt::Display for Linear {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.weight.value.dims() {
            [out_features, in_features] => write!(f, "Linear({in_features} → {out_features})"),
            _ => write!(f, "Linear(weight {})", self.weight.value.shape()),
        }
    }
}

impl Module for Linear {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        self.check_input(input, ctx);
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        // Wᵀ costs nothing: the GEMM reads W with swapped strides.
        input.matmul_t(&weight, false, true).add(&bias)
    }

    fn forward_relu(&self, input: &Var, ctx: &mut ForwardContext) -> Option<Var> {
        self.check_input(input, ctx);
        let (weight, bias) = (ctx.parameter(&self.weight), ctx.parameter(&self.bias));
        Some(input.matmul_t(&weight, false, true).bias_relu(&bias, 1))
    }

    fn describe(&self) -> String {
        self.to_string()
    }

    fn flops(&self, _input: &Shape, output: &Shape) -> f64 {
        dot_product_flops(&self.weight, output)
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
