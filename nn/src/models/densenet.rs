//! DenseNet for 96×96 Fashion-MNIST images, as "Dive into Deep Learning" (§8.7) defines it: the
//! ResNet stem, four dense blocks with transition blocks between them, then batch norm, ReLU,
//! global average pooling and one linear layer.
//!
//! ```text
//! def conv_block(c):        Sequential(BatchNorm2d(·), ReLU(), Conv2d(·, c, 3, padding=1))
//! def transition_block(c):  Sequential(BatchNorm2d(·), ReLU(), Conv2d(·, c, 1), AvgPool2d(2, 2))
//! net = Sequential(b1)                                         # 0: as ResNet's stem
//! for i in 0..4:
//!     net.add_module(f'dense_blk{i+1}', DenseBlock(4, 32))     # 4 conv_blocks, growth rate 32
//!     if i != 3: net.add_module(f'tran_blk{i+1}', transition_block(channels // 2))
//! net.add_module('last', Sequential(BatchNorm2d(248), ReLU(), AdaptiveAvgPool2d((1, 1)),
//!                                   Flatten(), Linear(248, 10)))
//! ```
//!
//! Channels: 64@24×24 → 192 → 96@12×12 → 224 → 112@6×6 → 240 → 120@3×3 → 248 → 10; 758,226
//! parameters, named as in PyTorch: `net.dense_blk1.net.0.0.weight` (the first conv block's
//! batch norm), `net.tran_blk1.2.weight`, `net.last.4.weight`.

use super::container::{run_child, NamedSequential};
use super::resnet::stem;
use super::CLASSES;
use crate::layers::{
    AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, ReLU, Sequential,
};
use crate::module::prefixed;
use crate::{Buffer, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

/// Batch norm, ReLU, then a 3×3 convolution to `out_channels` (the "pre-activation" order).
fn conv_block(in_channels: usize, out_channels: usize, rng: &mut Rng) -> Sequential {
    Sequential::new(vec![
        Box::new(BatchNorm2d::new(in_channels)),
        Box::new(ReLU),
        Box::new(Conv2d::new(in_channels, out_channels, 3, 1, 1, rng)),
    ])
}

/// Conv blocks whose outputs are concatenated to their inputs along the channels, so each
/// block sees the outputs of all before it:
///
/// ```text
/// for blk in net: X = cat([X, blk(X)], dim=1)
/// ```
///
/// Each block adds `growth_rate` channels: `num_convs` blocks take `c` channels to
/// `c + num_convs · growth_rate`.
pub struct DenseBlock {
    /// The conv blocks (each a `Sequential` of batch norm, ReLU, convolution), named `net` as in
    /// the book, so that the parameters are `net.0.0.weight`, ...
    pub net: Sequential,
}

impl DenseBlock {
    pub fn new(num_convs: usize, in_channels: usize, growth_rate: usize, rng: &mut Rng) -> Self {
        let blocks: Vec<Box<dyn Module>> = (0..num_convs)
            .map(|i| {
                let block = conv_block(in_channels + i * growth_rate, growth_rate, rng);
                Box::new(block) as Box<dyn Module>
            })
            .collect();
        DenseBlock {
            net: Sequential::new(blocks),
        }
    }
}

impl Module for DenseBlock {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let _net = ctx.enter("net");
        let mut x = input.clone();
        for (i, block) in self.net.layers().iter().enumerate() {
            let y = run_child(ctx, &i.to_string(), &**block, &x);
            x = Var::cat(&[x, y], 1);
        }
        x
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

/// Batch norm, ReLU, a 1×1 convolution to `out_channels` and a 2×2 average pool: between dense
/// blocks, it halves the channels and the size, which the dense blocks keep growing.
fn transition_block(in_channels: usize, out_channels: usize, rng: &mut Rng) -> Sequential {
    Sequential::new(vec![
        Box::new(BatchNorm2d::new(in_channels)),
        Box::new(ReLU),
        Box::new(Conv2d::new(in_channels, out_channels, 1, 1, 0, rng)),
        Box::new(AvgPool2d::new(2, 2, 0)),
    ])
}

/// The book's defaults: 64 channels after the stem, growth rate 32, four dense blocks of four
/// conv blocks.
const STEM_CHANNELS: usize = 64;
const GROWTH_RATE: usize = 32;
const ARCH: [usize; 4] = [4, 4, 4, 4];

pub struct DenseNet {
    pub net: NamedSequential,
}

impl DenseNet {
    /// The book's DenseNet as it trains it: PyTorch's default initialisation (the book applies
    /// no Xavier initialisation to this one).
    pub fn new(rng: &mut Rng) -> Self {
        let mut net = NamedSequential::new().with("0", stem(rng));
        let mut channels = STEM_CHANNELS;
        for (i, &num_convs) in ARCH.iter().enumerate() {
            let block = DenseBlock::new(num_convs, channels, GROWTH_RATE, rng);
            net = net.with(format!("dense_blk{}", i + 1), block);
            channels += num_convs * GROWTH_RATE;
            if i + 1 != ARCH.len() {
                let transition = transition_block(channels, channels / 2, rng);
                net = net.with(format!("tran_blk{}", i + 1), transition);
                channels /= 2;
            }
        }
        let last = Sequential::new(vec![
            Box::new(BatchNorm2d::new(channels)),
            Box::new(ReLU),
            Box::new(AdaptiveAvgPool2d::new(1, 1)),
            Box::new(Flatten),
            Box::new(Linear::new(channels, CLASSES, rng)),
        ]);
        DenseNet {
            net: net.with("last", last),
        }
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(DenseNet);
