//! AlexNet for 1-channel images, as in the classic PyTorch notebook for Fashion-MNIST at 224x224
//! ("Dive into Deep Learning", §8.1):
//!
//! ```text
//! conv = Sequential(Conv2d(1, 96, 11, stride=4), ReLU(), MaxPool2d(3, 2),
//!                   Conv2d(96, 256, 5, padding=2), ReLU(), MaxPool2d(3, 2),
//!                   Conv2d(256, 384, 3, padding=1), ReLU(),
//!                   Conv2d(384, 384, 3, padding=1), ReLU(),
//!                   Conv2d(384, 256, 3, padding=1), ReLU(), MaxPool2d(3, 2))
//! fc   = Sequential(Linear(6400, 4096), ReLU(), Dropout(0.5),
//!                   Linear(4096, 4096), ReLU(), Dropout(0.5), Linear(4096, 10))
//! ```
//!
//! so the parameter names are PyTorch's: `conv.0.weight`, `conv.3.*`, `conv.6.*`, `conv.8.*`,
//! `conv.10.*`, `fc.0.*`, `fc.3.*`, `fc.6.*`.

use crate::layers::{Conv2d, Dropout, Linear, MaxPool2d, ReLU, Sequential};
use crate::module::prefixed;
use crate::{ForwardContext, Module, Parameter};
use autograd::Var;
use tensor::{Conv2dGeometry, Rng, Shape};

pub struct AlexNet {
    pub conv: Sequential,
    pub fc: Sequential,
}

/// (in channels, out channels, kernel, stride, padding, followed by a 3/2 max-pool)
const CONV_LAYERS: [(usize, usize, usize, usize, usize, bool); 5] = [
    (1, 96, 11, 4, 0, true),
    (96, 256, 5, 1, 2, true),
    (256, 384, 3, 1, 1, false),
    (384, 384, 3, 1, 1, false),
    (384, 256, 3, 1, 1, true),
];
const FC_LAYERS: [(usize, usize); 3] = [(6400, 4096), (4096, 4096), (4096, 10)];

impl AlexNet {
    /// A freshly initialised AlexNet (PyTorch's default initialisation, seeded).
    pub fn new(rng: &mut Rng) -> Self {
        let mut conv: Vec<Box<dyn Module>> = Vec::new();
        for (cin, cout, kernel, stride, padding, pooled) in CONV_LAYERS {
            conv.push(Box::new(Conv2d::new(
                cin, cout, kernel, stride, padding, rng,
            )));
            conv.push(Box::new(ReLU));
            if pooled {
                conv.push(Box::new(MaxPool2d::new(3, 2)));
            }
        }
        let mut fc: Vec<Box<dyn Module>> = Vec::new();
        for (i, (inputs, outputs)) in FC_LAYERS.into_iter().enumerate() {
            fc.push(Box::new(Linear::new(inputs, outputs, rng)));
            if i + 1 < FC_LAYERS.len() {
                fc.push(Box::new(ReLU));
                fc.push(Box::new(Dropout::new(0.5)));
            }
        }
        AlexNet {
            conv: Sequential::new(conv),
            fc: Sequential::new(fc),
        }
    }

    /// Each convolution's geometry (conv1 … conv5) for a batch of `size`×`size` images: what
    /// the benchmarks and `examples/layer_timing.rs` run.
    pub fn conv_geometries(batch: usize, size: usize) -> Vec<Conv2dGeometry> {
        let mut side = size;
        let mut geometries = Vec::new();
        for (cin, cout, kernel, stride, padding, pooled) in CONV_LAYERS {
            let input = Shape::new([batch, cin, side, side]);
            let weight = Shape::new([cout, cin, kernel, kernel]);
            let g = Conv2dGeometry::from_shapes(&input, &weight, stride, padding);
            side = g.out_h;
            if pooled {
                side =
                    Conv2dGeometry::out_size(side, 3, 2, 0).expect("image too small for AlexNet");
            }
            geometries.push(g);
        }
        geometries
    }

    /// Floating-point operations (2 per multiply-add) of one forward pass on one `size`×`size`
    /// image; a training step costs about three times this.
    pub fn forward_flops(size: usize) -> f64 {
        let conv: f64 = AlexNet::conv_geometries(1, size)
            .iter()
            .map(Conv2dGeometry::forward_flops)
            .sum();
        conv + FC_LAYERS
            .iter()
            .map(|&(i, o)| 2.0 * (i * o) as f64)
            .sum::<f64>()
    }
}

impl Module for AlexNet {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        let features = self.conv.forward(input, ctx);
        self.fc.forward(&features.flatten_from_1(), ctx)
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        let mut named = prefixed("conv", self.conv.parameters());
        named.extend(prefixed("fc", self.fc.parameters()));
        named
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        let mut named = prefixed("conv", self.conv.parameters_mut());
        named.extend(prefixed("fc", self.fc.parameters_mut()));
        named
    }
}
