//! `nn.Sigmoid`: the logistic function `1 / (1 + e⁻ˣ)`, elementwise (LeNet's activation).

use crate::{ForwardContext, Module};
use autograd::Var;

pub struct Sigmoid;

impl Module for Sigmoid {
    fn forward(&self, input: &Var, _: &mut ForwardContext) -> Var {
        input.sigmoid()
    }

    fn describe(&self) -> String {
        "Sigmoid".into()
    }
}
