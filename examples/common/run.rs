//! A whole training command, shared by the flagship (`examples/alexnet.rs`) and the example that
//! trains any model of the book (`examples/train.rs`): the options, the layer summary and the
//! memory check, loading or resuming, the epochs with their checkpoints, metrics and curves,
//! Ctrl-C, and evaluation only (`--epochs 0`).
//!
//! The two examples differ only in the model, the defaults of five options (epochs, batch size,
//! learning rate, optimizer, image size: see [`with_defaults`]) and the command their messages
//! suggest ([`Example`]).

use super::history::History;
use super::memory;
use super::pictures::{confusion_table, draw_predictions};
use super::plot::picture_format;
use super::resume;
use super::{AnyResult, RunEnd, TrainingRun};
use clap::{ArgMatches, Command};
use rustgrad::nn::checkpoint;
use rustgrad::nn::data::{FashionMnist, Split, CLASS_NAMES};
use rustgrad::nn::models::{self, Recipe};
use rustgrad::nn::optim::{Adam, Optimizer, Sgd};
use rustgrad::nn::summary::{summarize, Summary};
use rustgrad::nn::training::{accuracy, predict, EpochStart, Feed};
use rustgrad::nn::training_state::{self, TrainingState};
use rustgrad::nn::Module;
use rustgrad::tensor::{Device, Rng, Shape};
use std::cell::RefCell;
use std::path::{Path, PathBuf};

/// The options of a training command. Five of them have no default here (epochs, batch size,
/// learning rate, optimizer, image size): each example gives its own with [`with_defaults`].
#[derive(clap::Args)]
pub struct Options {
    /// cpu or cuda (default: cuda when built with --features cuda and a GPU is present, else cpu)
    #[arg(long, value_parser = ["cpu", "cuda"])]
    pub device: Option<String>,
    /// Passes over the training set, 0 to 1000; 0 with --load only evaluates the checkpoint
    #[arg(long, value_parser = clap::value_parser!(u16).range(0..=1000))]
    pub epochs: u16,
    /// Images per training step, at least 1 (and as many as memory allows: checked before training)
    #[arg(long, value_parser = super::at_least_one)]
    pub batch_size: usize,
    /// The optimizer's learning rate, a number above 0
    #[arg(long, value_parser = super::positive_number, allow_hyphen_values = true)]
    pub lr: f32,
    /// sgd (plain: no momentum, no weight decay, as the book trains) or adam (betas 0.9/0.999,
    /// eps 1e-8, as PyTorch)
    #[arg(long, value_parser = ["sgd", "adam"])]
    pub optimizer: String,
    /// Side of the square images fed to the network (Fashion-MNIST is 28x28, resized
    /// bilinearly); a side the model cannot take is refused before training
    #[arg(long, value_parser = super::at_least_one)]
    pub resize: usize,
    /// Folder with the four IDX files (default: $FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist)
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Train on the first N training images only (N >= 1)
    #[arg(long, value_parser = super::at_least_one)]
    pub limit_train: Option<usize>,
    /// Test on the first N test images only, in file order (N >= 1)
    #[arg(long, value_parser = super::at_least_one)]
    pub limit_test: Option<usize>,
    /// Seed of initialisation, shuffling and dropout
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write a safetensors checkpoint (PyTorch names) after every epoch; an existing file is
    /// replaced only if it is a regular, writable file
    #[arg(long)]
    pub save: Option<PathBuf>,
    /// Start a new run from a checkpoint's weights; with --epochs 0, only evaluate it
    #[arg(long, conflicts_with = "resume")]
    pub load: Option<PathBuf>,
    /// Continue a run saved with --save (after Ctrl-C or a finished epoch) exactly where it
    /// stopped, with its optimizer state and settings; --epochs may raise its total
    #[arg(long)]
    pub resume: Option<PathBuf>,
    /// Write the training curve as CSV (epoch, train loss, train acc, test acc, seconds) after
    /// every epoch; same rule as --save
    #[arg(long)]
    pub metrics: Option<PathBuf>,
    /// Draw the training curves (loss, train and test accuracy against epochs) into FILE.svg
    /// or FILE.png, redrawn after every epoch
    #[arg(long)]
    pub plot: Option<PathBuf>,
    /// Draw test images with their true and predicted classes into FILE.png after training
    /// (with --epochs 0: also print per-class accuracy and the confusion matrix)
    #[arg(long)]
    pub predictions: Option<PathBuf>,
    /// Write the graph of one training step's forward pass (every op on the tape with its
    /// output shape, and the parameters) into FILE.dot, from the run's first step; draw it with
    /// `dot -Tsvg FILE.dot -o FILE.svg`
    #[arg(long)]
    pub graph: Option<PathBuf>,
    /// CPU threads, at least 1 (default: $RAYON_NUM_THREADS, else one per core)
    #[arg(long, value_parser = super::at_least_one)]
    pub threads: Option<usize>,
    /// TF32 tensor-core math on the GPU for all GEMMs (on) or none (off); default: PyTorch's
    /// (convolutions on, Linear off)
    #[arg(long, value_parser = ["on", "off"])]
    pub tf32: Option<String>,
}

/// The options that depend on the model, by their ids in [`Options`].
pub const RECIPE_OPTIONS: [&str; 5] = ["epochs", "batch_size", "lr", "optimizer", "resize"];

/// `command` with defaults for the options that depend on the model: the recipe's epochs,
/// batch size, learning rate and image side, and `optimizer` (`sgd` or `adam`).
pub fn with_defaults(command: Command, recipe: &Recipe, optimizer: &str) -> Command {
    let defaults = [
        recipe.epochs.to_string(),
        recipe.batch_size.to_string(),
        recipe.learning_rate.to_string(),
        optimizer.to_string(),
        recipe.image_size.to_string(),
    ];
    RECIPE_OPTIONS
        .into_iter()
        .zip(defaults)
        .fold(command, |command, (id, default)| {
            // clap (without its `string` feature) keeps defaults as `&'static str`: these few
            // bytes live as long as the process anyway.
            let default: &'static str = default.leak();
            command.mut_arg(id, |arg| arg.required(false).default_value(default))
        })
}

/// What an example says about its model.
pub struct Example {
    /// The model's name in `nn::models::NAMES` ("alexnet"); saved with a run's settings, so
    /// that `--resume` refuses a run of another model.
    pub model: String,
    /// The model's name in titles ("AlexNet").
    pub title: String,
    /// The command that runs this example on this model, for the commands it suggests
    /// (`cargo run --release --example alexnet --`).
    pub command: String,
}

/// Runs the training command `example` with `args` (`matches`: how they were given, so that
/// `--resume` can tell the options given on the command line from the defaults).
pub fn run(example: &Example, mut args: Options, matches: &ArgMatches) -> AnyResult<()> {
    if args.epochs == 0 && args.load.is_none() && args.resume.is_none() {
        return Err("--epochs 0 evaluates a trained model: give it with --load PATH".into());
    }
    if args.epochs == 0 && args.graph.is_some() {
        return Err("--graph draws a training step, and --epochs 0 trains none".into());
    }
    check_outputs(&args)?;
    if let Some(threads) = args.threads {
        rustgrad::tensor::cpu::threads::set_threads(threads)?;
    }
    let device = super::choose_device(args.device.as_deref())?;
    if let Some(tf32) = &args.tf32 {
        rustgrad::tensor::set_tf32(tf32 == "on");
    }
    // A resumed run takes its settings (the optimizer among them) from its state, so read
    // those before building anything.
    if let Some(path) = args.resume.clone() {
        resume::take_settings(&path, example, &mut args, matches)?;
        check_outputs(&args)?; // the run's own outputs, taken over from its state
    }
    let mut model = models::build(&example.model, &mut Rng::new(args.seed))
        .ok_or_else(|| format!("there is no model named {}", example.model))?;
    model.to_device(device)?;
    // Its layers for one image (run on zeros, so the weights do not matter yet): a side the
    // model cannot take is refused here, before any checkpoint or data is read.
    let summary = layer_summary(&*model, example, args.resize)?;
    let mut optimizer = new_optimizer(&args);
    let (start, history) = match &args.resume {
        Some(path) => resume::load(path, &mut *model, &mut *optimizer)?,
        None => {
            if let Some(path) = &args.load {
                checkpoint::load_module(&mut *model, path)?;
                println!("loaded {}", path.display());
            }
            (EpochStart::beginning(1), History::default())
        }
    };
    let mut data = FashionMnist::load(args.data_dir.as_deref())?;
    data.train.truncate(args.limit_train.unwrap_or(usize::MAX));
    data.test.truncate(args.limit_test.unwrap_or(usize::MAX));
    check_memory(example, &args, &summary, &*model, &data, device)?;
    if args.epochs > 0 {
        check_last_batch(&*model, data.train.len(), args.batch_size)?;
    }
    print_summary(&summary, &args, device, &data);

    let feed = Feed {
        batch_size: args.batch_size,
        image_size: args.resize,
        device,
    };
    if args.epochs == 0 {
        return evaluate_only(&*model, &args, &data, feed);
    }
    let epochs = args.epochs as usize;
    if start.epoch > epochs {
        return Err(format!(
            "this run has already done its {} epoch(s): give a larger --epochs to train further",
            start.epoch - 1
        )
        .into());
    }
    super::stop_on_ctrl_c()?;
    let run = TrainingRun {
        data: &data,
        feed,
        epochs,
        seed: args.seed,
        start,
        device_label: device_label(device),
        quick_look: Some(format!(
            "{} --limit-train 4096 --limit-test 1000 --epochs 1",
            example.command
        )),
        graph: args.graph.clone(),
    };
    // Both callbacks add to the history, one at a time.
    let history = RefCell::new(history);
    let end = super::train_epochs(
        &mut *model,
        &mut *optimizer,
        &run,
        |epoch, progress| history.borrow_mut().record_progress(epoch, progress),
        |model, optimizer, result| {
            history.borrow_mut().record_epoch(result);
            let done = EpochStart::beginning(result.epoch + 1);
            save_everything(example, &args, model, optimizer, &history.borrow(), done)
        },
    )?;
    match end {
        RunEnd::Finished => {
            if let Some(path) = &args.predictions {
                let predicted = predict(&*model, &data.test, feed, &mut |_, _| {})?;
                draw_test_predictions(path, &data.test, &predicted)?;
            }
            Ok(())
        }
        RunEnd::Stopped(at) => {
            let history = history.borrow();
            save_everything(example, &args, &*model, &*optimizer, &history, at)?;
            Err(Box::new(super::Interrupted(stopped_message(
                example, &args, at,
            ))))
        }
    }
}

/// `--optimizer` with `--lr`.
fn new_optimizer(args: &Options) -> Box<dyn Optimizer> {
    match args.optimizer.as_str() {
        "adam" => Box::new(Adam::new(args.lr)),
        _ => Box::new(Sgd::new(args.lr)),
    }
}

/// "Adam", "SGD": as the summary line names the optimizer.
fn optimizer_name(args: &Options) -> &'static str {
    match args.optimizer.as_str() {
        "adam" => "Adam",
        _ => "SGD",
    }
}

/// Every output the run keeps current: checkpoint and training state, metrics, curves.
fn save_everything(
    example: &Example,
    args: &Options,
    model: &dyn Module,
    optimizer: &dyn Optimizer,
    history: &History,
    next: EpochStart,
) -> AnyResult<()> {
    if let Some(path) = &args.save {
        let state = TrainingState {
            epochs_done: next.epoch - 1,
            unfinished_epoch: (next.progress.step > 0).then_some(next.progress),
            settings: resume::saved_settings(example, args),
            history: history.to_lines(),
        };
        training_state::save(path, model, optimizer, &state)?;
    }
    if let Some(path) = &args.metrics {
        history.write_metrics(path)?;
    }
    if let Some(path) = &args.plot {
        let title = format!("{} on Fashion-MNIST", example.title);
        history.draw(path, &title, args.epochs as usize)?;
    }
    Ok(())
}

/// What Ctrl-C left: where the run stopped, what was saved, how to go on.
fn stopped_message(example: &Example, args: &Options, at: EpochStart) -> String {
    let position = if at.progress.step == 0 {
        format!("stopped after epoch {}", at.epoch - 1)
    } else {
        format!(
            "stopped in epoch {} after step {} of {}",
            at.epoch, at.progress.step, at.progress.steps
        )
    };
    match &args.save {
        Some(path) => format!(
            "{position}; saved {} and its training state. Continue with:\n  {} --resume {}",
            path.display(),
            example.command,
            path.display()
        ),
        None => format!("{position}; nothing was saved (no --save was given)"),
    }
}

/// The model's layers for one `size`×`size` image, or why the model cannot take such images
/// (the layer that refused them, as its panic names it).
fn layer_summary(model: &dyn Module, example: &Example, size: usize) -> Result<Summary, String> {
    let input = Shape::new([1, 1, size, size]);
    // The refusal becomes the error message, so the panic is not printed as well.
    let print_panics = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let summary =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| summarize(model, &input)));
    std::panic::set_hook(print_panics);
    let side = models::recipe(&example.model).map_or(224, |recipe| recipe.image_size);
    summary.map_err(|payload| {
        let why = payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "its forward pass failed".into());
        format!(
            "--resize {size}: {} cannot take {size}x{size} images ({why}); the book trains it at {side}x{side} (leave --resize out)",
            example.title
        )
    })
}

/// `--epochs 0`: the test accuracy, per class and as a confusion matrix, and the pictures.
fn evaluate_only(
    model: &dyn Module,
    args: &Options,
    data: &FashionMnist,
    feed: Feed,
) -> AnyResult<()> {
    let mut view = super::progress::ProgressView::new("testing", data.test.len() as u64);
    let predicted = predict(model, &data.test, feed, &mut |done, _| {
        view.update(done as u64, "images")
    })?;
    view.finish();
    println!(
        "{}",
        confusion_table(&data.test.labels, &predicted, &CLASS_NAMES)
    );
    println!("test acc {:.4}", accuracy(&predicted, &data.test.labels));
    if let Some(path) = &args.predictions {
        draw_test_predictions(path, &data.test, &predicted)?;
    }
    Ok(())
}

/// The first 18 test images with their true and predicted classes, as the d2l book shows them.
fn draw_test_predictions(path: &Path, test: &Split, predicted: &[u32]) -> Result<(), String> {
    let shown = test.len().min(18);
    let images: Vec<&[u8]> = (0..shown).map(|i| test.image(i)).collect();
    draw_predictions(
        path,
        &images,
        (test.rows, test.cols),
        6,
        &test.labels[..shown],
        &predicted[..shown],
        &CLASS_NAMES,
    )?;
    println!("predictions drawn into {}", path.display());
    Ok(())
}

/// Every output path is checked before any work starts.
fn check_outputs(args: &Options) -> Result<(), String> {
    let state = args.save.as_deref().map(training_state::state_path);
    super::check_outputs(&[
        ("--save", args.save.as_deref()),
        ("--save (its training state)", state.as_deref()),
        ("--metrics", args.metrics.as_deref()),
        ("--plot", args.plot.as_deref()),
        ("--predictions", args.predictions.as_deref()),
        ("--graph", args.graph.as_deref()),
    ])?;
    if let Some(path) = &args.graph {
        super::check_graph_name(path)?;
    }
    if let Some(path) = &args.plot {
        picture_format(path).map_err(|e| format!("--plot {e}"))?;
    }
    if let Some(path) = &args.predictions {
        if !path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("png"))
        {
            return Err(format!(
                "--predictions {}: the picture is a PNG: name it FILE.png",
                path.display()
            ));
        }
    }
    Ok(())
}

fn device_label(device: Device) -> String {
    match device {
        Device::Cpu => format!(
            "cpu ({} threads)",
            rustgrad::tensor::cpu::threads::threads()
        ),
        other => other.to_string(),
    }
}

/// Refuses a batch size whose memory floor exceeds the device (a batch never holds more images
/// than its split).
fn check_memory(
    example: &Example,
    args: &Options,
    summary: &Summary,
    model: &dyn Module,
    data: &FashionMnist,
    device: Device,
) -> Result<(), String> {
    let training = args.epochs > 0;
    let split = if training {
        data.train.len()
    } else {
        data.test.len()
    };
    let batch = args.batch_size.min(split);
    let floor = memory::Floor::of(&example.model, summary, model, &args.optimizer);
    let bytes = |batch| floor.bytes(batch, args.resize, training);
    super::check_memory(bytes(batch), batch, bytes(1) - bytes(0), device)
}

fn print_summary(summary: &Summary, args: &Options, device: Device, data: &FashionMnist) {
    println!("{summary}");
    println!(
        "device {}, {} training and {} test images, batch {}, {} lr {}",
        device_label(device),
        data.train.len(),
        data.test.len(),
        args.batch_size,
        optimizer_name(args),
        args.lr
    );
}

/// Batch norm needs two or more images per training step (one image has no variance per
/// channel), and the last batch of an epoch holds what is left over: refuse a run whose last
/// batch would hold one image before it trains a whole epoch and fails there.
fn check_last_batch(model: &dyn Module, images: usize, batch_size: usize) -> Result<(), String> {
    let has_batch_norm = model
        .buffers()
        .iter()
        .any(|(name, _)| name.ends_with("running_var"));
    if has_batch_norm && images % batch_size == 1 {
        return Err(format!(
            "{images} training images in batches of {batch_size} leave a last batch of 1 image, \
             and batch norm needs 2 or more per step: change --batch-size or --limit-train"
        ));
    }
    Ok(())
}
