//! Optimizers: they read the gradients of one step and update the parameters in place, on the
//! parameters' device, keeping their state (moments, momentum) per parameter.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::{Gradients, Parameter};
use std::collections::BTreeMap;
use tensor::Tensor;

pub trait Optimizer {
    /// Updates every parameter that has a gradient; parameters without one are left alone
    /// (as PyTorch skips parameters whose `.grad` is None).
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &Gradients);

    /// The optimizer's state, for a training checkpoint that resumes exactly: named tensors,
    /// per parameter `NAME` with PyTorch's state names (`NAME.exp_avg`, `NAME.exp_avg_sq`,
    /// `NAME.step` for Adam; `NAME.momentum_buffer` for SGD). Parameters without state yet
    /// (never stepped) have no entries.
    fn state(&self, parameters: &[(String, &Parameter)]) -> Vec<(String, Tensor)>;

    /// Restores what [`state`](Optimizer::state) returned; tensors go to their parameter's
    /// device. The error says which entry is missing or does not fit.
    fn load_state(
        &mut self,
        parameters: &[(String, &Parameter)],
        state: &BTreeMap<String, Tensor>,
    ) -> Result<(), String>;
}

/// `state[NAME.suffix]`, checked to have the parameter's shape and moved to its device.
fn state_like(
    state: &BTreeMap<String, Tensor>,
    name: &str,
    suffix: &str,
    parameter: &Parameter,
) -> Result<Tensor, String> {
    let key = format!("{name}.{suffix}");
    let tensor = state
        .get(&key)
        .ok_or_else(|| format!("the optimizer state has no {key}"))?;
    if tensor.shape() != parameter.value.shape() {
        return Err(format!(
            "{key} is {} but the parameter is {}",
            tensor.shape(),
            parameter.value.shape()
        ));
    }
    tensor
        .to(parameter.value.device())
        .map_err(|e| format!("{key}: {e}"))
}
