//! The training and evaluation loops shared by the examples: one epoch of minibatch training
//! (from its start, or resumed in its middle, and stoppable after any step), and predictions on
//! a test split with their accuracy. Drawing progress is left to the caller (callbacks).

use crate::data::{batch_order, DeviceSplit, Split};
use crate::error::{Error, Result};
use crate::optim::Optimizer;
use crate::{loss, ForwardContext, Module};
use autograd::Var;
use std::sync::atomic::{AtomicBool, Ordering};
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

/// Running totals of an epoch, passed to the progress callback as results are read.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Progress {
    /// Steps done (and read back) so far, of `steps`.
    pub step: usize,
    pub steps: usize,
    pub examples: usize,
    pub(crate) loss_sum: f64,
    pub(crate) correct: usize,
}

impl Progress {
    /// Mean loss over the examples seen so far.
    pub fn loss(&self) -> f32 {
        (self.loss_sum / self.examples.max(1) as f64) as f32
    }

    pub fn accuracy(&self) -> f32 {
        self.correct as f32 / self.examples.max(1) as f32
    }

    /// The fraction of the epoch done, 0 to 1.
    pub fn fraction(&self) -> f64 {
        self.step as f64 / self.steps.max(1) as f64
    }
}

/// Where an epoch begins: at its first step, or — resuming an interrupted run — after
/// `progress.step` steps whose running totals `progress` holds.
#[derive(Clone, Copy, Debug)]
pub struct EpochStart {
    /// Counted from 1.
    pub epoch: usize,
    pub progress: Progress,
}

impl EpochStart {
    pub fn beginning(epoch: usize) -> Self {
        EpochStart {
            epoch,
            progress: Progress::default(),
        }
    }
}

/// What the caller of [`train_epoch_from`] sees and controls while the epoch runs.
pub struct EpochHooks<'a> {
    /// Checked after every step: once set, the epoch ends after the current step.
    pub stop: &'a AtomicBool,
    /// Sees the running totals as results are read (a few times per second).
    pub on_step: &'a mut dyn FnMut(&Progress),
    /// Sees each step's loss (with the step's index) right after its forward pass, while its
    /// tape still holds the recorded graph: `backward` consumes it next. This is where
    /// `loss.tape().unwrap().to_dot()` draws a training step.
    pub on_forward: &'a mut dyn FnMut(usize, &Var),
}

/// How an epoch ended: all its steps done, or stopped early on request.
#[derive(Clone, Copy, Debug)]
pub enum EpochEnd {
    Finished(Progress),
    /// `progress.step` steps are done; resuming with this progress continues exactly.
    Stopped(Progress),
}

/// Trains `model` for one whole epoch over `split` in an order shuffled by `seed`. Stops with
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
    let hooks = EpochHooks {
        stop: &AtomicBool::new(false),
        on_step,
        on_forward: &mut |_, _| {},
    };
    let start = EpochStart::beginning(epoch);
    match train_epoch_from(model, optimizer, split, feed, start, seed, hooks)? {
        EpochEnd::Finished(progress) | EpochEnd::Stopped(progress) => Ok(progress),
    }
}

/// [`train_epoch`] from `start` (possibly mid-epoch), checking `hooks.stop` after every step:
/// once it is set, the epoch ends after the current step with [`EpochEnd::Stopped`]. Everything a step
/// draws — the batch order, dropout masks — comes from `seed`, the epoch and the step, so a run
/// stopped and resumed (with its weights and optimizer state) computes exactly what an
/// uninterrupted run computes.
pub fn train_epoch_from(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    split: &Split,
    feed: Feed,
    start: EpochStart,
    seed: u64,
    hooks: EpochHooks<'_>,
) -> Result<EpochEnd> {
    out_of_memory_as_error(feed.batch_size, || {
        let epoch = start.epoch;
        let batches = batch_order(
            split.len(),
            feed.batch_size,
            Some(splitmix64(seed ^ epoch as u64)),
        );
        let mut progress = Progress {
            steps: batches.len(),
            ..start.progress
        };
        let mut unread = Vec::new();
        let mut last_read = Instant::now();
        let data = DeviceSplit::upload(split, feed.image_size, feed.device)?;
        // Which parameter (if any) is already NaN or infinite: then a NaN loss is the weights'
        // fault, not the learning rate's. Sixteen sums for AlexNet, once per epoch.
        let broken_parameter = first_non_finite_parameter(model);
        for (step, indices) in batches.iter().enumerate().skip(start.progress.step) {
            let batch = data.batch(indices)?;
            let mut ctx =
                ForwardContext::training(splitmix64(seed ^ ((epoch as u64) << 32) ^ step as u64));
            let logits = model.forward(&Var::constant(batch.images), &mut ctx);
            let loss = loss::cross_entropy(&logits, &batch.labels);
            (hooks.on_forward)(step, &loss);
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
            let stopping = hooks.stop.load(Ordering::Relaxed);
            if last_step || stopping || last_read.elapsed() >= READ_INTERVAL {
                for result in unread.drain(..) {
                    result
                        .add_to(&mut progress, epoch)
                        .map_err(|e| blame_weights(e, &broken_parameter))?;
                }
                last_read = Instant::now();
                (hooks.on_step)(&progress);
            }
            if stopping && !last_step {
                return Ok(EpochEnd::Stopped(progress));
            }
        }
        Ok(EpochEnd::Finished(progress))
    })
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
        progress.correct += count_correct(&self.predictions.to_vec(), self.labels.to_vec());
        Ok(())
    }
}

/// The class `model` predicts for every example of `split` (in file order), without a tape.
/// `on_progress(done, total)` follows the examples as their predictions are read back (a few
/// times per second on a GPU, where reading waits for the queued work).
pub fn predict(
    model: &dyn Module,
    split: &Split,
    feed: Feed,
    on_progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u32>> {
    out_of_memory_as_error(feed.batch_size, || {
        let data = DeviceSplit::upload(split, feed.image_size, feed.device)?;
        let mut predicted = Vec::with_capacity(split.len());
        let mut unread: Vec<Indices> = Vec::new();
        let mut last_read = Instant::now();
        let batches = batch_order(split.len(), feed.batch_size, None);
        for (i, indices) in batches.iter().enumerate() {
            let batch = data.batch(indices)?;
            let logits = model.forward(
                &Var::constant(batch.images),
                &mut ForwardContext::evaluation(),
            );
            unread.push(logits.value().argmax_axis(1));
            if i + 1 == batches.len() || last_read.elapsed() >= READ_INTERVAL {
                unread.drain(..).for_each(|p| predicted.extend(p.to_vec()));
                last_read = Instant::now();
                on_progress(predicted.len(), split.len());
            }
        }
        Ok(predicted)
    })
}

/// The fraction of `predicted` equal to `labels` (a split's labels, e.g. for the output of
/// [`predict`]).
pub fn accuracy(predicted: &[u32], labels: &[u8]) -> f32 {
    let correct = count_correct(predicted, labels.iter().map(|&label| u32::from(label)));
    correct as f32 / labels.len().max(1) as f32
}

/// How many of `predicted` equal the label at the same position: the one place that counts
/// correct predictions, for training's running totals and for [`accuracy`].
fn count_correct(predicted: &[u32], labels: impl IntoIterator<Item = u32>) -> usize {
    predicted
        .iter()
        .zip(labels)
        .filter(|&(&predicted, label)| predicted == label)
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
