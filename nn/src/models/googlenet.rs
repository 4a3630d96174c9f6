//! GoogLeNet for 96×96 Fashion-MNIST images, as "Dive into Deep Learning" (§8.4) defines it:
//! five stages, the last three of Inception blocks, then global average pooling and one linear
//! layer.
//!
//! ```text
//! b1 = Sequential(Conv2d(1, 64, 7, stride=2, padding=3), ReLU(), MaxPool2d(3, 2, padding=1))
//! b2 = Sequential(Conv2d(64, 64, 1), ReLU(), Conv2d(64, 192, 3, padding=1), ReLU(),
//!                 MaxPool2d(3, 2, padding=1))
//! b3 = Sequential(Inception(64, (96, 128), (16, 32), 32),
//!                 Inception(128, (128, 192), (32, 96), 64), MaxPool2d(3, 2, padding=1))
//! b4 = Sequential(Inception(192, (96, 208), (16, 48), 64), … five in all …,
//!                 Inception(256, (160, 320), (32, 128), 128), MaxPool2d(3, 2, padding=1))
//! b5 = Sequential(Inception(256, (160, 320), (32, 128), 128),
//!                 Inception(384, (192, 384), (48, 128), 128), AdaptiveAvgPool2d((1, 1)), Flatten())
//! net = Sequential(b1, b2, b3, b4, b5, Linear(1024, 10))
//! ```
//!
//! 64×24×24 → 192×12×12 → 480×6×6 → 832×3×3 → 1024 → 10; 5,977,530 parameters, named as in
//! PyTorch: `net.0.0.weight`, `net.2.0.b1_1.weight` (stage b3, first Inception, its 1×1 path),
//! `net.5.weight`.

use super::container::{run_child, run_child_relu};
use super::CLASSES;
use crate::layers::{AdaptiveAvgPool2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use crate::module::prefixed;
use crate::{init, Buffer, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

/// Four paths over the same input, concatenated along the channels:
/// 1. a 1×1 convolution (`b1_1`);
/// 2. a 1×1 convolution to fewer channels, then a 3×3 one (`b2_1`, `b2_2`);
/// 3. a 1×1 convolution to fewer channels, then a 5×5 one (`b3_1`, `b3_2`);
/// 4. a 3×3 max-pool (stride 1, so the size stays), then a 1×1 convolution (`b4_1`, `b4_2`).
///
/// Each convolution is followed by a ReLU; every path keeps the height and width.
pub struct Inception {
    pub b1_1: Conv2d,
    pub b2_1: Conv2d,
    pub b2_2: Conv2d,
    pub b3_1: Conv2d,
    pub b3_2: Conv2d,
    pub b4_1: MaxPool2d,
    pub b4_2: Conv2d,
}

/// The book's `Inception(c1, c2, c3, c4)`: the output channels of path 1, of paths 2 and 3's
/// two convolutions, and of path 4.
type InceptionChannels = (usize, (usize, usize), (usize, usize), usize);

impl Inception {
    pub fn new(in_channels: usize, channels: InceptionChannels, rng: &mut Rng) -> Self {
        let (c1, c2, c3, c4) = channels;
        Inception {
            b1_1: Conv2d::new(in_channels, c1, 1, 1, 0, rng),
            b2_1: Conv2d::new(in_channels, c2.0, 1, 1, 0, rng),
            b2_2: Conv2d::new(c2.0, c2.1, 3, 1, 1, rng),
            b3_1: Conv2d::new(in_channels, c3.0, 1, 1, 0, rng),
            b3_2: Conv2d::new(c3.0, c3.1, 5, 1, 2, rng),
            b4_1: MaxPool2d::with_padding(3, 1, 1),
            b4_2: Conv2d::new(in_channels, c4, 1, 1, 0, rng),
        }
    }

    /// The channels of the concatenated output: the four paths' together.
    pub fn out_channels(&self) -> usize {
        [&self.b1_1, &self.b2_2, &self.b3_2, &self.b4_2]
            .iter()
            .map(|conv| conv.weight.value.dims()[0])
            .sum()
    }

    /// The convolutions with their names, in PyTorch's order (the order of definition).
    fn convolutions(&self) -> [(&str, &Conv2d); 6] {
        [
            ("b1_1", &self.b1_1),
            ("b2_1", &self.b2_1),
            ("b2_2", &self.b2_2),
            ("b3_1", &self.b3_1),
            ("b3_2", &self.b3_2),
            ("b4_2", &self.b4_2),
        ]
    }
}

impl Module for Inception {
    fn forward(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
        let b1 = run_child_relu(ctx, "b1_1", &self.b1_1, x);
        let b2 = run_child_relu(ctx, "b2_1", &self.b2_1, x);
        let b2 = run_child_relu(ctx, "b2_2", &self.b2_2, &b2);
        let b3 = run_child_relu(ctx, "b3_1", &self.b3_1, x);
        let b3 = run_child_relu(ctx, "b3_2", &self.b3_2, &b3);
        let b4 = run_child(ctx, "b4_1", &self.b4_1, x);
        let b4 = run_child_relu(ctx, "b4_2", &self.b4_2, &b4);
        Var::cat(&[b1, b2, b3, b4], 1)
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        let convolutions = self.convolutions().into_iter();
        convolutions
            .flat_map(|(name, conv)| prefixed(name, conv.parameters()))
            .collect()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let convolutions = [
            ("b1_1", &mut self.b1_1),
            ("b2_1", &mut self.b2_1),
            ("b2_2", &mut self.b2_2),
            ("b3_1", &mut self.b3_1),
            ("b3_2", &mut self.b3_2),
            ("b4_2", &mut self.b4_2),
        ];
        convolutions
            .into_iter()
            .flat_map(|(name, conv)| prefixed(name, conv.parameters_mut()))
            .collect()
    }

    // No buffers: convolutions and a max-pool.
    fn buffers(&self) -> Vec<(String, &Buffer)> {
        Vec::new()
    }

    fn describe(&self) -> String {
        let in_channels = self.b1_1.weight.value.dims()[1];
        format!("Inception({in_channels} → {})", self.out_channels())
    }
}

/// The Inception blocks of stages b3, b4 and b5, as the book lists them.
const B3: [InceptionChannels; 2] = [
    (64, (96, 128), (16, 32), 32),
    (128, (128, 192), (32, 96), 64),
];
const B4: [InceptionChannels; 5] = [
    (192, (96, 208), (16, 48), 64),
    (160, (112, 224), (24, 64), 64),
    (128, (128, 256), (24, 64), 64),
    (112, (144, 288), (32, 64), 64),
    (256, (160, 320), (32, 128), 128),
];
const B5: [InceptionChannels; 2] = [
    (256, (160, 320), (32, 128), 128),
    (384, (192, 384), (48, 128), 128),
];

/// Inception blocks one after the other from `channels` input channels, which become the last
/// block's output channels.
fn inceptions(
    blocks: &[InceptionChannels],
    channels: &mut usize,
    rng: &mut Rng,
) -> Vec<Box<dyn Module>> {
    let mut layers: Vec<Box<dyn Module>> = Vec::new();
    for &block in blocks {
        let inception = Inception::new(*channels, block, rng);
        *channels = inception.out_channels();
        layers.push(Box::new(inception));
    }
    layers
}

pub struct GoogLeNet {
    pub net: Sequential,
}

impl GoogLeNet {
    /// The book's GoogLeNet as it trains it: Xavier-uniform weights ([`init::init_cnn`]).
    pub fn new(rng: &mut Rng) -> Self {
        let b1 = Sequential::new(vec![
            Box::new(Conv2d::new(1, 64, 7, 2, 3, rng)),
            Box::new(ReLU),
            Box::new(MaxPool2d::with_padding(3, 2, 1)),
        ]);
        let b2 = Sequential::new(vec![
            Box::new(Conv2d::new(64, 64, 1, 1, 0, rng)),
            Box::new(ReLU),
            Box::new(Conv2d::new(64, 192, 3, 1, 1, rng)),
            Box::new(ReLU),
            Box::new(MaxPool2d::with_padding(3, 2, 1)),
        ]);
        let mut channels = 192;
        let mut b3 = inceptions(&B3, &mut channels, rng);
        b3.push(Box::new(MaxPool2d::with_padding(3, 2, 1)));
        let mut b4 = inceptions(&B4, &mut channels, rng);
        b4.push(Box::new(MaxPool2d::with_padding(3, 2, 1)));
        let mut b5 = inceptions(&B5, &mut channels, rng);
        b5.push(Box::new(AdaptiveAvgPool2d::new(1, 1)));
        b5.push(Box::new(Flatten));
        let net = Sequential::new(vec![
            Box::new(b1),
            Box::new(b2),
            Box::new(Sequential::new(b3)),
            Box::new(Sequential::new(b4)),
            Box::new(Sequential::new(b5)),
            Box::new(Linear::new(channels, CLASSES, rng)),
        ]);
        let mut model = GoogLeNet { net };
        init::init_cnn(&mut model, rng);
        model
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(GoogLeNet);
