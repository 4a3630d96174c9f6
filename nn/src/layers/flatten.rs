//! `nn.Flatten`: `[N, C, H, W] → [N, C·H·W]`.

use super::refuse_input;
use crate::{ForwardContext, Module};
use autograd::Var;

pub struct Flatten;

impl Module for Flatten {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        if input.dims().is_empty() {
            let shape = input.shape();
            refuse_input(
                ctx,
                &"Flatten",
                format_args!("expected input [N, ...], got {shape}"),
            );
        }
        input.flatten_from_1()
    }

    fn describe(&self) -> String {
        "Flatten".into()
    }
}
