//! Optimizers: they read the gradients of one step and update the parameters in place, on the
//! parameters' device, keeping their state (moments, momentum) per parameter.

mod adam;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::{ParamId, Parameter, ParameterGradients};
use std::collections::{BTreeMap, HashMap};
use tensor::Tensor;

pub trait Optimizer {
    /// Updates every parameter that has a gradient; parameters without one are left alone
    /// (as PyTorch skips parameters whose `.grad` is None).
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &ParameterGradients);

    /// The optimizer's state, for a training checkpoint that resumes exactly: named tensors,
    /// per parameter `NAME` with PyTorch's state names (`NAME.exp_avg`, `NAME.exp_avg_sq`,
    /// `NAME.step` for Adam; `NAME.momentum_buffer` for SGD). Parameters without state yet
    /// (never stepped) have no entries.
    fn state(&self, parameters: &[(String, &Parameter)]) -> Vec<(String, Tensor)>;

    /// Restores what [`state`](Optimizer::state) returned; tensors go to their parameter's
    /// device. The error says which entry is missing or does not fit; on an error the state is
    /// left as it was.
    fn load_state(&mut self, saved: &SavedState) -> Result<(), String>;
}

/// An optimizer's state to load: the tensors [`Optimizer::state`] returned, by name, and the
/// model's parameters they belong to, with their names.
pub struct SavedState<'a> {
    pub parameters: &'a [(String, &'a Parameter)],
    pub tensors: &'a BTreeMap<String, Tensor>,
}

impl SavedState<'_> {
    /// Each parameter's state, keyed by parameter: `read(name, parameter)` for every parameter
    /// `NAME` with a saved `NAME.{marker}` (the others had no state: never stepped).
    fn restore_each<S>(
        &self,
        marker: &str,
        mut read: impl FnMut(&str, &Parameter) -> Result<S, String>,
    ) -> Result<HashMap<ParamId, S>, String> {
        let mut restored = HashMap::new();
        for (name, parameter) in self.parameters {
            if self.tensors.contains_key(&format!("{name}.{marker}")) {
                restored.insert(parameter.id(), read(name, parameter)?);
            }
        }
        Ok(restored)
    }

    /// `NAME.suffix`, checked to have the parameter's shape and moved to its device.
    fn tensor_like(
        &self,
        name: &str,
        suffix: &str,
        parameter: &Parameter,
    ) -> Result<Tensor, String> {
        let key = format!("{name}.{suffix}");
        let tensor = self
            .tensors
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
}
