//! A multi-layer perceptron on flattened images:
//! `net = Sequential(Flatten(), Linear(784, 256), ReLU(), Linear(256, 10))`-style, with any
//! hidden sizes. Parameter names follow that Sequential: `net.1.weight`, `net.3.weight`, ...

use crate::layers::{Flatten, Linear, ReLU, Sequential};
use crate::Module;
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

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(Mlp);
