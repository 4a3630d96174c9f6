//! The flagship: AlexNet trained on Fashion-MNIST resized to 224x224, the classic PyTorch
//! recipe (batch 128, Adam lr 0.001, dropout 0.5, 5 epochs, ~0.90 test accuracy).
//!
//! ```text
//! cargo run --release --example alexnet --features cuda             # on the GPU
//! cargo run --release --example alexnet -- --device cpu \
//!     --limit-train 2048 --limit-test 1000 --epochs 1                # a quick CPU run
//! ```

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rustgrad::nn::checkpoint;
use rustgrad::nn::data::FashionMnist;
use rustgrad::nn::models::AlexNet;
use rustgrad::nn::optim::Adam;
use rustgrad::nn::training::{evaluate, Feed};
use rustgrad::nn::Module;
use rustgrad::tensor::Rng;
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
    /// Start from a checkpoint; with --epochs 0, only evaluate it
    #[arg(long)]
    load: Option<PathBuf>,
    /// Write the training curve as CSV (epoch, train loss, train acc, test acc, seconds) after
    /// every epoch; same rule as --save
    #[arg(long)]
    metrics: Option<PathBuf>,
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
    common::main_with(|| run(&Args::parse()));
}

fn run(args: &Args) -> common::AnyResult<()> {
    if args.epochs == 0 && args.load.is_none() {
        return Err("--epochs 0 evaluates a trained model: give it with --load PATH".into());
    }
    common::check_outputs(&[
        ("--save", args.save.as_deref()),
        ("--metrics", args.metrics.as_deref()),
    ])?;
    let device = common::choose_device(args.device.as_deref())?;
    if let Some(tf32) = &args.tf32 {
        rustgrad::tensor::set_tf32(tf32 == "on");
    }
    let mut data = FashionMnist::load(args.data_dir.as_deref())?;
    data.train.truncate(args.limit_train.unwrap_or(usize::MAX));
    data.test.truncate(args.limit_test.unwrap_or(usize::MAX));
    check_memory(args, &data, device)?;

    let mut model = AlexNet::new(&mut Rng::new(args.seed));
    if let Some(path) = &args.load {
        checkpoint::load_module(&mut model, path)?;
        println!("loaded {}", path.display());
    }
    model.to_device(device)?;
    print_summary(&model, args, device, &data);

    let feed = Feed {
        batch_size: args.batch_size,
        image_size: args.resize,
        device,
    };
    if args.epochs == 0 {
        println!("test acc {:.4}", evaluate(&model, &data.test, feed)?);
        return Ok(());
    }
    let mut optimizer = Adam::new(args.lr);
    let mut curve = Vec::new();
    common::train_epochs(
        &mut model,
        &mut optimizer,
        &data,
        feed,
        args.epochs as usize,
        args.seed,
        |model, r| {
            curve.push(format!(
                "{},{:.6},{:.6},{:.6},{:.3}",
                r.epoch,
                r.train.loss(),
                r.train.accuracy(),
                r.test_accuracy,
                r.seconds
            ));
            if let Some(path) = &args.save {
                checkpoint::save_module(model, path)?;
            }
            if let Some(path) = &args.metrics {
                write_metrics(path, &curve)?;
            }
            Ok(())
        },
    )
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

fn print_summary(
    model: &AlexNet,
    args: &Args,
    device: rustgrad::tensor::Device,
    data: &FashionMnist,
) {
    let size = args.resize;
    let gflops = AlexNet::forward_flops(size) / 1e9;
    let parameters = model.parameter_count() as f64 / 1e6;
    println!(
        "AlexNet: {parameters:.1}M parameters, {gflops:.2} GFLOP per {size}x{size} image forward (~{:.2} per training image)",
        3.0 * gflops
    );
    println!(
        "device {device}, {} training and {} test images, batch {}, Adam lr {}",
        data.train.len(),
        data.test.len(),
        args.batch_size,
        args.lr
    );
}

/// The CSV is rewritten whole (atomically) after each epoch, so it is always complete.
fn write_metrics(path: &Path, rows: &[String]) -> rustgrad::nn::Result<()> {
    let mut csv = String::from("epoch,train_loss,train_acc,test_acc,seconds\n");
    for row in rows {
        csv.push_str(row);
        csv.push('\n');
    }
    rustgrad::nn::output_file::write_atomically(path, csv.as_bytes())
}
