//! `nn.Sequential`: layers applied in order; parameters and buffers named by position
//! (`3.weight`, `4.running_mean`).

use crate::module::prefixed;
use crate::{Buffer, ForwardContext, Module, Parameter};
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
    /// one it is, and reports its output for a summary (`ForwardContext::report_layer`).
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let mut x = input.clone();
        let mut i = 0;
        while i < self.layers.len() {
            let position = ctx.enter(i.to_string());
            let layer = &*self.layers[i];
            let relu_follows = self.layers.get(i + 1).is_some_and(|next| next.is_relu());
            let fused = if relu_follows {
                layer.forward_relu(&x, ctx)
            } else {
                None
            };
            if let Some(y) = fused {
                ctx.report_layer(layer, x.shape(), y.shape());
                drop(position);
                // The ReLU ran inside the fused pass, but a summary lists it as the layer it is
                // (same shape in and out), under its own position.
                if ctx.lists_layers() {
                    let _relu = ctx.enter((i + 1).to_string());
                    ctx.report_layer(&*self.layers[i + 1], y.shape(), y.shape());
                }
                x = y;
                i += 2;
            } else {
                let y = layer.forward(&x, ctx);
                ctx.report_layer(layer, x.shape(), y.shape());
                x = y;
                i += 1;
            }
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

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        let children = self.layers.iter().enumerate();
        children
            .flat_map(|(i, layer)| prefixed(&i.to_string(), layer.buffers()))
            .collect()
    }
}
