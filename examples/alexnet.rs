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
//! Everything but the model and these defaults is `common/run.rs`, which `examples/train.rs`
//! (any model of the book, with the book's recipe) shares.

#[path = "common/mod.rs"]
mod common;

use clap::{CommandFactory, FromArgMatches, Parser};
use common::run::{with_defaults, Example, Options};
use rustgrad::nn::models::{AlexNet, Recipe};

#[derive(Parser)]
#[command(about = "Train AlexNet on Fashion-MNIST resized to 224x224", version)]
struct Args {
    #[command(flatten)]
    options: Options,
}

/// The classic PyTorch run (with Adam: the book's recipe is SGD at lr 0.01 for 10 epochs,
/// `cargo run --release --example train -- --model alexnet`).
const FLAGSHIP: Recipe = Recipe {
    image_size: 224,
    batch_size: 128,
    learning_rate: 0.001,
    epochs: 5,
};

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
    let command = with_defaults(Args::command(), &FLAGSHIP, "adam").mut_arg("resize", |arg| {
        arg.value_parser(image_side).help(resize_help())
    });
    let matches = command.get_matches();
    let example = Example {
        model: "alexnet".into(),
        title: "AlexNet".into(),
        command: "cargo run --release --example alexnet --".into(),
    };
    common::main_with(|| {
        let args = Args::from_arg_matches(&matches)?;
        common::run::run(&example, args.options, &matches)
    });
}
