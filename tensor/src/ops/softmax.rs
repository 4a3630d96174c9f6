//! Softmax, log-softmax, and cross-entropy with integer class labels.

use crate::backend::{AxisLayout, Backend};
use crate::{Indices, Shape, Tensor};

impl Tensor {
    #[track_caller]
    fn axis_layout(&self, op: &str, axis: usize) -> AxisLayout {
        assert!(
            axis < self.rank(),
            "{op}: axis {axis} does not exist in shape {}",
            self.shape()
        );
        AxisLayout::of(self.shape(), axis)
    }

    /// `exp(x) / Σ exp(x)` along `axis`.
    #[track_caller]
    pub fn softmax(&self, axis: usize) -> Tensor {
        let layout = self.axis_layout("softmax", axis);
        Tensor::from_storage(self.storage().softmax(layout), self.shape().clone())
    }

    /// `x − log Σ exp(x)` along `axis`, computed without overflow.
    #[track_caller]
    pub fn log_softmax(&self, axis: usize) -> Tensor {
        let layout = self.axis_layout("log_softmax", axis);
        Tensor::from_storage(self.storage().log_softmax(layout), self.shape().clone())
    }

    /// Mean cross-entropy of logits `[N, classes]` against labels `[N]` (values in
    /// `0..classes`), as `torch.nn.functional.cross_entropy`: a scalar tensor.
    #[track_caller]
    pub fn cross_entropy(&self, labels: &Indices) -> Tensor {
        let (rows, classes) = check_logits_and_labels(self, labels);
        let storage = self
            .storage()
            .cross_entropy(labels.storage(), rows, classes);
        Tensor::from_storage(storage, Shape::scalar())
    }

    /// Gradient of [`cross_entropy`](Tensor::cross_entropy) with respect to the logits `self`,
    /// given the (scalar) gradient of the loss.
    #[track_caller]
    pub fn cross_entropy_backward(&self, labels: &Indices, grad_loss: &Tensor) -> Tensor {
        let (rows, classes) = check_logits_and_labels(self, labels);
        assert_eq!(
            grad_loss.numel(),
            1,
            "cross_entropy backward: the loss gradient must be a scalar, not {}",
            grad_loss.shape()
        );
        let storage = self.storage().cross_entropy_backward(
            labels.storage(),
            grad_loss.storage(),
            rows,
            classes,
        );
        Tensor::from_storage(storage, self.shape().clone())
    }
}

#[track_caller]
fn check_logits_and_labels(logits: &Tensor, labels: &Indices) -> (usize, usize) {
    let shapes_fit = logits.rank() == 2 && labels.dims() == [logits.dims()[0]];
    assert!(
        shapes_fit,
        "cross_entropy: logits {} and labels {} do not fit; expected logits [N, classes] and labels [N]",
        logits.shape(),
        labels.shape()
    );
    assert!(
        logits.device() == labels.device(),
        "cross_entropy: logits on {} but labels on {}; move one with .to(device)",
        logits.device(),
        labels.device()
    );
    let classes = logits.dims()[1];
    // Labels made on a device (rare) are not checked here: the CPU kernel checks each one, the
    // CUDA kernel gives an out-of-range label's row a NaN loss.
    if let Some(largest) = labels.largest_known() {
        assert!(
            (largest as usize) < classes,
            "cross_entropy: label {largest} is out of range for {classes} classes"
        );
    }
    (logits.dims()[0], classes)
}
