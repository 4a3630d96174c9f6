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

    /// Layers `i` (any), `i + 1` (a ReLU) and `i + 2` (a pool that takes the ReLU in) on `x`,
    /// each entered and reported under its own position as if run one by one.
    #[track_caller]
    fn layer_relu_pool(&self, i: usize, x: Var, ctx: &mut ForwardContext) -> Var {
        let (layer, relu, pool) = (&*self.layers[i], &*self.layers[i + 1], &*self.layers[i + 2]);
        let y = {
            let _position = ctx.enter(i.to_string());
            let y = layer.forward(&x, ctx);
            ctx.report_layer(layer, x.shape(), y.shape());
            y
        };
        drop(x); // the layer's input, if no tape keeps it, is not needed any more
        if ctx.lists_layers() {
            let _relu = ctx.enter((i + 1).to_string());
            ctx.report_layer(relu, y.shape(), y.shape());
        }
        let _position = ctx.enter((i + 2).to_string());
        let pooled = pool
            .forward_after_relu(&y, ctx)
            .expect("takes_relu_in() promised forward_after_relu");
        ctx.report_layer(pool, y.shape(), pooled.shape());
        pooled
    }
}

impl Module for Sequential {
    /// Layers in order, with two fusions that give the same result with less work:
    /// - layer, ReLU, MaxPool2d: the layer, then the pool with the ReLU taken in
    ///   ([`Module::forward_after_relu`]: the ReLU runs on the pooled values, and the layer's
    ///   full-size output is not kept for backward);
    /// - otherwise a layer followed by a ReLU runs both as one fused bias + ReLU pass when it
    ///   can (one pass over the activations is saved).
    ///
    /// Each layer runs under its position's name (see `ForwardContext::enter`), so its shape
    /// errors say which one it is, and reports its output for a summary
    /// (`ForwardContext::report_layer`).
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let mut x = input.clone();
        let mut i = 0;
        while i < self.layers.len() {
            let relu_follows = self.layers.get(i + 1).is_some_and(|next| next.is_relu());
            let pool_takes_relu =
                relu_follows && self.layers.get(i + 2).is_some_and(|l| l.takes_relu_in());
            if pool_takes_relu {
                x = self.layer_relu_pool(i, x, ctx);
                i += 3;
                continue;
            }
            let position = ctx.enter(i.to_string());
            let layer = &*self.layers[i];
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
