//! LeNet with batch normalisation, the concise version of "Dive into Deep Learning" (§8.5.5):
//! batch norm between each convolution or linear layer and its sigmoid.
//!
//! ```text
//! net = Sequential(Conv2d(1, 6, 5), BatchNorm2d(6), Sigmoid(), AvgPool2d(2, 2),      # 0 … 3
//!                  Conv2d(6, 16, 5), BatchNorm2d(16), Sigmoid(), AvgPool2d(2, 2),    # 4 … 7
//!                  Flatten(), Linear(256, 120), BatchNorm1d(120), Sigmoid(),         # 8 … 11
//!                  Linear(120, 84), BatchNorm1d(84), Sigmoid(), Linear(84, 10))      # 12 … 15
//! ```
//!
//! Unlike [`LeNet`](super::LeNet), the first convolution has no padding: 1×28×28 → 6×24×24 →
//! 6×12×12 → 16×8×8 → 16×4×4 → 256 → 120 → 84 → 10; 44,878 parameters. The batch-norm layers
//! are `net.1`, `net.5`, `net.10` and `net.13`, each with `weight`, `bias` and the buffers
//! `running_mean`, `running_var`, `num_batches_tracked`, as in PyTorch's `state_dict`.

use super::CLASSES;
use crate::init;
use crate::layers::{
    AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Flatten, Linear, Sequential, Sigmoid,
};
use tensor::Rng;

pub struct BnLeNet {
    pub net: Sequential,
}

impl BnLeNet {
    /// The book's model as it trains it: Xavier-uniform convolution and linear weights
    /// ([`init::init_cnn`]); batch norm starts at weight 1, bias 0.
    pub fn new(rng: &mut Rng) -> Self {
        let net = Sequential::new(vec![
            Box::new(Conv2d::new(1, 6, 5, 1, 0, rng)),
            Box::new(BatchNorm2d::new(6)),
            Box::new(Sigmoid),
            Box::new(AvgPool2d::new(2, 2, 0)),
            Box::new(Conv2d::new(6, 16, 5, 1, 0, rng)),
            Box::new(BatchNorm2d::new(16)),
            Box::new(Sigmoid),
            Box::new(AvgPool2d::new(2, 2, 0)),
            Box::new(Flatten),
            Box::new(Linear::new(16 * 4 * 4, 120, rng)),
            Box::new(BatchNorm1d::new(120)),
            Box::new(Sigmoid),
            Box::new(Linear::new(120, 84, rng)),
            Box::new(BatchNorm1d::new(84)),
            Box::new(Sigmoid),
            Box::new(Linear::new(84, CLASSES, rng)),
        ]);
        let mut model = BnLeNet { net };
        init::init_cnn(&mut model, rng);
        model
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(BnLeNet);
