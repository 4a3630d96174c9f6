//! The training and evaluation loops shared by the examples: one epoch of minibatch training,
//! and accuracy on a test split. Drawing progress is left to the caller (a callback per step).

use crate::data::{batch_order, DeviceSplit, Split};
use crate::error::{Error, Result};
use crate::optim::Optimizer;
use crate::{loss, ForwardContext, Module};
use autograd::Var;
use std::time::{Duration, Instant};
use tensor::{rng::splitmix64, Device, Indices, Tensor};

/// How to feed a model.
#[derive(Clone, Copy, Debug)]
pub struct Feed {
    pub batch_size: usize,
    /// Images are resized to `image_size`×`image_size` (on the device).
    pub image_size: usize,
    pub device: Device,
}

/// Running totals of an epoch, passed to the progress callback after every step.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub step: usize,
    pub steps: usize,
    pub examples: usize,
    loss_sum: f64,
    correct: usize,
}

impl Progress {
    /// Mean loss over the examples seen so far.
    pub fn loss(&self) -> f32 {
        (self.loss_sum / self.examples.max(1) as f64) as f32
    }

    pub fn accuracy(&self) -> f32 {
        self.correct as f32 / self.examples.max(1) as f32
    }
}

/// Trains `model` for one epoch over `split` in an order shuffled by `seed`. Stops with
/// [`Error::NonFiniteLoss`] naming the step if the loss becomes NaN or infinite.
pub fn train_epoch(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    split: &Split,
    feed: Feed,
    epoch: usize,
    seed: u64,
    on_step: &mut dyn FnMut(&Progress),
) -> Result<Progress> {
    out_of_memory_as_error(feed.batch_size, || {
        train_epoch_unguarded(model, optimizer, split, feed, epoch, seed, on_step)
    })
}

fn train_epoch_unguarded(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    split: &Split,
    feed: Feed,
    epoch: usize,
    seed: u64,
    on_step: &mut dyn FnMut(&Progress),
) -> Result<Progress> {
    let batches = batch_order(
        split.len(),
        feed.batch_size,
        Some(splitmix64(seed ^ epoch as u64)),
    );
    let mut progress = Progress {
        steps: batches.len(),
        ..Progress::default()
    };
    let mut unread = Vec::new();
    let mut last_read = Instant::now();
    let data = DeviceSplit::upload(split, feed.image_size, feed.device)?;
    // Which parameter (if any) is already NaN or infinite: then a NaN loss is the weights' fault,
    // not the learning rate's. Sixteen sums for AlexNet, once per epoch.
    let broken_parameter = first_non_finite_parameter(model);
    for (step, indices) in batches.iter().enumerate() {
        let batch = data.batch(indices)?;
        let mut ctx =
            ForwardContext::training(splitmix64(seed ^ ((epoch as u64) << 32) ^ step as u64));
        let logits = model.forward(&Var::constant(batch.images), &mut ctx);
        let loss = loss::cross_entropy(&logits, &batch.labels);
        unread.push(StepResult {
            step: step + 1,
            loss: loss.value().clone(),
            predictions: logits.value().argmax_axis(1),
            labels: batch.labels,
        });
        let gradients = ctx.backward(&loss);
        optimizer.step(model.parameters_mut(), &gradients);

        // Reading a value from the GPU waits for all queued work, so results are read a few
        // times per second, not after every step.
        let last_step = step + 1 == batches.len();
        if last_step || last_read.elapsed() >= READ_INTERVAL {
            for result in unread.drain(..) {
                result
                    .add_to(&mut progress, epoch)
                    .map_err(|e| blame_weights(e, &broken_parameter))?;
            }
            last_read = Instant::now();
            on_step(&progress);
        }
    }
    Ok(progress)
}

/// The name of the first parameter holding NaN or infinity (the sum of its values is then not
/// finite either).
fn first_non_finite_parameter(model: &dyn Module) -> Option<String> {
    model
        .parameters()
        .into_iter()
        .find(|(_, p)| !p.value.sum().item().is_finite())
        .map(|(name, _)| name)
}

/// A non-finite loss names the parameter that was broken before the epoch, if one was.
fn blame_weights(error: Error, broken: &Option<String>) -> Error {
    match error {
        Error::NonFiniteLoss {
            epoch, step, loss, ..
        } => Error::NonFiniteLoss {
            epoch,
            step,
            loss,
            broken_parameter: broken.clone(),
        },
        other => other,
    }
}

/// How often the training loop reads losses and accuracies back from the device.
const READ_INTERVAL: Duration = Duration::from_millis(250);

/// One step's results, still on the device until they are read.
struct StepResult {
    step: usize,
    loss: Tensor,
    predictions: Indices,
    labels: Indices,
}

impl StepResult {
    /// Reads the step's loss and accuracy into `progress`; a NaN or infinite loss stops training.
    fn add_to(self, progress: &mut Progress, epoch: usize) -> Result<()> {
        let loss = self.loss.item();
        if !loss.is_finite() {
            return Err(Error::NonFiniteLoss {
                epoch,
                step: self.step,
                loss,
                broken_parameter: None,
            });
        }
        let examples = self.labels.numel();
        progress.step = self.step;
        progress.examples += examples;
        progress.loss_sum += loss as f64 * examples as f64;
        let predicted = self.predictions.to_vec();
        progress.correct += predicted
            .iter()
            .zip(self.labels.to_vec())
            .filter(|(p, l)| *p == l)
            .count();
        Ok(())
    }
}

/// Fraction of `split` (in file order) that `model` classifies correctly, without a tape.
pub fn evaluate(model: &dyn Module, split: &Split, feed: Feed) -> Result<f32> {
    out_of_memory_as_error(feed.batch_size, || evaluate_unguarded(model, split, feed))
}

fn evaluate_unguarded(model: &dyn Module, split: &Split, feed: Feed) -> Result<f32> {
    // Predictions stay on the device until the end: one wait for the GPU, not one per batch.
    let mut batches = Vec::new();
    let data = DeviceSplit::upload(split, feed.image_size, feed.device)?;
    for indices in batch_order(split.len(), feed.batch_size, None) {
        let batch = data.batch(&indices)?;
        let logits = model.forward(
            &Var::constant(batch.images),
            &mut ForwardContext::evaluation(),
        );
        batches.push((logits.value().argmax_axis(1), batch.labels));
    }
    let correct: usize = batches
        .iter()
        .map(|(predicted, labels)| matches(predicted, labels))
        .sum();
    Ok(correct as f32 / split.len().max(1) as f32)
}

/// How many predictions equal their labels.
fn matches(predicted: &Indices, labels: &Indices) -> usize {
    predicted
        .to_vec()
        .iter()
        .zip(labels.to_vec())
        .filter(|(p, l)| *p == l)
        .count()
}

/// How many rows of `logits` have their largest value at the label.
pub fn count_correct(logits: &Tensor, labels: &Indices) -> usize {
    let predicted = logits.argmax_axis(1).to_vec();
    predicted
        .iter()
        .zip(labels.to_vec())
        .filter(|(p, l)| *p == l)
        .count()
}

/// Kernels cannot return errors, so a failed device allocation panics with a message starting
/// "CUDA out of memory"; here, at the level that knows the batch size, that panic becomes
/// [`Error::OutOfMemory`]. Any other panic goes on unwinding.
pub fn out_of_memory_as_error<T>(batch_size: usize, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            if message.contains("CUDA out of memory") {
                Err(Error::OutOfMemory {
                    batch_size,
                    detail: message,
                })
            } else {
                std::panic::resume_unwind(payload)
            }
        }
    }
}
