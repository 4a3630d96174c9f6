//! Network in Network for 224×224 Fashion-MNIST images, as "Dive into Deep Learning" (§8.3)
//! defines it: no fully connected layers; 1×1 convolutions act as per-pixel ones, and a global
//! average pool turns the last block's 10 channels into the 10 class scores.
//!
//! ```text
//! def nin_block(out_channels, kernel_size, strides, padding):
//!     return Sequential(Conv2d(·, out_channels, kernel_size, strides, padding), ReLU(),
//!                       Conv2d(out_channels, out_channels, 1), ReLU(),
//!                       Conv2d(out_channels, out_channels, 1), ReLU())
//! net = Sequential(nin_block(96, 11, 4, 0), MaxPool2d(3, 2),          # 0, 1
//!                  nin_block(256, 5, 1, 2), MaxPool2d(3, 2),          # 2, 3
//!                  nin_block(384, 3, 1, 1), MaxPool2d(3, 2),          # 4, 5
//!                  Dropout(0.5), nin_block(10, 3, 1, 1),              # 6, 7
//!                  AdaptiveAvgPool2d((1, 1)), Flatten())              # 8, 9
//! ```
//!
//! 96×54×54 → 96×26×26 → 256×26×26 → 256×12×12 → 384×12×12 → 384×5×5 → 10×5×5 → 10; 1,992,166
//! parameters (`net.0.0.weight`, `net.0.2.*`, `net.0.4.*`, … `net.7.4.*`). As in the book, the
//! last block ends in a ReLU, so the class scores are never negative.

use super::CLASSES;
use crate::init;
use crate::layers::{AdaptiveAvgPool2d, Conv2d, Dropout, Flatten, MaxPool2d, ReLU, Sequential};
use tensor::Rng;

pub struct NiN {
    pub net: Sequential,
}

/// One convolution (`kernel`, `stride`, `padding`) followed by two 1×1 convolutions, each with
/// its ReLU.
fn nin_block(
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    rng: &mut Rng,
) -> Sequential {
    Sequential::new(vec![
        Box::new(Conv2d::new(
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            rng,
        )),
        Box::new(ReLU),
        Box::new(Conv2d::new(out_channels, out_channels, 1, 1, 0, rng)),
        Box::new(ReLU),
        Box::new(Conv2d::new(out_channels, out_channels, 1, 1, 0, rng)),
        Box::new(ReLU),
    ])
}

impl NiN {
    /// The book's NiN as it trains it: Xavier-uniform weights ([`init::init_cnn`]).
    pub fn new(rng: &mut Rng) -> Self {
        let net = Sequential::new(vec![
            Box::new(nin_block(1, 96, 11, 4, 0, rng)),
            Box::new(MaxPool2d::new(3, 2)),
            Box::new(nin_block(96, 256, 5, 1, 2, rng)),
            Box::new(MaxPool2d::new(3, 2)),
            Box::new(nin_block(256, 384, 3, 1, 1, rng)),
            Box::new(MaxPool2d::new(3, 2)),
            Box::new(Dropout::new(0.5)),
            Box::new(nin_block(384, CLASSES, 3, 1, 1, rng)),
            Box::new(AdaptiveAvgPool2d::new(1, 1)),
            Box::new(Flatten),
        ]);
        let mut model = NiN { net };
        init::init_cnn(&mut model, rng);
        model
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(NiN);
