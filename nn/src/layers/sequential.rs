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
    /// Layers in order; a layer followed by a ReLU runs both as one fused bias + ReLU pass when
    /// it can (the result is the same, one pass over the activations is saved). Each layer runs
    /// under its position's name (see `ForwardContext::enter`), so its shape errors say which
    /// one it is.
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let mut x = input.clone();
        let mut i = 0;
        while i < self.layers.len() {
            let _position = ctx.enter(i.to_string());
            let relu_follows = self.layers.get(i + 1).is_some_and(|next| next.is_relu());
            if relu_follows {
                if let Some(y) = self.layers[i].forward_relu(&x, ctx) {
                    x = y;
                    i += 2;
                    continue;
                }
            }
            x = self.layers[i].forward(&x, ctx);
            i += 1;
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
