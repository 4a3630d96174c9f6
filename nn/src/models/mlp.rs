//! A multi-layer perceptron on flattened images:
//! `net = Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 10))`-style, with any
//! hidden sizes. Parameter names follow that Sequential: `net.1.weight`, `net.3.weight`, ...

use crate::layers::{Flatten, Linear, ReLU, Sequential};
use crate::module::prefixed;
use crate::{Buffer, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

pub struct Mlp {
    pub net: Sequential,
}

impl Mlp {
    /// `sizes` = [inputs, hidden..., outputs].
    pub fn new(sizes: &[usize], rng: &mut Rng) -> Self {
        let mut layers: Vec<Box<dyn Module>> = vec![Box::new(Flatten)];
        for (i, pair) in sizes.windows(2).enumerate() {
            layers.push(Box::new(Linear::new(pair[0], pair[1], rng)));
            if i + 2 < sizes.len() {
                layers.push(Box::new(ReLU));
            }
        }
        Mlp {
            net: Sequential::new(layers),
        }
    }
}

impl Module for Mlp {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let _net = ctx.enter("net");
        self.net.forward(input, ctx)
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        prefixed("net", self.net.parameters())
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        prefixed("net", self.net.parameters_mut())
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        prefixed("net", self.net.buffers())
    }
}
