//! The flagship: AlexNet trained on Fashion-MNIST resized to 224x224, the classic PyTorch
//! recipe (batch 128, Adam lr 0.001, dropout 0.5, 5 epochs, ~0.90 test accuracy).
//!
//! ```text
//! cargo run --release --example alexnet --features cuda             # on the GPU
//! cargo run --release --example alexnet -- --limit-train 4096 --limit-test 1000 --epochs 1 \
//!     --plot curves.svg --predictions predictions.png                # a quick look on a CPU
//! ```
//!
//! `--graph FILE.dot` writes the tape of one training step (`dot -Tsvg FILE.dot -o FILE.svg`).

#[path = "common/mod.rs"]
mod common;

use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser};
use common::history::History;
use common::pictures::{confusion_table, draw_predictions};
use common::plot::picture_format;
use common::{RunEnd, TrainingRun};
use rustgrad::nn::checkpoint;
use rustgrad::nn::data::{FashionMnist, Split, CLASS_NAMES};
use rustgrad::nn::models::AlexNet;
use rustgrad::nn::optim::{Adam, Optimizer};
use rustgrad::nn::summary::summarize;
use rustgrad::nn::training::{accuracy, predict, EpochStart, Feed};
use rustgrad::nn::training_state::{self, TrainingState};
use rustgrad::nn::Module;
use rustgrad::tensor::{Device, Rng, Shape};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Parser)]
#[command(about = "Train AlexNet on Fashion-MNIST resized to 224x224", version)]
struct Args {
    /// cpu or cuda (default: cuda when built with --features cuda and a GPU is present, else cpu)
    #[arg(long, value_parser = ["cpu", "cuda"])]
    device: Option<String>,
    /// Passes over the training set, 0 to 1000; 0 with --load only evaluates the checkpoint
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(0..=1000))]
    epochs: u16,
    /// Images per training step, at least 1 (and as many as memory allows: checked before training)
    #[arg(long, default_value_t = 128, value_parser = common::at_least_one)]
    batch_size: usize,
    /// Adam's learning rate, a number above 0
    #[arg(long, default_value_t = 0.001, value_parser = common::positive_number, allow_hyphen_values = true)]
    lr: f32,
    #[arg(long, default_value_t = 224, value_parser = image_side, help = resize_help())]
    resize: usize,
    /// Folder with the four IDX files (default: $FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist)
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Train on the first N training images only (N >= 1)
    #[arg(long, value_parser = common::at_least_one)]
    limit_train: Option<usize>,
    /// Test on the first N test images only, in file order (N >= 1)
    #[arg(long, value_parser = common::at_least_one)]
    limit_test: Option<usize>,
    /// Seed of initialisation, shuffling and dropout
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write a safetensors checkpoint (PyTorch names) after every epoch; an existing file is
    /// replaced only if it is a regular, writable file
    #[arg(long)]
    save: Option<PathBuf>,
    /// Start a new run from a checkpoint's weights; with --epochs 0, only evaluate it
    #[arg(long, conflicts_with = "resume")]
    load: Option<PathBuf>,
    /// Continue a run saved with --save (after Ctrl-C or a finished epoch) exactly where it
    /// stopped, with its optimizer state and settings; --epochs may raise its total
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Write the training curve as CSV (epoch, train loss, train acc, test acc, seconds) after
    /// every epoch; same rule as --save
    #[arg(long)]
    metrics: Option<PathBuf>,
    /// Draw the training curves (loss, train and test accuracy against epochs) into FILE.svg
    /// or FILE.png, redrawn after every epoch
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Draw test images with their true and predicted classes into FILE.png after training
    /// (with --epochs 0: also print per-class accuracy and the confusion matrix)
    #[arg(long)]
    predictions: Option<PathBuf>,
    /// Write the graph of one training step's forward pass (every op on the tape with its
    /// output shape, and the parameters) into FILE.dot, from the run's first step; draw it with
    /// `dot -Tsvg FILE.dot -o FILE.svg`
    #[arg(long)]
    graph: Option<PathBuf>,
    /// CPU threads, at least 1 (default: $RAYON_NUM_THREADS, else one per core)
    #[arg(long, value_parser = common::at_least_one)]
    threads: Option<usize>,
    /// TF32 tensor-core math on the GPU for all GEMMs (on) or none (off); default: PyTorch's
    /// (convolutions on, Linear off)
    #[arg(long, value_parser = ["on", "off"])]
    tf32: Option<String>,
}

/// `--resize`'s help, with the range AlexNet accepts.
fn resize_help() -> String {
    let sizes = AlexNet::input_sizes();
    format!(
        "Side of the square images fed to the network, {} to {} pixels (Fashion-MNIST is 28x28, resized bilinearly)",
        sizes.start(),
        sizes.end()
    )
}

/// `--resize`: a side AlexNet accepts (its fc.0 layer takes 5×5 feature maps).
fn image_side(text: &str) -> Result<usize, String> {
    let side = common::at_least_one(text)?;
    let sizes = AlexNet::input_sizes();
    if AlexNet::accepts(side) {
        Ok(side)
    } else {
        Err(format!(
            "AlexNet takes images of {} to {} pixels (after its convolutions and pools fc.0 needs 5x5 feature maps)",
            sizes.start(),
            sizes.end()
        ))
    }
}

fn main() {
    let matches = Args::command().get_matches();
    common::main_with(|| {
        let args = Args::from_arg_matches(&matches)?;
        run(args, &matches)
    });
}

fn run(mut args: Args, matches: &ArgMatches) -> common::AnyResult<()> {
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
    let device = common::choose_device(args.device.as_deref())?;
    if let Some(tf32) = &args.tf32 {
        rustgrad::tensor::set_tf32(tf32 == "on");
    }
    let mut model = AlexNet::new(&mut Rng::new(args.seed));
    model.to_device(device)?;
    let mut optimizer = Adam::new(args.lr);
    // A resumed run takes its settings from its state (and its weights and moments), so load
    // that before the data the settings choose.
    let (start, history) = match args.resume.clone() {
        Some(path) => resume(&path, &mut args, matches, &mut model, &mut optimizer)?,
        None => {
            if let Some(path) = &args.load {
                checkpoint::load_module(&mut model, path)?;
                println!("loaded {}", path.display());
            }
            (EpochStart::beginning(1), History::default())
        }
    };
    if args.resume.is_some() {
        check_outputs(&args)?; // the run's own outputs, taken over from its state
    }
    let mut data = FashionMnist::load(args.data_dir.as_deref())?;
    data.train.truncate(args.limit_train.unwrap_or(usize::MAX));
    data.test.truncate(args.limit_test.unwrap_or(usize::MAX));
    check_memory(&args, &data, device)?;
    print_summary(&model, &args, device, &data);

    let feed = Feed {
        batch_size: args.batch_size,
        image_size: args.resize,
        device,
    };
    if args.epochs == 0 {
        return evaluate_only(&model, &args, &data, feed);
    }
    let epochs = args.epochs as usize;
    if start.epoch > epochs {
        return Err(format!(
            "this run has already done its {} epoch(s): give a larger --epochs to train further",
            start.epoch - 1
        )
        .into());
    }
    common::stop_on_ctrl_c()?;
    let run = TrainingRun {
        data: &data,
        feed,
        epochs,
        seed: args.seed,
        start,
        device_label: device_label(device),
        quick_look: Some(
            "cargo run --release --example alexnet -- --limit-train 4096 --limit-test 1000 --epochs 1"
                .into(),
        ),
        graph: args.graph.clone(),
    };
    // Both callbacks add to the history, one at a time.
    let history = RefCell::new(history);
    let end = common::train_epochs(
        &mut model,
        &mut optimizer,
        &run,
        |epoch, progress| history.borrow_mut().record_progress(epoch, progress),
        |model, optimizer, result| {
            history.borrow_mut().record_epoch(result);
            let done = EpochStart::beginning(result.epoch + 1);
            save_everything(&args, model, optimizer, &history.borrow(), done)
        },
    )?;
    match end {
        RunEnd::Finished => {
            if let Some(path) = &args.predictions {
                let predicted = predict(&model, &data.test, feed, &mut |_, _| {})?;
                draw_test_predictions(path, &data.test, &predicted)?;
            }
            Ok(())
        }
        RunEnd::Stopped(at) => {
            save_everything(&args, &model, &optimizer, &history.borrow(), at)?;
            Err(Box::new(common::Interrupted(stopped_message(&args, at))))
        }
    }
}

/// Every output the run keeps current: checkpoint and training state, metrics, curves.
fn save_everything(
    args: &Args,
    model: &dyn Module,
    optimizer: &dyn Optimizer,
    history: &History,
    next: EpochStart,
) -> common::AnyResult<()> {
    if let Some(path) = &args.save {
        let mut saved_settings = settings(args);
        saved_settings.extend(run_options(args));
        let state = TrainingState {
            epochs_done: next.epoch - 1,
            unfinished_epoch: (next.progress.step > 0).then_some(next.progress),
            settings: saved_settings,
            history: history.to_lines(),
        };
        training_state::save(path, model, optimizer, &state)?;
    }
    if let Some(path) = &args.metrics {
        history.write_metrics(path)?;
    }
    if let Some(path) = &args.plot {
        history.draw(path, "AlexNet on Fashion-MNIST", args.epochs as usize)?;
    }
    Ok(())
}

/// What Ctrl-C left: where the run stopped, what was saved, how to go on.
fn stopped_message(args: &Args, at: EpochStart) -> String {
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
            "{position}; saved {} and its training state. Continue with:\n  cargo run --release --example alexnet -- --resume {}",
            path.display(),
            path.display()
        ),
        None => format!("{position}; nothing was saved (no --save was given)"),
    }
}

/// The options that decide what a run computes, as saved with its state.
fn settings(args: &Args) -> BTreeMap<String, String> {
    let text = |v: Option<usize>| v.map_or("all".to_string(), |v| v.to_string());
    BTreeMap::from([
        ("seed".into(), args.seed.to_string()),
        ("batch_size".into(), args.batch_size.to_string()),
        ("lr".into(), args.lr.to_string()),
        ("resize".into(), args.resize.to_string()),
        ("limit_train".into(), text(args.limit_train)),
        ("limit_test".into(), text(args.limit_test)),
    ])
}

/// What a resumed run takes over unless the command line says otherwise: its length and where
/// it writes (it goes on saving to the checkpoint it was resumed from).
fn run_options(args: &Args) -> BTreeMap<String, String> {
    let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.display().to_string());
    let mut options = BTreeMap::from([("epochs".to_string(), args.epochs.to_string())]);
    for (key, value) in [("metrics", path(&args.metrics)), ("plot", path(&args.plot))] {
        if let Some(value) = value {
            options.insert(key.to_string(), value);
        }
    }
    options
}

/// Loads a saved run into `model` and `optimizer` and takes over its settings; an option given
/// on the command line that differs from the run's is an error (the run would not continue
/// exactly).
fn resume(
    path: &Path,
    args: &mut Args,
    matches: &ArgMatches,
    model: &mut AlexNet,
    optimizer: &mut Adam,
) -> common::AnyResult<(EpochStart, History)> {
    let state = training_state::load(path, model, optimizer)?;
    for (key, saved) in &state.settings {
        let given = settings(args).get(key).cloned();
        let on_command_line =
            matches.value_source(key) == Some(clap::parser::ValueSource::CommandLine);
        if run_options(args).contains_key(key) || key == "metrics" || key == "plot" {
            // The run's length and outputs: the command line may change them.
            if !on_command_line {
                apply_setting(args, key, saved)?;
            }
            continue;
        }
        if on_command_line && given.as_ref() != Some(saved) {
            let option = key.replace('_', "-");
            return Err(format!(
                "--resume: this run was started with --{option} {saved}; leave --{option} out to continue it"
            )
            .into());
        }
        apply_setting(args, key, saved)?;
    }
    optimizer.lr = args.lr;
    if args.save.is_none() {
        args.save = Some(path.to_path_buf());
    }
    let start = EpochStart {
        epoch: state.epochs_done + 1,
        progress: state.unfinished_epoch.unwrap_or_default(),
    };
    println!(
        "resuming {} at epoch {}, step {}",
        path.display(),
        start.epoch,
        start.progress.step
    );
    Ok((start, History::from_lines(&state.history)?))
}

fn apply_setting(args: &mut Args, key: &str, value: &str) -> Result<(), String> {
    let bad = || format!("the saved setting {key} = '{value}' cannot be read");
    let count = |v: &str| -> Result<Option<usize>, String> {
        if v == "all" {
            Ok(None)
        } else {
            v.parse().map(Some).map_err(|_| bad())
        }
    };
    match key {
        "seed" => args.seed = value.parse().map_err(|_| bad())?,
        "batch_size" => args.batch_size = value.parse().map_err(|_| bad())?,
        "lr" => args.lr = value.parse().map_err(|_| bad())?,
        "resize" => args.resize = value.parse().map_err(|_| bad())?,
        "limit_train" => args.limit_train = count(value)?,
        "limit_test" => args.limit_test = count(value)?,
        "epochs" => args.epochs = value.parse().map_err(|_| bad())?,
        "metrics" => args.metrics = Some(PathBuf::from(value)),
        "plot" => args.plot = Some(PathBuf::from(value)),
        _ => {}
    }
    Ok(())
}

/// `--epochs 0`: the test accuracy, per class and as a confusion matrix, and the pictures.
fn evaluate_only(
    model: &AlexNet,
    args: &Args,
    data: &FashionMnist,
    feed: Feed,
) -> common::AnyResult<()> {
    let mut view = common::progress::ProgressView::new("testing", data.test.len() as u64);
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
fn check_outputs(args: &Args) -> Result<(), String> {
    let state = args.save.as_deref().map(training_state::state_path);
    common::check_outputs(&[
        ("--save", args.save.as_deref()),
        ("--save (its training state)", state.as_deref()),
        ("--metrics", args.metrics.as_deref()),
        ("--plot", args.plot.as_deref()),
        ("--predictions", args.predictions.as_deref()),
        ("--graph", args.graph.as_deref()),
    ])?;
    if let Some(path) = &args.graph {
        common::check_graph_name(path)?;
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
    args: &Args,
    data: &FashionMnist,
    device: rustgrad::tensor::Device,
) -> Result<(), String> {
    let size = args.resize;
    let (floor, split): (fn(usize, usize) -> f64, usize) = if args.epochs > 0 {
        (AlexNet::training_bytes_at_least, data.train.len())
    } else {
        (AlexNet::evaluation_bytes_at_least, data.test.len())
    };
    let batch = args.batch_size.min(split);
    let per_image = floor(1, size) - floor(0, size);
    common::check_memory(floor(batch, size), batch, per_image, device)
}

fn print_summary(model: &AlexNet, args: &Args, device: Device, data: &FashionMnist) {
    let size = args.resize;
    println!("{}", summarize(model, &Shape::new([1, 1, size, size])));
    println!(
        "device {}, {} training and {} test images, batch {}, Adam lr {}",
        device_label(device),
        data.train.len(),
        data.test.len(),
        args.batch_size,
        args.lr
    );
}
