//! `nn.Dropout`: in training, zero each value with probability p and scale the rest by
//! 1/(1 − p); in evaluation, the identity.

use crate::{ForwardContext, Module};
use autograd::Var;

pub struct Dropout {
    pub p: f32,
}

impl Dropout {
    /// Zeroes each value with probability `p` during training (and scales the others by
    /// `1 / (1 − p)`); `p` must be in `[0, 1]`, as in PyTorch (at 1 everything is zeroed).
    #[track_caller]
    pub fn new(p: f32) -> Self {
        assert!(
            (0.0..=1.0).contains(&p),
            "Dropout: probability {p} is not in [0, 1]"
        );
        Dropout { p }
    }
}

impl Module for Dropout {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        if !ctx.is_training() {
            return input.clone();
        }
        input.dropout(self.p, ctx.next_seed())
    }

    /// `Dropout(0.5)`, as PyTorch models are written.
    fn describe(&self) -> String {
        format!("Dropout({})", self.p)
    }
}
