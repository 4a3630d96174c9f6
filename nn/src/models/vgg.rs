//! VGG for 224×224 Fashion-MNIST images, as "Dive into Deep Learning" (§8.2) defines and
//! trains it: VGG-11's layout with a quarter of its channels.
//!
//! ```text
//! def vgg_block(num_convs, out_channels):     # (Conv2d(·, out, 3, padding=1), ReLU()) × num_convs,
//!     ...                                     # then MaxPool2d(2, 2)
//! net = Sequential(*[vgg_block(n, c) for (n, c) in arch], Flatten(),           # 0 … 4, 5
//!                  Linear(6272, 4096), ReLU(), Dropout(0.5),                    # 6, 7, 8
//!                  Linear(4096, 4096), ReLU(), Dropout(0.5), Linear(4096, 10))  # 9 … 12
//! ```
//!
//! with `arch = ((1, 16), (1, 32), (2, 64), (2, 128), (2, 128))` ([`SMALL_VGG11`]): 16×112×112
//! → 32×56×56 → 64×28×28 → 128×14×14 → 128×7×7 → 6272; 43,093,322 parameters. The names are
//! PyTorch's: `net.0.0.weight` (block 0's conv), `net.2.2.weight` (block 2's second conv), `net.6.*`,
//! `net.9.*`, `net.12.*`.

use super::CLASSES;
use crate::layers::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use crate::{init, Module};
use tensor::Rng;

/// VGG-11's `((1, 64), (1, 128), (2, 256), (2, 512), (2, 512))` with the channels divided by 4,
/// the architecture the book trains: (convolutions, output channels) of each block.
pub const SMALL_VGG11: [(usize, usize); 5] = [(1, 16), (1, 32), (2, 64), (2, 128), (2, 128)];

/// The input side the fully connected part is sized for: five 2×2 pools take 224 to 7.
const INPUT_SIDE: usize = 224;

pub struct Vgg {
    pub net: Sequential,
}

/// `num_convs` 3×3 convolutions (padding 1, so the size stays) to `out_channels`, each followed
/// by a ReLU, then a 2×2 max-pool that halves the size.
fn vgg_block(
    num_convs: usize,
    in_channels: usize,
    out_channels: usize,
    rng: &mut Rng,
) -> Sequential {
    let mut layers: Vec<Box<dyn Module>> = Vec::new();
    let mut channels = in_channels;
    for _ in 0..num_convs {
        layers.push(Box::new(Conv2d::new(channels, out_channels, 3, 1, 1, rng)));
        layers.push(Box::new(ReLU));
        channels = out_channels;
    }
    layers.push(Box::new(MaxPool2d::new(2, 2)));
    Sequential::new(layers)
}

impl Vgg {
    /// VGG with the blocks `arch` ((convolutions, output channels) each) for 1-channel
    /// 224×224 images, as the book trains it: Xavier-uniform weights ([`init::init_cnn`]).
    /// [`SMALL_VGG11`] is the book's architecture.
    pub fn new(arch: &[(usize, usize)], rng: &mut Rng) -> Self {
        let mut layers: Vec<Box<dyn Module>> = Vec::new();
        let (mut channels, mut side) = (1, INPUT_SIDE);
        for &(num_convs, out_channels) in arch {
            layers.push(Box::new(vgg_block(num_convs, channels, out_channels, rng)));
            channels = out_channels;
            side /= 2;
        }
        layers.push(Box::new(Flatten));
        layers.push(Box::new(Linear::new(channels * side * side, 4096, rng)));
        layers.push(Box::new(ReLU));
        layers.push(Box::new(Dropout::new(0.5)));
        layers.push(Box::new(Linear::new(4096, 4096, rng)));
        layers.push(Box::new(ReLU));
        layers.push(Box::new(Dropout::new(0.5)));
        layers.push(Box::new(Linear::new(4096, CLASSES, rng)));
        let mut model = Vgg {
            net: Sequential::new(layers),
        };
        init::init_cnn(&mut model, rng);
        model
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(Vgg);
