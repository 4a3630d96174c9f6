//! Pieces the examples share: the release-build warning, device choice, option checks, the
//! training loop with its progress display, time estimate and Ctrl-C handling, and the per-epoch
//! line; in `run`, the whole training command of `alexnet` and `train`.

#![allow(dead_code)] // each example uses a different subset

pub mod history;
pub mod memory;
pub mod pictures;
pub mod plot;
pub mod progress;
pub mod resume;
pub mod run;

use progress::{human, ProgressView, RunClock};
use rustgrad::autograd::{Tape, Var};
use rustgrad::nn::data::FashionMnist;
use rustgrad::nn::optim::Optimizer;
use rustgrad::nn::training::{
    predict, train_epoch_from, EpochEnd, EpochHooks, EpochStart, Feed, Progress,
};
use rustgrad::nn::Module;
use rustgrad::tensor::Device;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Runs an example's body: warns about debug builds, and turns an error into a message on
/// stderr and exit status 1 (130 for a run stopped by Ctrl-C, as shells report SIGINT).
pub fn main_with(run: impl FnOnce() -> AnyResult<()>) {
    warn_if_debug_build();
    if let Err(error) = run() {
        if let Some(stopped) = error.downcast_ref::<Interrupted>() {
            eprintln!("{stopped}");
            std::process::exit(130);
        }
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// A run stopped by Ctrl-C; the message says what was saved and how to resume.
#[derive(Debug)]
pub struct Interrupted(pub String);

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// Set by the first Ctrl-C: training stops after the current step.
pub static STOP: AtomicBool = AtomicBool::new(false);

/// The first Ctrl-C asks training to stop after its current step (then the example saves and
/// says how to resume); a second one exits at once.
pub fn stop_on_ctrl_c() -> Result<(), String> {
    ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            eprintln!("\nstopped at once (second Ctrl-C); nothing more was saved");
            std::process::exit(130);
        }
        eprintln!("\nstopping after this step (Ctrl-C again to quit at once)");
    })
    .map_err(|e| format!("cannot catch Ctrl-C: {e}"))
}

/// What one finished epoch produced.
pub struct EpochResult {
    pub epoch: usize,
    pub train: Progress,
    pub test_accuracy: f32,
    pub seconds: f64,
}

impl EpochResult {
    /// The figures of the epoch line and of a metrics CSV row, in their order: the epoch, the
    /// training loss and accuracy, the test accuracy, the seconds the epoch took.
    pub fn figures(&self) -> (usize, f32, f32, f32, f64) {
        let train = &self.train;
        let (loss, accuracy) = (train.loss(), train.accuracy());
        (self.epoch, loss, accuracy, self.test_accuracy, self.seconds)
    }
}

/// A training run: the data, how to feed it, the epochs in all, the seed, where it starts (a
/// resumed run starts after its saved position), and for the time estimate, what it runs on and
/// a shorter command to suggest when the run is long; `graph`: where to draw the run's first
/// training step (`--graph`).
pub struct TrainingRun<'a> {
    pub data: &'a FashionMnist,
    pub feed: Feed,
    pub epochs: usize,
    pub seed: u64,
    pub start: EpochStart,
    pub device_label: String,
    pub quick_look: Option<String>,
    pub graph: Option<PathBuf>,
}

/// How a run ended.
pub enum RunEnd {
    Finished,
    /// Stopped by Ctrl-C; training continues from here.
    Stopped(EpochStart),
}

/// A run longer than this gets the quick-look command suggested.
const LONG_RUN: Duration = Duration::from_secs(10 * 60);

/// Trains from `run.start` to the last epoch, with progress (bars or plain lines), the whole
/// run's time estimate after its first steps, a progress display for each test pass, and the
/// epoch line; `on_progress(epoch, progress)` sees the running totals as they are read,
/// `after_epoch(model, optimizer, result)` saves checkpoints, metrics, plots. Ctrl-C (see
/// [`stop_on_ctrl_c`]) ends the run after the current step with [`RunEnd::Stopped`].
pub fn train_epochs(
    model: &mut dyn Module,
    optimizer: &mut dyn Optimizer,
    run: &TrainingRun<'_>,
    mut on_progress: impl FnMut(usize, &Progress),
    mut after_epoch: impl FnMut(&dyn Module, &dyn Optimizer, &EpochResult) -> AnyResult<()>,
) -> AnyResult<RunEnd> {
    let (train_len, test_len) = (run.data.train.len(), run.data.test.len());
    let epochs_left = (run.epochs + 1).saturating_sub(run.start.epoch);
    let mut clock = RunClock::new(
        epochs_left * train_len - run.start.progress.examples,
        epochs_left * test_len,
    );
    let (mut trained, mut tested) = (0, 0); // images of this run so far
    let mut graph_to_draw = run.graph.as_deref();
    let mut graph_written: AnyResult<()> = Ok(());
    for epoch in run.start.epoch..=run.epochs {
        let start = if epoch == run.start.epoch {
            run.start
        } else {
            EpochStart::beginning(epoch)
        };
        let started = Instant::now();
        let steps = train_len.div_ceil(run.feed.batch_size) as u64;
        let mut view = ProgressView::new(&format!("epoch {epoch}/{}", run.epochs), steps);
        let mut on_step = |p: &Progress| {
            let done = trained + p.examples - start.progress.examples;
            if let Some(estimate) = clock.record(done, p.step - start.progress.step) {
                view.println(&estimate_line(run, estimate, clock.speed()));
            }
            view.update(
                p.step as u64,
                &step_message(p, &clock, done, tested, train_len),
            );
            on_progress(epoch, p);
        };
        // The run's first step draws its graph, before `backward` consumes the tape.
        let mut on_forward = |_step: usize, loss: &Var| {
            if let (Some(path), Some(tape)) = (graph_to_draw.take(), loss.tape()) {
                graph_written = write_graph(path, &tape);
            }
        };
        let hooks = EpochHooks {
            stop: &STOP,
            on_step: &mut on_step,
            on_forward: &mut on_forward,
        };
        let end = train_epoch_from(
            model,
            optimizer,
            &run.data.train,
            run.feed,
            start,
            run.seed,
            hooks,
        )?;
        view.finish();
        std::mem::replace(&mut graph_written, Ok(()))?;
        let train = match end {
            EpochEnd::Finished(progress) => progress,
            EpochEnd::Stopped(progress) => {
                return Ok(RunEnd::Stopped(EpochStart { epoch, progress }));
            }
        };
        trained += train.examples - start.progress.examples;
        let test_accuracy = test_pass(model, run)?;
        tested += test_len;
        let result = EpochResult {
            epoch,
            train,
            test_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        };
        println!("{}", epoch_line(&result));
        after_epoch(&*model, &*optimizer, &result)?;
        if STOP.load(Ordering::SeqCst) && epoch < run.epochs {
            return Ok(RunEnd::Stopped(EpochStart::beginning(epoch + 1)));
        }
    }
    Ok(RunEnd::Finished)
}

/// Accuracy on the test split, with its own progress display.
fn test_pass(model: &dyn Module, run: &TrainingRun<'_>) -> AnyResult<f32> {
    let test = &run.data.test;
    let mut view = ProgressView::new("testing", test.len() as u64);
    let predicted = predict(model, test, run.feed, &mut |done, _| {
        view.update(done as u64, "images");
    })?;
    view.finish();
    Ok(rustgrad::nn::training::accuracy(&predicted, &test.labels))
}

/// "loss 0.6138, acc 0.7664, 52 img/s, ~3 min left in the epoch, ~45 min in the run".
fn step_message(
    p: &Progress,
    clock: &RunClock,
    trained: usize,
    tested: usize,
    train_len: usize,
) -> String {
    let mut message = format!("loss {:.4}, acc {:.4}", p.loss(), p.accuracy());
    if let Some(speed) = clock.speed() {
        let epoch_left = Duration::from_secs_f64((train_len - p.examples) as f64 / speed);
        message.push_str(&format!(
            ", {speed:.0} img/s, ~{} left in the epoch",
            human(epoch_left)
        ));
        if let Some(run_left) = clock.remaining(trained, tested) {
            message.push_str(&format!(", ~{} in the run", human(run_left)));
        }
    }
    message
}

/// Said once, after the first steps: how long the whole run will take, and — if that is long —
/// a shorter command for a first look.
fn estimate_line(run: &TrainingRun<'_>, estimate: Duration, speed: Option<f64>) -> String {
    let epochs = (run.epochs + 1).saturating_sub(run.start.epoch);
    let speed = speed.map_or(String::new(), |s| format!(", {s:.0} images/s"));
    let mut line = format!(
        "estimate: {epochs} epoch(s) ≈ {} on {}{speed}",
        human(estimate),
        run.device_label
    );
    if let (true, Some(quick)) = (estimate > LONG_RUN, &run.quick_look) {
        line.push_str(&format!(
            "\n  for a quick look instead (Ctrl-C stops this run): {quick}"
        ));
    }
    line
}

/// Examples refuse to be silently slow.
fn warn_if_debug_build() {
    if cfg!(debug_assertions) {
        eprintln!("warning: built without --release; training will be many times slower. Use `cargo run --release ...`");
    }
}

/// The line PyTorch tutorials print after each epoch.
pub fn epoch_line(r: &EpochResult) -> String {
    let (epoch, loss, accuracy, test_accuracy, seconds) = r.figures();
    format!(
        "epoch {epoch}, train loss {loss:.4}, train acc {accuracy:.4}, test acc \
         {test_accuracy:.4}, time {seconds:.1} sec"
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

/// `--graph`: the file holds Graphviz text, not a picture, so its name must say so
/// (`FILE.dot`, or Graphviz's other name `FILE.gv`); `g.svg` would hold no SVG.
pub fn check_graph_name(path: &Path) -> Result<(), String> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    match extension.to_ascii_lowercase().as_str() {
        "dot" | "gv" => Ok(()),
        _ => Err(format!(
            "--graph {}: the graph is Graphviz text: name it FILE.dot (then `dot -Tsvg FILE.dot -o FILE.svg` draws it)",
            path.display()
        )),
    }
}

/// `--graph`: writes the recorded forward pass on `tape` to `path` (atomically) and says how to
/// draw it. Call it before `backward`, which consumes the tape.
pub fn write_graph(path: &Path, tape: &Tape) -> AnyResult<()> {
    rustgrad::nn::output_file::write_atomically(path, tape.to_dot().as_bytes())?;
    println!(
        "graph of one training step ({} recorded values) written to {}; draw it with: dot -Tsvg {} -o {}",
        tape.len(),
        path.display(),
        path.display(),
        path.with_extension("svg").display()
    );
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
