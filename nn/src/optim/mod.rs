//! Optimizers: they read the gradients of one step and update the parameters in place, on the
//! parameters' device, keeping their state (moments, momentum) per parameter.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::{Gradients, Parameter};

pub trait Optimizer {
    /// Updates every parameter that has a gradient; parameters without one are left alone
    /// (as PyTorch skips parameters whose `.grad` is None).
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &Gradients);
}
