//! A multi-layer perceptron on 28x28 Fashion-MNIST: the fast end-to-end check that training on
//! the real dataset really learns (about 0.87 test accuracy after 5 epochs, in seconds on two
//! CPU cores).
//!
//! `cargo run --release --example fashion_mlp -- [--epochs 5] [--data-dir DIR]`

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rustgrad::nn::data::FashionMnist;
use rustgrad::nn::models::Mlp;
use rustgrad::nn::optim::Adam;
use rustgrad::nn::training::{EpochStart, Feed};
use rustgrad::tensor::{Device, Rng};
use std::path::PathBuf;

#[derive(Parser)]
#[command(about = "Train an MLP on Fashion-MNIST (28x28) on the CPU", version)]
struct Args {
    /// Passes over the training set, at least 1
    #[arg(long, default_value_t = 5, value_parser = common::at_least_one)]
    epochs: usize,
    /// Images per training step, at least 1
    #[arg(long, default_value_t = 128, value_parser = common::at_least_one)]
    batch_size: usize,
    /// Adam's learning rate, a number above 0
    #[arg(long, default_value_t = 0.001, value_parser = common::positive_number, allow_hyphen_values = true)]
    lr: f32,
    /// Units in each of the two hidden layers, at least 1
    #[arg(long, default_value_t = 256, value_parser = common::at_least_one)]
    hidden: usize,
    /// Folder with the four IDX files (default: $FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist)
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Seed of initialisation and shuffling
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() {
    common::main_with(|| run(&Args::parse()));
}

fn run(args: &Args) -> common::AnyResult<()> {
    let data = FashionMnist::load(args.data_dir.as_deref())?;
    let mut model = Mlp::new(
        &[784, args.hidden, args.hidden, 10],
        &mut Rng::new(args.seed),
    );
    let mut optimizer = Adam::new(args.lr);
    let feed = Feed {
        batch_size: args.batch_size,
        image_size: 28,
        device: Device::Cpu,
    };
    let mut test_accuracy = 0.0;
    let run = common::TrainingRun {
        data: &data,
        feed,
        epochs: args.epochs,
        seed: args.seed,
        start: EpochStart::beginning(1),
        device_label: "cpu".into(),
        quick_look: None,
        graph: None,
    };
    common::train_epochs(
        &mut model,
        &mut optimizer,
        &run,
        |_, _| {},
        |_, _, result| {
            test_accuracy = result.test_accuracy;
            Ok(())
        },
    )?;
    println!("test acc {test_accuracy:.4}");
    Ok(())
}
