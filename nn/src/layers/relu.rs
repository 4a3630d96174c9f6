//! `nn.ReLU`.

use crate::{ForwardContext, Module};
use autograd::Var;

pub struct ReLU;

impl Module for ReLU {
    fn forward(&self, input: &Var, _: &mut ForwardContext) -> Var {
        input.relu()
    }

    fn describe(&self) -> String {
        "ReLU".into()
    }

    fn is_relu(&self) -> bool {
        true
    }
}
