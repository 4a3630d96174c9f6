//! In-place optimizer updates: the only ops that modify a tensor. They run on the parameter's
//! device, in one pass, without allocating.

use super::assert_same_device;
use crate::backend::{AdamStep, AdamUpdate, Backend, SgdStep};
use crate::storage::Storage;
use crate::Tensor;

impl Tensor {
    #[track_caller]
    fn check_state(&self, op: &str, other: &Tensor, what: &str) {
        assert_same_device(op, self, other);
        assert_eq!(
            self.shape(),
            other.shape(),
            "{op}: parameter {} and {what} {} differ in shape",
            self.shape(),
            other.shape()
        );
    }

    /// One `torch.optim.Adam` step on `self` (the parameter), updating the moment estimates
    /// `m` and `v` (same shape, start at zero) in place.
    #[track_caller]
    pub fn adam_step_(&mut self, grad: &Tensor, m: &mut Tensor, v: &mut Tensor, hyper: &AdamStep) {
        let hyper = *hyper;
        Tensor::adam_steps_(&mut [AdamUpdate {
            param: self,
            grad,
            m,
            v,
            hyper,
        }]);
    }

    /// [`Tensor::adam_step_`] on many parameters at once, all on one device: one kernel launch
    /// on a GPU for the whole model.
    #[track_caller]
    pub fn adam_steps_(updates: &mut [AdamUpdate<'_, Tensor>]) {
        for u in updates.iter() {
            u.param.check_state("adam_step", u.grad, "gradient");
            u.param.check_state("adam_step", u.m, "first moment");
            u.param.check_state("adam_step", u.v, "second moment");
            assert_same_device("adam_step", updates[0].param, u.param);
            assert!(u.hyper.step >= 1, "adam_step: steps count from 1");
        }
        let mut storages: Vec<AdamUpdate<'_, Storage>> = updates
            .iter_mut()
            .map(|u| AdamUpdate {
                param: u.param.storage_mut(),
                grad: u.grad.storage(),
                m: u.m.storage_mut(),
                v: u.v.storage_mut(),
                hyper: u.hyper,
            })
            .collect();
        Storage::adam_step(&mut storages);
    }

    /// One `torch.optim.SGD` step on `self`; `momentum_buffer` must be given when momentum ≠ 0.
    #[track_caller]
    pub fn sgd_step_(
        &mut self,
        grad: &Tensor,
        momentum_buffer: Option<&mut Tensor>,
        hyper: &SgdStep,
    ) {
        self.check_state("sgd_step", grad, "gradient");
        if let Some(buffer) = &momentum_buffer {
            self.check_state("sgd_step", buffer, "momentum buffer");
        }
        assert!(
            momentum_buffer.is_some() == (hyper.momentum != 0.0),
            "sgd_step: a momentum buffer is needed exactly when momentum is not 0"
        );
        let buffer = momentum_buffer.map(Tensor::storage_mut);
        self.storage_mut().sgd_step(grad.storage(), buffer, hyper);
    }
}
