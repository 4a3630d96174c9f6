//! Pieces the examples share: the release-build warning, device choice, the progress bar and the
//! per-epoch line.

#![allow(dead_code)] // each example uses a different subset

use indicatif::{ProgressBar, ProgressStyle};
use rustgrad::nn::data::FashionMnist;
use rustgrad::nn::optim::Optimizer;
use rustgrad::nn::training::{evaluate, train_epoch, Feed, Progress};
use rustgrad::nn::Module;
use rustgrad::tensor::Device;
use std::path::Path;
use std::time::Instant;

pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Runs an example's body: warns about debug builds, and turns an error into a message on
/// stderr and exit status 1.
pub fn main_with(run: impl FnOnce() -> AnyResult<()>) {
    warn_if_debug_build();
    if let Err(error) = run() {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// What one finished epoch produced.
pub struct EpochResult {
    pub epoch: usize,
    pub train: Progress,
    pub test_accuracy: f32,
    pub seconds: f64,
}

/// Trains for `epochs` epochs with a progress bar, evaluating on the test split and printing
/// the epoch line after each; `after_epoch(model, result)` then saves checkpoints, metrics, ...
pub fn train_epochs(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    data: &FashionMnist,
    feed: Feed,
    epochs: usize,
    seed: u64,
    mut after_epoch: impl FnMut(&dyn Module, &EpochResult) -> AnyResult<()>,
) -> AnyResult<()> {
    for epoch in 1..=epochs {
        let started = Instant::now();
        let bar = epoch_bar(epoch, epochs, data.train.len().div_ceil(feed.batch_size));
        let mut on_step = |p: &Progress| show_progress(&bar, p, started);
        let train = train_epoch(
            model,
            optimizer,
            &data.train,
            feed,
            epoch,
            seed,
            &mut on_step,
        )?;
        bar.finish_and_clear();
        let test_accuracy = evaluate(model, &data.test, feed)?;
        let result = EpochResult {
            epoch,
            train,
            test_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        };
        println!("{}", epoch_line(&result));
        after_epoch(&*model, &result)?;
    }
    Ok(())
}

/// Examples refuse to be silently slow.
fn warn_if_debug_build() {
    if cfg!(debug_assertions) {
        eprintln!("warning: built without --release; training will be many times slower. Use `cargo run --release ...`");
    }
}

/// A progress bar for one epoch, showing running loss, accuracy and images per second.
pub fn epoch_bar(epoch: usize, epochs: usize, steps: usize) -> ProgressBar {
    let bar = ProgressBar::new(steps as u64);
    let template = "epoch {prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed} elapsed, ~{eta} left)";
    bar.set_style(
        ProgressStyle::with_template(template)
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{epoch}/{epochs}"));
    bar
}

/// Updates the bar from the epoch's running totals.
pub fn show_progress(bar: &ProgressBar, progress: &Progress, started: Instant) {
    let images_per_second = progress.examples as f64 / started.elapsed().as_secs_f64().max(1e-9);
    bar.set_position(progress.step as u64);
    bar.set_message(format!(
        "loss {:.4}, acc {:.4}, {images_per_second:.0} img/s",
        progress.loss(),
        progress.accuracy()
    ));
}

/// The line PyTorch tutorials print after each epoch.
pub fn epoch_line(r: &EpochResult) -> String {
    format!(
        "epoch {}, train loss {:.4}, train acc {:.4}, test acc {:.4}, time {:.1} sec",
        r.epoch,
        r.train.loss(),
        r.train.accuracy(),
        r.test_accuracy,
        r.seconds
    )
}

/// `--device` as given, or the best available: CUDA when built with it and a GPU answers.
pub fn choose_device(requested: Option<&str>) -> Result<Device, String> {
    match requested {
        Some("cpu") => Ok(Device::Cpu),
        Some("cuda") => check_cuda().map(|()| Device::Cuda(0)),
        Some(other) => Err(format!("unknown device '{other}': use cpu or cuda")),
        None => match check_cuda() {
            Ok(()) => Ok(Device::Cuda(0)),
            Err(why) => {
                eprintln!("using the CPU; CUDA is not available here: {why}");
                Ok(Device::Cpu)
            }
        },
    }
}

/// Whether a CUDA device can hold a tensor; the error says why not and what to do.
fn check_cuda() -> Result<(), String> {
    rustgrad::tensor::Tensor::zeros([1])
        .to(Device::Cuda(0))
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `--lr`: a finite number above 0 (a negative rate climbs the loss instead of descending it).
pub fn positive_number(text: &str) -> Result<f32, String> {
    match text.parse::<f32>() {
        Ok(value) if value.is_finite() && value > 0.0 => Ok(value),
        Ok(value) => Err(format!("{value} is not a finite number above 0")),
        Err(e) => Err(format!("'{text}' is not a number ({e})")),
    }
}

/// Counts of at least 1: batch sizes, image limits, repeats.
pub fn at_least_one(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(value) => Ok(value),
        Err(e) => Err(format!("'{text}' is not a whole number ({e})")),
    }
}

/// Checks every output path before any work starts (a refusal after an hour of training would
/// lose the hour): each may be written by `output_file::write_atomically`.
pub fn check_outputs(outputs: &[(&str, Option<&Path>)]) -> Result<(), String> {
    for (option, path) in outputs {
        if let Some(path) = path {
            rustgrad::nn::output_file::check(path).map_err(|e| format!("{option} {e}"))?;
        }
    }
    Ok(())
}

/// Refuses a run whose memory floor (`needed` bytes, what the model keeps for one training
/// step at `batch`) clearly exceeds what `device` has, naming a batch size that fits.
pub fn check_memory(
    needed: f64,
    batch: usize,
    per_image: f64,
    device: Device,
) -> Result<(), String> {
    let Some(available) = available_memory(device) else {
        return Ok(());
    };
    if needed <= available {
        return Ok(());
    }
    let gib = |bytes: f64| bytes / (1u64 << 30) as f64;
    let fits = ((available - (needed - per_image * batch as f64)) / per_image).floor();
    // The floor leaves out scratch buffers and the backward pass's gradients: suggest half of
    // what the floor allows, rounded down to a power of two.
    let advice = if fits >= 2.0 {
        let suggestion = 1usize << ((fits / 2.0) as usize).ilog2();
        format!("try --batch-size {suggestion}")
    } else {
        "even one image barely fits: use a machine with more memory".to_string()
    };
    Err(format!(
        "a training step at batch size {batch} needs at least {:.1} GiB on {device}, which has {:.1} GiB available; {advice}",
        gib(needed),
        gib(available)
    ))
}

/// Bytes `device` can hold: the CPU's available memory (`MemAvailable`), a GPU's total memory.
fn available_memory(device: Device) -> Option<f64> {
    match device {
        Device::Cpu => {
            let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
            let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024.0)
        }
        #[cfg(feature = "cuda")]
        Device::Cuda(ordinal) => rustgrad::tensor::cuda::device(ordinal)
            .ok()
            .map(|gpu| gpu.total_memory() as f64),
        #[cfg(not(feature = "cuda"))]
        Device::Cuda(_) => None,
    }
}
