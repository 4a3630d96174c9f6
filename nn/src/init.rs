//! PyTorch's default initialisation, so a fresh model here starts like a fresh model there,
//! and the Xavier initialisation "Dive into Deep Learning" gives its CNNs ([`init_cnn`]).
//!
//! `nn.Conv2d` and `nn.Linear` call `kaiming_uniform_(weight, a=√5)`: uniform in ±b with
//! `b = gain · √(3 / fan_in)` and `gain = √(2 / (1 + a²))`, which simplifies to `b = 1 / √fan_in`.
//! Their bias is uniform in the same ±1/√fan_in. `fan_in` is the number of inputs each output
//! sees: `in_features`, or `in_channels · kh · kw`.

use crate::Module;
use tensor::{Rng, Shape, Tensor};

/// The bound shared by the default weight and bias initialisations.
pub fn default_bound(fan_in: usize) -> f32 {
    1.0 / (fan_in as f32).sqrt()
}

/// `kaiming_uniform_(a=√5)` for a weight whose fan-in is the product of all axes but the first.
pub fn default_weight(shape: impl Into<Shape>, rng: &mut Rng) -> Tensor {
    let shape = shape.into();
    let fan_in = shape.dims()[1..].iter().product();
    let bound = default_bound(fan_in);
    Tensor::rand_uniform(shape, -bound, bound, rng)
}

/// Uniform in ±1/√fan_in.
pub fn default_bias(len: usize, fan_in: usize, rng: &mut Rng) -> Tensor {
    let bound = default_bound(fan_in);
    Tensor::rand_uniform([len], -bound, bound, rng)
}

/// `nn.init.xavier_uniform_` (Glorot & Bengio, 2010) with gain 1: uniform in ±b with
/// `b = √(6 / (fan_in + fan_out))`. For a weight `[out, in, kh, kw]` (or `[out, in]`),
/// `fan_in = in · kh · kw` and `fan_out = out · kh · kw`: the inputs each output sees and the
/// outputs each input reaches. Keeping both in the bound keeps the variance of the activations
/// (forward) and of the gradients (backward) roughly constant from layer to layer, which is why
/// "Dive into Deep Learning" uses it for its CNNs (see [`init_cnn`]).
pub fn xavier_uniform(shape: impl Into<Shape>, rng: &mut Rng) -> Tensor {
    let shape = shape.into();
    let dims = shape.dims();
    assert!(
        dims.len() >= 2,
        "xavier_uniform: a weight needs at least 2 axes ([out, in, ...]), got {shape}"
    );
    let receptive_field: usize = dims[2..].iter().product();
    let fan_in = dims[1] * receptive_field;
    let fan_out = dims[0] * receptive_field;
    let bound = (6.0 / (fan_in + fan_out) as f32).sqrt();
    Tensor::rand_uniform(shape, -bound, bound, rng)
}

/// The book's `init_cnn`, applied as `model.net.apply(init_cnn)`: every Conv2d and Linear
/// weight drawn afresh with [`xavier_uniform`]; biases and BatchNorm's parameters keep what
/// they have (PyTorch's defaults). The weights are found by name and rank: a parameter named
/// `weight` with 2 axes (Linear) or 4 (Conv2d); BatchNorm's `weight` has 1.
pub fn init_cnn(module: &mut dyn Module, rng: &mut Rng) {
    for (name, parameter) in module.parameters_mut() {
        let is_weight = name == "weight" || name.ends_with(".weight");
        let rank = parameter.value.dims().len();
        if is_weight && (rank == 2 || rank == 4) {
            let device = parameter.value.device();
            let fresh = xavier_uniform(parameter.value.shape().clone(), rng);
            parameter.value = fresh
                .to(device)
                .expect("a device that holds the old weight holds the new one");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xavier_bound_counts_the_receptive_field_on_both_sides() {
        // [16, 8, 3, 3]: fan_in = 72, fan_out = 144, bound = √(6 / 216) = 1/6.
        let w = xavier_uniform([16, 8, 3, 3], &mut Rng::new(0));
        let largest = w.to_vec().iter().fold(0.0f32, |m, v| m.max(v.abs()));
        assert!(largest <= 1.0 / 6.0 && largest > 0.16, "{largest}");
        // [10, 30]: bound = √(6 / 40).
        let w = xavier_uniform([10, 30], &mut Rng::new(1));
        let largest = w.to_vec().iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let bound = (6.0f32 / 40.0).sqrt();
        assert!(largest <= bound && largest > 0.9 * bound, "{largest}");
    }
}
