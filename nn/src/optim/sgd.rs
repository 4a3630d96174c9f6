//! `torch.optim.SGD`: plain, with momentum (optionally Nesterov) and L2 weight decay.

use super::{Optimizer, SavedState};
use crate::{ParamId, Parameter, ParameterGradients};
use std::collections::HashMap;
use tensor::{SgdStep, Tensor};

pub struct Sgd {
    pub lr: f32,
    pub momentum: f32,
    pub dampening: f32,
    pub weight_decay: f32,
    pub nesterov: bool,
    momentum_buffers: HashMap<ParamId, Tensor>,
}

impl Sgd {
    pub fn new(lr: f32) -> Self {
        Sgd {
            lr,
            momentum: 0.0,
            dampening: 0.0,
            weight_decay: 0.0,
            nesterov: false,
            momentum_buffers: HashMap::new(),
        }
    }

    pub fn with_momentum(mut self, momentum: f32) -> Self {
        self.momentum = momentum;
        self
    }

    pub fn with_weight_decay(mut self, weight_decay: f32) -> Self {
        self.weight_decay = weight_decay;
        self
    }

    pub fn with_nesterov(mut self, nesterov: bool) -> Self {
        self.nesterov = nesterov;
        self
    }
}

impl Optimizer for Sgd {
    fn step(&mut self, parameters: Vec<(String, &mut Parameter)>, gradients: &ParameterGradients) {
        for (_, parameter) in parameters {
            let Some(grad) = gradients.get(parameter) else {
                continue;
            };
            let first_step = !self.momentum_buffers.contains_key(&parameter.id());
            let hyper = SgdStep {
                lr: self.lr,
                momentum: self.momentum,
                dampening: self.dampening,
                weight_decay: self.weight_decay,
                nesterov: self.nesterov,
                first_step,
            };
            let buffer = (self.momentum != 0.0).then(|| {
                let zeros = || parameter.value.zeros_like();
                self.momentum_buffers
                    .entry(parameter.id())
                    .or_insert_with(zeros)
            });
            parameter.value.sgd_step_(grad, buffer, &hyper);
        }
    }

    fn state(&self, parameters: &[(String, &Parameter)]) -> Vec<(String, Tensor)> {
        parameters
            .iter()
            .filter_map(|(name, parameter)| {
                let buffer = self.momentum_buffers.get(&parameter.id())?;
                Some((format!("{name}.momentum_buffer"), buffer.clone()))
            })
            .collect()
    }

    fn load_state(&mut self, saved: &SavedState) -> Result<(), String> {
        self.momentum_buffers = saved.restore_each("momentum_buffer", |name, parameter| {
            saved.tensor_like(name, "momentum_buffer", parameter)
        })?;
        Ok(())
    }
}
