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
use crate::{Buffer, ForwardContext, Module, Parameter};
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

/// The side of the feature maps after the last max-pool: fc.0 takes 256 · 5 · 5 = 6400 inputs.
const FEATURE_SIDE: usize = 5;

/// Weights and biases of every layer.
fn parameter_count() -> usize {
    CONV_LAYERS
        .iter()
        .map(|&(cin, cout, kernel, ..)| cout * cin * kernel * kernel + cout)
        .chain(FC_LAYERS.iter().map(|&(i, o)| o * i + o))
        .sum()
}

/// The sides of every conv layer's output and, for pooled layers, of the pool's output, for
/// `size`×`size` images; `None` if the image is too small for some layer.
fn layer_sides(size: usize) -> Option<Vec<(usize, Option<usize>)>> {
    let mut side = size;
    let mut sides = Vec::new();
    for (_, _, kernel, stride, padding, pooled) in CONV_LAYERS {
        let conv = Conv2dGeometry::out_size(side, kernel, stride, padding)?;
        let pool = if pooled {
            Some(Conv2dGeometry::out_size(conv, 3, 2, 0)?)
        } else {
            None
        };
        side = pool.unwrap_or(conv);
        sides.push((conv, pool));
    }
    Some(sides)
}

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

    /// Whether `size`×`size` images fit: the features after the last pool must be 5×5.
    pub fn accepts(size: usize) -> bool {
        let last_pool =
            layer_sides(size).and_then(|sides| sides.last().and_then(|&(_, pool)| pool));
        last_pool == Some(FEATURE_SIDE)
    }

    /// The image sides AlexNet accepts, smallest to largest (195..=226: fc.0 fixes the feature
    /// maps at 5×5, and every stride-2 pool and the stride-4 conv1 round down).
    pub fn input_sizes() -> std::ops::RangeInclusive<usize> {
        let candidates = 1..=4 * 1024;
        let first = candidates.clone().find(|&s| AlexNet::accepts(s));
        let last = candidates.rev().find(|&s| AlexNet::accepts(s));
        first.expect("some size fits")..=last.expect("some size fits")
    }

    /// Bytes a training step needs at least, for `batch` images of `size`×`size`: the outputs
    /// every layer keeps for the backward pass (convolution, ReLU, pooling values and argmax
    /// positions, Linear, ReLU, dropout mask and output), plus the parameters with their
    /// gradients and Adam's two moments. Scratch buffers and the gradients of the backward pass
    /// come on top, so the real peak is higher: this is the floor a refusal can rely on.
    pub fn training_bytes_at_least(batch: usize, size: usize) -> f64 {
        let floats_per_image: usize = layer_sides(size)
            .unwrap_or_default()
            .iter()
            .zip(CONV_LAYERS)
            .map(|(&(conv, pool), (_, cout, ..))| {
                2 * cout * conv * conv + pool.map_or(0, |p| 2 * cout * p * p)
            })
            .sum::<usize>()
            + FC_LAYERS
                .iter()
                .map(|&(_, outputs)| 4 * outputs)
                .sum::<usize>();
        4.0 * (batch as f64 * floats_per_image as f64 + 4.0 * parameter_count() as f64)
    }

    /// Bytes an evaluation pass needs at least for `batch` images: the parameters, and the
    /// largest layer's input and output at once (nothing is kept for a backward pass).
    pub fn evaluation_bytes_at_least(batch: usize, size: usize) -> f64 {
        let largest_output = layer_sides(size)
            .unwrap_or_default()
            .iter()
            .zip(CONV_LAYERS)
            .map(|(&(conv, _), (_, cout, ..))| cout * conv * conv)
            .max()
            .unwrap_or(0);
        4.0 * (2.0 * batch as f64 * largest_output as f64 + parameter_count() as f64)
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
        // The names make a layer's shape error say `module conv.3`, like its parameters.
        let features = {
            let _conv = ctx.enter("conv");
            self.conv.forward(input, ctx)
        };
        let _fc = ctx.enter("fc");
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

    /// None today (no batch norm), but listed so that a layer with buffers added to `conv` or
    /// `fc` is saved and moved with the model.
    fn buffers(&self) -> Vec<(String, &Buffer)> {
        let mut named = prefixed("conv", self.conv.buffers());
        named.extend(prefixed("fc", self.fc.buffers()));
        named
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_sizes_whose_features_are_5x5() {
        assert_eq!(AlexNet::input_sizes(), 195..=226);
        assert!(AlexNet::accepts(224) && !AlexNet::accepts(194) && !AlexNet::accepts(227));
        assert!(!AlexNet::accepts(0) && !AlexNet::accepts(10));
    }

    #[test]
    fn memory_floor_of_a_training_step() {
        // 46.8M parameters × 4 copies × 4 bytes ≈ 0.75 GB, plus ~5.8 MB of kept outputs per image.
        let empty = AlexNet::training_bytes_at_least(0, 224);
        assert!((empty / 1e9 - 0.749).abs() < 0.01, "{empty}");
        let per_image = AlexNet::training_bytes_at_least(1, 224) - empty;
        assert!((per_image / 1e6 - 5.8).abs() < 0.1, "{per_image}");
    }
}
