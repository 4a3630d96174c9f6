//! `nn.Flatten`: `[N, C, H, W] → [N, C·H·W]`.

use crate::{ForwardContext, Module};
use autograd::Var;

pub struct Flatten;

impl Module for Flatten {
    fn forward(&self, input: &Var, _: &mut ForwardContext) -> Var {
        input.flatten_from_1()
    }
}
