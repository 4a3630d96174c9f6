//! `torch.optim.Adam` (Kingma & Ba), with PyTorch's defaults and bias correction.

use super::{Optimizer, SavedState};
use crate::{ParamId, Parameter, ParameterGradients};
use std::collections::HashMap;
use tensor::{AdamStep, AdamUpdate, Tensor};

pub struct Adam {
    pub lr: f32,
    pub betas: (f32, f32),
    pub eps: f32,
    pub weight_decay: f32,
    state: HashMap<ParamId, Moments>,
}

/// One parameter's optimizer state: the steps it has taken and its moment estimates.
struct Moments {
    steps: u32,
    m: Tensor,
    v: Tensor,
}

impl Adam {
    /// PyTorch's defaults: betas (0.9, 0.999), eps 1e-8, no weight decay.
    pub fn new(lr: f32) -> Self {
        Adam {
            lr,
            betas: (0.9, 0.999),
            eps: 1e-8,
            weight_decay: 0.0,
            state: HashMap::new(),
        }
    }

    fn hyper(&self, step: u32) -> AdamStep {
        AdamStep {
            lr: self.lr,
            beta1: self.betas.0,
            beta2: self.betas.1,
            eps: self.eps,
            weight_decay: self.weight_decay,
            step,
        }
    }
}

impl Optimizer for Adam {
    /// All parameters in one fused step (one kernel launch on a GPU).
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &ParameterGradients) {
        // The moments leave the map for the step, so each parameter's can be borrowed mutably
        // alongside the others', and go back afterwards.
        let mut work: Vec<(&mut Parameter, &Tensor, Moments)> = parameters
            .into_iter()
            .filter_map(|(_, parameter)| {
                let grad = gradients.get(parameter)?;
                let moments = self
                    .state
                    .remove(&parameter.id())
                    .unwrap_or_else(|| Moments {
                        steps: 0,
                        m: parameter.value.zeros_like(),
                        v: parameter.value.zeros_like(),
                    });
                Some((parameter, grad, moments))
            })
            .collect();
        let mut updates: Vec<AdamUpdate<'_, Tensor>> = work
            .iter_mut()
            .map(|(parameter, grad, moments)| {
                moments.steps += 1;
                AdamUpdate {
                    param: &mut parameter.value,
                    grad,
                    m: &mut moments.m,
                    v: &mut moments.v,
                    hyper: self.hyper(moments.steps),
                }
            })
            .collect();
        Tensor::adam_steps_(&mut updates);
        drop(updates);
        for (parameter, _, moments) in work {
            self.state.insert(parameter.id(), moments);
        }
    }

    fn state(&self, parameters: &[(String, &Parameter)]) -> Vec<(String, Tensor)> {
        let mut named = Vec::new();
        for (name, parameter) in parameters {
            if let Some(moments) = self.state.get(&parameter.id()) {
                named.push((format!("{name}.exp_avg"), moments.m.clone()));
                named.push((format!("{name}.exp_avg_sq"), moments.v.clone()));
                // A float, as PyTorch stores it (exact up to 2^24 steps).
                let steps = Tensor::scalar(moments.steps as f32);
                named.push((format!("{name}.step"), steps));
            }
        }
        named
    }

    fn load_state(&mut self, saved: &SavedState) -> Result<(), String> {
        self.state = saved.restore_each("step", |name, parameter| {
            Ok(Moments {
                steps: saved.tensors[&format!("{name}.step")].item() as u32,
                m: saved.tensor_like(name, "exp_avg", parameter)?,
                v: saved.tensor_like(name, "exp_avg_sq", parameter)?,
            })
        })?;
        Ok(())
    }
}
