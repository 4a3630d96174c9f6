//! `torch.optim.Adam` (Kingma & Ba), with PyTorch's defaults and bias correction.

use super::Optimizer;
use crate::{Gradients, ParamId, Parameter};
use std::collections::HashMap;
use tensor::{AdamStep, Tensor};

pub struct Adam {
    pub lr: f32,
    pub betas: (f32, f32),
    pub eps: f32,
    pub weight_decay: f32,
    /// Per parameter: the number of steps taken and the first and second moment estimates.
    state: HashMap<ParamId, (u32, Tensor, Tensor)>,
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
}

impl Optimizer for Adam {
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &Gradients) {
        for (_, parameter) in parameters {
            let Some(grad) = gradients.get(parameter) else {
                continue;
            };
            let (steps, m, v) = self.state.entry(parameter.id()).or_insert_with(|| {
                let zeros = parameter.value.zeros_like();
                (0, zeros.clone(), zeros)
            });
            *steps += 1;
            let hyper = AdamStep {
                lr: self.lr,
                beta1: self.betas.0,
                beta2: self.betas.1,
                eps: self.eps,
                weight_decay: self.weight_decay,
                step: *steps,
            };
            parameter.value.adam_step_(grad, m, v, &hyper);
        }
    }
}
