//! Any model of the book's CNN chapter trained on Fashion-MNIST with the book's recipe (its
//! image size, batch size, SGD learning rate and epochs): LeNet, AlexNet, VGG, NiN, GoogLeNet,
//! LeNet with batch norm, ResNet-18, DenseNet.
//!
//! ```text
//! cargo run --release --example train -- --model resnet18 --features cuda       # on the GPU
//! cargo run --release --example train -- --model lenet --plot curves.svg        # 28x28: minutes on a CPU
//! ```
//!
//! Every option of the flagship (`examples/alexnet.rs`) applies, with the same meaning: both are
//! `common/run.rs`. Only the defaults differ: the recipe's, and `--optimizer sgd`.

#[path = "common/mod.rs"]
mod common;

use clap::error::ErrorKind;
use clap::{ArgMatches, Command, CommandFactory, FromArgMatches, Parser};
use common::run::{with_defaults, Example, Options, RECIPE_OPTIONS};
use rustgrad::nn::models::{recipe, NAMES};

#[derive(Parser)]
#[command(
    about = "Train a model of the book's CNN chapter on Fashion-MNIST, with the book's recipe",
    version
)]
struct Args {
    /// The model to train (required); its recipe is listed below
    #[arg(long, value_name = "NAME", value_parser = NAMES)]
    model: Option<String>,
    #[command(flatten)]
    options: Options,
}

/// The command line: the options whose defaults are the model's recipe say so, and the
/// recipes are listed after the options.
fn command() -> Command {
    let mut recipes =
        String::from("The book's recipes (image side, batch size, SGD learning rate, epochs):\n");
    for name in NAMES {
        let r = recipe(name).expect("every name has a recipe");
        recipes.push_str(&format!(
            "  {name:<10} --resize {:<3} --batch-size {} --lr {} --epochs {}\n",
            r.image_size, r.batch_size, r.learning_rate, r.epochs
        ));
    }
    RECIPE_OPTIONS
        .into_iter()
        .fold(Args::command(), |command, id| {
            command.mut_arg(id, |arg| {
                let help = arg.get_help().map_or(String::new(), |h| h.to_string());
                let default = if id == "optimizer" {
                    "default: sgd, as the book"
                } else {
                    "default: the model's recipe"
                };
                arg.required(false).help(format!("{help}; {default}"))
            })
        })
        .after_help(recipes)
}

/// "AlexNet" for "alexnet": how titles and messages name a model.
fn title(name: &str) -> String {
    let title = match name {
        "lenet" => "LeNet",
        "alexnet" => "AlexNet",
        "vgg" => "VGG",
        "nin" => "NiN",
        "googlenet" => "GoogLeNet",
        "bn-lenet" => "LeNet with batch norm",
        "resnet18" => "ResNet-18",
        "densenet" => "DenseNet",
        other => other,
    };
    title.to_string()
}

fn main() {
    // The defaults depend on --model: read it first, then read the command line again with the
    // model's recipe as defaults (help and mistakes end the program in the first reading).
    let mut first_reading = command();
    let matches = first_reading.get_matches_mut();
    let Some(model) = matches.get_one::<String>("model").cloned() else {
        first_reading
            .error(
                ErrorKind::MissingRequiredArgument,
                format!(
                    "--model NAME is required: one of {} (e.g. --model resnet18)",
                    NAMES.join(", ")
                ),
            )
            .exit();
    };
    let recipe = recipe(&model).expect("--model takes only names with a recipe");
    let matches: ArgMatches = with_defaults(command(), &recipe, "sgd").get_matches();
    let example = Example {
        title: title(&model),
        command: format!("cargo run --release --example train -- --model {model}"),
        model,
    };
    common::main_with(|| {
        let args = Args::from_arg_matches(&matches)?;
        common::run::run(&example, args.options, &matches)
    });
}
