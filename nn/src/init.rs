//! PyTorch's default initialisation, so a fresh model here starts like a fresh model there.
//!
//! `nn.Conv2d` and `nn.Linear` call `kaiming_uniform_(weight, a=√5)`: uniform in ±b with
//! `b = gain · √(3 / fan_in)` and `gain = √(2 / (1 + a²))`, which simplifies to `b = 1 / √fan_in`.
//! Their bias is uniform in the same ±1/√fan_in. `fan_in` is the number of inputs each output
//! sees: `in_features`, or `in_channels · kh · kw`.

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
