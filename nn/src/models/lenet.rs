//! LeNet-5 for 28×28 Fashion-MNIST images, as "Dive into Deep Learning" (§7.6) defines it:
//!
//! ```text
//! net = Sequential(Conv2d(1, 6, 5, padding=2), Sigmoid(), AvgPool2d(2, 2),    # 0, 1, 2
//!                  Conv2d(6, 16, 5), Sigmoid(), AvgPool2d(2, 2), Flatten(),   # 3, 4, 5, 6
//!                  Linear(400, 120), Sigmoid(), Linear(120, 84), Sigmoid(),   # 7 … 10
//!                  Linear(84, 10))                                            # 11
//! ```
//!
//! 1×28×28 → 6×28×28 → 6×14×14 → 16×10×10 → 16×5×5 → 400 → 120 → 84 → 10; 61,706 parameters,
//! named `net.0.weight`, `net.3.*`, `net.7.*`, `net.9.*`, `net.11.*` as in PyTorch.

use super::CLASSES;
use crate::init;
use crate::layers::{AvgPool2d, Conv2d, Flatten, Linear, Sequential, Sigmoid};
use tensor::Rng;

pub struct LeNet {
    pub net: Sequential,
}

impl LeNet {
    /// The book's LeNet as it trains it: Xavier-uniform weights ([`init::init_cnn`]), PyTorch's
    /// default biases.
    pub fn new(rng: &mut Rng) -> Self {
        let net = Sequential::new(vec![
            Box::new(Conv2d::new(1, 6, 5, 1, 2, rng)),
            Box::new(Sigmoid),
            Box::new(AvgPool2d::new(2, 2, 0)),
            Box::new(Conv2d::new(6, 16, 5, 1, 0, rng)),
            Box::new(Sigmoid),
            Box::new(AvgPool2d::new(2, 2, 0)),
            Box::new(Flatten),
            Box::new(Linear::new(16 * 5 * 5, 120, rng)),
            Box::new(Sigmoid),
            Box::new(Linear::new(120, 84, rng)),
            Box::new(Sigmoid),
            Box::new(Linear::new(84, CLASSES, rng)),
        ]);
        let mut model = LeNet { net };
        init::init_cnn(&mut model, rng);
        model
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(LeNet);
