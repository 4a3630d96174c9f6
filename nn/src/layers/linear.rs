//! `nn.Linear`: `y = x · Wᵀ + b`, with W stored `[out, in]` as in PyTorch.

use super::{refuse_input, weight_and_bias_methods, weight_and_bias_values};
use crate::{init, ForwardContext, Module, Parameter};
use autograd::Var;
use std::fmt;
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
        let (weight, bias) = weight_and_bias_values(ctx, &self.weight, &self.bias);
        // Wᵀ costs nothing: the GEMM reads W with swapped strides.
        input.matmul_t(&weight, false, true).add(&bias)
    }

    fn forward_relu(&self, input: &Var, ctx: &mut ForwardContext) -> Option<Var> {
        self.check_input(input, ctx);
        let (weight, bias) = weight_and_bias_values(ctx, &self.weight, &self.bias);
        Some(input.matmul_t(&weight, false, true).bias_relu(&bias, 1))
    }

    // `describe`, `flops`, `parameters` and `parameters_mut`, the same as Conv2d's (layers/mod.rs).
    weight_and_bias_methods!();
}
