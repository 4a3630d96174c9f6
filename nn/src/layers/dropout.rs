//! `nn.Dropout`: in training, zero each value with probability p and scale the rest by
//! 1/(1 − p); in evaluation, the identity.

use crate::{ForwardContext, Module};
use autograd::Var;

pub struct Dropout {
    pub p: f32,
}

impl Dropout {
    pub fn new(p: f32) -> Self {
        Dropout { p }
    }
}

impl Module for Dropout {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        if !ctx.is_training() {
            return input.clone();
        }
        input.dropout(self.p, ctx.next_seed(), true)
    }
}
