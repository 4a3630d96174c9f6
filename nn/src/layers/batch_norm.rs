//! `nn.BatchNorm1d` and `nn.BatchNorm2d`: normalise each channel (axis 1) to mean 0 and
//! variance 1, then scale by `weight` and shift by `bias`, one value of each per channel.
//!
//! In training the mean and variance are the batch's, over every axis but the channel axis
//! (`N` for `[N, C]`; `N, H, W` for `[N, C, H, W]`), and the layer moves its running statistics
//! towards them: `running = (1 − momentum) · running + momentum · batch`, with the *unbiased*
//! variance (`· n / (n − 1)`, n values per channel) as PyTorch does, and counts the batch in
//! `num_batches_tracked`. In evaluation it normalises with the running statistics instead.
//!
//! The forward pass is written with existing differentiable ops (means, subtraction, a power,
//! products), so its backward pass — through the batch statistics too — is the chain rule of
//! those ops, checked by finite differences like every op; no hand-written derivative here.

use super::refuse_input;
use crate::{Buffer, ForwardContext, Module, Parameter};
use autograd::Var;
use std::fmt;
use tensor::Tensor;

/// Batch normalisation over `D` spatial axes: [`BatchNorm1d`] (`D = 1`: input `[N, C]` or
/// `[N, C, L]`) and [`BatchNorm2d`] (`D = 2`: input `[N, C, H, W]`). PyTorch's defaults:
/// `eps = 1e-5`, `momentum = 0.1`, learnable `weight` (ones) and `bias` (zeros).
pub struct BatchNorm<const D: usize> {
    pub weight: Parameter,
    pub bias: Parameter,
    pub running_mean: Buffer,
    pub running_var: Buffer,
    pub num_batches_tracked: Buffer,
    pub eps: f32,
    pub momentum: f32,
}

/// `nn.BatchNorm1d(features)`: input `[N, C]` or `[N, C, L]`.
pub type BatchNorm1d = BatchNorm<1>;
/// `nn.BatchNorm2d(channels)`: input `[N, C, H, W]`.
pub type BatchNorm2d = BatchNorm<2>;

impl<const D: usize> BatchNorm<D> {
    #[track_caller]
    pub fn new(channels: usize) -> Self {
        assert!(channels > 0, "BatchNorm{D}d: needs at least one channel");
        BatchNorm {
            weight: Parameter::new(Tensor::full([channels], 1.0)),
            bias: Parameter::new(Tensor::zeros([channels])),
            running_mean: Buffer::new(Tensor::zeros([channels])),
            running_var: Buffer::new(Tensor::full([channels], 1.0)),
            num_batches_tracked: Buffer::counter(0),
            eps: 1e-5,
            momentum: 0.1,
        }
    }

    fn channels(&self) -> usize {
        self.weight.value.numel()
    }

    /// Panics, naming this layer, unless `input` has this layer's rank and channel count.
    #[track_caller]
    fn check_input(&self, input: &Var, ctx: &ForwardContext) {
        let dims = input.dims();
        let rank_fits = match D {
            1 => dims.len() == 2 || dims.len() == 3,
            _ => dims.len() == D + 2,
        };
        let c = self.channels();
        if !rank_fits || dims[1] != c {
            let expected = match D {
                1 => format!("[N, {c}] or [N, {c}, L]"),
                _ => format!("[N, {c}, H, W]"),
            };
            refuse_input(
                ctx,
                self,
                format_args!("expected input {expected}, got {}", input.shape()),
            );
        }
    }

    /// `[1, C, 1, …]`: a per-channel vector shaped to broadcast against an input of `rank`.
    fn per_channel_shape(&self, rank: usize) -> Vec<usize> {
        let mut shape = vec![1; rank];
        shape[1] = self.channels();
        shape
    }

    /// Training: normalise with the batch's statistics and update the running ones.
    #[track_caller]
    fn forward_with_batch_statistics(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
        let per_channel = (x.value().numel() / self.channels()) as f32;
        if per_channel < 2.0 {
            // One value per channel has no variance (PyTorch refuses it the same way).
            refuse_input(
                ctx,
                self,
                format_args!(
                    "input {}: training needs more than one value per channel (a batch of one \
                     [N, C]? use a larger batch, or evaluation mode)",
                    x.shape()
                ),
            );
        }
        let mean = mean_per_channel(x);
        let centered = x.sub(&mean);
        let variance = mean_per_channel(&centered.mul(&centered)); // biased, as in the formula
        let inverse_std = variance.add_scalar(self.eps).powf(-0.5);
        let shape = self.per_channel_shape(x.dims().len());
        let weight = ctx.parameter("weight", &self.weight).reshape(shape.clone());
        let bias = ctx.parameter("bias", &self.bias).reshape(shape);
        let y = centered.mul(&inverse_std.mul(&weight)).add(&bias);

        self.update_running_statistics(mean.value(), variance.value(), per_channel);
        y
    }

    /// `running ← (1 − momentum) · running + momentum · batch`; the variance made unbiased.
    fn update_running_statistics(&self, mean: &Tensor, variance: &Tensor, per_channel: f32) {
        let c = [self.channels()];
        let unbiased = variance
            .reshape(c)
            .mul_scalar(per_channel / (per_channel - 1.0));
        let momentum = self.momentum;
        let blend = |running: &Buffer, batch: &Tensor| {
            let kept = running.get().mul_scalar(1.0 - momentum);
            running.set(kept.add(&batch.mul_scalar(momentum)));
        };
        blend(&self.running_mean, &mean.reshape(c));
        blend(&self.running_var, &unbiased);
        let count = self.num_batches_tracked.get();
        self.num_batches_tracked.set(count.add_scalar(1.0));
    }

    /// Evaluation: `y = x · scale + shift` with `scale = weight / √(running_var + eps)` and
    /// `shift = bias − running_mean · scale`, per channel: two passes over the input.
    fn forward_with_running_statistics(&self, x: &Var, ctx: &mut ForwardContext) -> Var {
        let rank = x.dims().len();
        let shape = self.per_channel_shape(rank);
        let inverse_std = self.running_var.get().add_scalar(self.eps).powf(-0.5);
        let weight = ctx.parameter("weight", &self.weight);
        let bias = ctx.parameter("bias", &self.bias);
        let scale = weight.mul(&Var::constant(inverse_std));
        let shift = bias.sub(&scale.mul(&Var::constant(self.running_mean.get())));
        x.mul(&scale.reshape(shape.clone()))
            .add(&shift.reshape(shape))
    }
}

/// The mean over every axis but the channel axis 1, kept as axes of length 1 (`[1, C, 1, 1]`).
/// A mean of means is the mean, since every slice along each axis has the same count.
fn mean_per_channel(x: &Var) -> Var {
    let rank = x.dims().len();
    (0..rank)
        .filter(|&axis| axis != 1)
        .fold(x.clone(), |mean, axis| mean.mean_axis(axis, true))
}

/// `BatchNorm2d(64)`: how shape errors and summaries name the layer.
impl<const D: usize> fmt::Display for BatchNorm<D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchNorm{D}d({})", self.channels())
    }
}

impl<const D: usize> Module for BatchNorm<D> {
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        self.check_input(input, ctx);
        if ctx.is_training() {
            self.forward_with_batch_statistics(input, ctx)
        } else {
            self.forward_with_running_statistics(input, ctx)
        }
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        vec![
            ("weight".into(), &mut self.weight),
            ("bias".into(), &mut self.bias),
        ]
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        vec![
            ("running_mean".into(), &self.running_mean),
            ("running_var".into(), &self.running_var),
            ("num_batches_tracked".into(), &self.num_batches_tracked),
        ]
    }

    fn describe(&self) -> String {
        self.to_string()
    }
}
