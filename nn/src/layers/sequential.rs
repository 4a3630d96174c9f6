//! `nn.Sequential`: layers applied in order; parameters named by position (`3.weight`).

use crate::module::prefixed;
use crate::{ForwardContext, Module, Parameter};
use autograd::Var;

#[derive(Default)]
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
}

impl Sequential {
    pub fn new(layers: Vec<Box<dyn Module>>) -> Self {
        Sequential { layers }
    }

    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }
}

impl Module for Sequential {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.forward(&x, ctx);
        }
        x
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        let children = self.layers.iter().enumerate();
        children
            .flat_map(|(i, layer)| prefixed(&i.to_string(), layer.parameters()))
            .collect()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let children = self.layers.iter_mut().enumerate();
        children
            .flat_map(|(i, layer)| prefixed(&i.to_string(), layer.parameters_mut()))
            .collect()
    }
}
