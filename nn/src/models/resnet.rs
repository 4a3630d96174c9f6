//! ResNet-18 for 96×96 Fashion-MNIST images, as "Dive into Deep Learning" (§8.6) defines it:
//! a stem, four stages of two residual blocks each, then global average pooling and one
//! linear layer.
//!
//! ```text
//! net = Sequential(Sequential(Conv2d(1, 64, 7, stride=2, padding=3), BatchNorm2d(64), ReLU(),
//!                             MaxPool2d(3, 2, padding=1)))                      # 0
//! net.add_module('b2', Sequential(Residual(64), Residual(64)))
//! net.add_module('b3', Sequential(Residual(128, use_1x1conv=True, strides=2), Residual(128)))
//! net.add_module('b4', …256…); net.add_module('b5', …512…)
//! net.add_module('last', Sequential(AdaptiveAvgPool2d((1, 1)), Flatten(), Linear(512, 10)))
//! ```
//!
//! 64×24×24 (after the stem) → 64×24×24 → 128×12×12 → 256×6×6 → 512×3×3 → 10; 11,178,378
//! parameters. The names are PyTorch's: `net.0.0.weight`, `net.0.1.running_mean`,
//! `net.b3.0.conv3.weight`, `net.last.2.weight`.

use super::container::{run_child, NamedSequential};
use super::CLASSES;
use crate::layers::{
    AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential,
};
use crate::module::prefixed;
use crate::{init, Buffer, ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::Rng;

/// The book's `Residual` block: two 3×3 convolutions with batch norm, whose result is added to
/// the block's input (the shortcut) before the last ReLU:
///
/// ```text
/// Y = relu(bn1(conv1(X)))
/// Y = bn2(conv2(Y))
/// if conv3: X = conv3(X)      # a 1×1 convolution, when the shape changes
/// return relu(Y + X)
/// ```
///
/// The block learns what to add to its input, so a block that should do nothing only has to
/// learn zeros. `conv3` is there when the block changes the channels or, with stride 2, halves
/// the size: the shortcut must then change the input the same way.
pub struct Residual {
    pub conv1: Conv2d,
    pub conv2: Conv2d,
    pub conv3: Option<Conv2d>,
    pub bn1: BatchNorm2d,
    pub bn2: BatchNorm2d,
}

impl Residual {
    /// `Residual(out_channels, use_1x1conv, strides)` on `in_channels` channels.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        use_1x1conv: bool,
        stride: usize,
        rng: &mut Rng,
    ) -> Self {
        let conv1 = Conv2d::new(in_channels, out_channels, 3, stride, 1, rng);
        let conv2 = Conv2d::new(out_channels, out_channels, 3, 1, 1, rng);
        let conv3 = use_1x1conv.then(|| Conv2d::new(in_channels, out_channels, 1, stride, 0, rng));
        Residual {
            conv1,
            conv2,
            conv3,
            bn1: BatchNorm2d::new(out_channels),
            bn2: BatchNorm2d::new(out_channels),
        }
    }

    /// The children that hold parameters, in PyTorch's order (the order of definition:
    /// conv1, conv2, conv3 if any, bn1, bn2).
    fn children(&self) -> Vec<(&str, &dyn Module)> {
        let mut children: Vec<(&str, &dyn Module)> =
            vec![("conv1", &self.conv1), ("conv2", &self.conv2)];
        if let Some(conv3) = &self.conv3 {
            children.push(("conv3", conv3));
        }
        children.push(("bn1", &self.bn1));
        children.push(("bn2", &self.bn2));
        children
    }
}

impl Module for Residual {
    fn forward(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
        let y = run_child(ctx, "conv1", &self.conv1, x);
        let y = run_child(ctx, "bn1", &self.bn1, &y).relu();
        let y = run_child(ctx, "conv2", &self.conv2, &y);
        let y = run_child(ctx, "bn2", &self.bn2, &y);
        let shortcut = match &self.conv3 {
            Some(conv3) => run_child(ctx, "conv3", conv3, x),
            None => x.clone(),
        };
        y.add(&shortcut).relu()
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        let children = self.children().into_iter();
        children
            .flat_map(|(name, child)| prefixed(name, child.parameters()))
            .collect()
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let mut named = prefixed("conv1", self.conv1.parameters_mut());
        named.extend(prefixed("conv2", self.conv2.parameters_mut()));
        if let Some(conv3) = &mut self.conv3 {
            named.extend(prefixed("conv3", conv3.parameters_mut()));
        }
        named.extend(prefixed("bn1", self.bn1.parameters_mut()));
        named.extend(prefixed("bn2", self.bn2.parameters_mut()));
        named
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        let children = self.children().into_iter();
        children
            .flat_map(|(name, child)| prefixed(name, child.buffers()))
            .collect()
    }

    fn describe(&self) -> String {
        let dims = self.conv1.weight.value.dims();
        let shortcut = if self.conv3.is_some() {
            ", 1×1 shortcut"
        } else {
            ""
        };
        format!(
            "Residual({} → {}, stride {}{shortcut})",
            dims[1], dims[0], self.conv1.stride
        )
    }
}

/// ResNet-18's stages: (residual blocks, channels) of b2 … b5.
pub const RESNET18: [(usize, usize); 4] = [(2, 64), (2, 128), (2, 256), (2, 512)];

/// The stem that ResNet and DenseNet share (the book's `b1`): a 7×7 convolution with stride 2,
/// batch norm, ReLU and a 3×3 max-pool with stride 2, so 96×96 becomes 64×24×24.
pub(crate) fn stem(rng: &mut Rng) -> Sequential {
    Sequential::new(vec![
        Box::new(Conv2d::new(1, 64, 7, 2, 3, rng)),
        Box::new(BatchNorm2d::new(64)),
        Box::new(ReLU),
        Box::new(MaxPool2d::with_padding(3, 2, 1)),
    ])
}

/// `num_residuals` blocks to `channels`; the first halves the size and changes the channels
/// with a 1×1 shortcut, except in the first stage (`first_block`), which follows the stem's
/// pool and keeps both.
fn stage(
    num_residuals: usize,
    in_channels: usize,
    channels: usize,
    first_block: bool,
    rng: &mut Rng,
) -> Sequential {
    let mut blocks: Vec<Box<dyn Module>> = Vec::new();
    for i in 0..num_residuals {
        let block = if i == 0 && !first_block {
            Residual::new(in_channels, channels, true, 2, rng)
        } else {
            let in_channels = if i == 0 { in_channels } else { channels };
            Residual::new(in_channels, channels, false, 1, rng)
        };
        blocks.push(Box::new(block));
    }
    Sequential::new(blocks)
}

pub struct ResNet {
    pub net: NamedSequential,
}

impl ResNet {
    /// The book's `ResNet(arch)`: the stem, then one stage `b2`, `b3`, … per (blocks, channels)
    /// of `arch`, then `last`; Xavier-uniform convolution and linear weights, as the book trains
    /// it ([`init::init_cnn`]).
    #[track_caller]
    pub fn new(arch: &[(usize, usize)], rng: &mut Rng) -> Self {
        // The first stage keeps the stem's 64 channels: its blocks have no 1x1 shortcut (the
        // book's `first_block`), so their residual add needs the same channel count.
        assert!(
            arch.first().is_some_and(|&(_, channels)| channels == 64),
            "ResNet::new: the first stage must have 64 channels, as the stem's output (got {arch:?})"
        );
        let mut net = NamedSequential::new().with("0", stem(rng));
        let mut in_channels = 64;
        for (i, &(num_residuals, channels)) in arch.iter().enumerate() {
            let blocks = stage(num_residuals, in_channels, channels, i == 0, rng);
            net = net.with(format!("b{}", i + 2), blocks);
            in_channels = channels;
        }
        let last = Sequential::new(vec![
            Box::new(AdaptiveAvgPool2d::new(1, 1)),
            Box::new(Flatten),
            Box::new(Linear::new(in_channels, CLASSES, rng)),
        ]);
        let mut model = ResNet {
            net: net.with("last", last),
        };
        init::init_cnn(&mut model, rng);
        model
    }

    /// ResNet-18: [`RESNET18`]'s four stages of two blocks.
    pub fn resnet18(rng: &mut Rng) -> Self {
        ResNet::new(&RESNET18, rng)
    }
}

// `Module`: the layers in `net`, named `net.…` (see `wraps_net!`).
super::wraps_net!(ResNet);
