//! Pieces the examples share: the release-build warning, device choice, the progress bar and the
//! per-epoch line.

#![allow(dead_code)] // each example uses a different subset

use indicatif::{ProgressBar, ProgressStyle};
use rustgrad::nn::training::Progress;
use rustgrad::tensor::Device;
use std::time::Instant;

/// Examples refuse to be silently slow.
pub fn warn_if_debug_build() {
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
pub fn epoch_line(epoch: usize, progress: &Progress, test_accuracy: f32, seconds: f64) -> String {
    format!(
        "epoch {epoch}, train loss {:.4}, train acc {:.4}, test acc {test_accuracy:.4}, time {seconds:.1} sec",
        progress.loss(),
        progress.accuracy()
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
                eprintln!("using the CPU ({why})");
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
