//! The whole loop of deep learning in one page, with nothing but tensors and the tape:
//! a two-layer perceptron learns to separate two interleaved half-moons.
//!
//! `cargo run --release --example two_moons` (a second or two on a CPU). With
//! `-- --graph g.dot` it also writes the tape of its first step, drawn by
//! `dot -Tsvg g.dot -o g.svg`.

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rustgrad::autograd::{backward, Tape, Var};
use rustgrad::tensor::{Indices, Rng, Tensor};
use std::path::PathBuf;

const POINTS: usize = 400;
const HIDDEN: usize = 32;
const STEPS: usize = 500;
const LEARNING_RATE: f32 = 0.5;

/// Two noisy half circles, one per class: not separable by a straight line.
fn two_moons(rng: &mut Rng) -> (Tensor, Indices) {
    let mut points = Vec::with_capacity(POINTS * 2);
    let mut labels = Vec::with_capacity(POINTS);
    for i in 0..POINTS {
        let class = i % 2;
        let angle = std::f32::consts::PI * rng.next_f32();
        let (x, y) = match class {
            0 => (angle.cos(), angle.sin()),
            _ => (1.0 - angle.cos(), 0.5 - angle.sin()),
        };
        points.extend([x + 0.1 * rng.normal(), y + 0.1 * rng.normal()]);
        labels.push(class as u32);
    }
    (
        Tensor::from_vec(points, [POINTS, 2]),
        Indices::from_vec(labels, [POINTS]),
    )
}

#[derive(Parser)]
#[command(about = "A two-layer perceptron learns two interleaved half-moons")]
struct Args {
    /// Write the tape of the first training step (its ops, shapes and parameters) to FILE.dot;
    /// draw it with `dot -Tsvg FILE.dot -o FILE.svg`
    #[arg(long)]
    graph: Option<PathBuf>,
}

/// The parameters' names, in the order of `params` below.
const PARAMETER_NAMES: [&str; 4] = [
    "hidden.weight",
    "hidden.bias",
    "output.weight",
    "output.bias",
];

fn main() {
    common::main_with(|| run(Args::parse()));
}

fn run(args: Args) -> common::AnyResult<()> {
    if let Some(path) = &args.graph {
        common::check_graph_name(path)?;
        common::check_outputs(&[("--graph", Some(path))])?;
    }
    let mut rng = Rng::new(0);
    let (points, labels) = two_moons(&mut rng);
    let bound = |fan_in: usize| 1.0 / (fan_in as f32).sqrt();
    let mut params = vec![
        Tensor::rand_uniform([HIDDEN, 2], -bound(2), bound(2), &mut rng),
        Tensor::zeros([HIDDEN]),
        Tensor::rand_uniform([2, HIDDEN], -bound(HIDDEN), bound(HIDDEN), &mut rng),
        Tensor::zeros([2]),
    ];
    let forward = |p: &[Var], x: &Var| {
        let hidden = x.matmul_t(&p[0], false, true).add(&p[1]).relu();
        hidden.matmul_t(&p[2], false, true).add(&p[3])
    };

    for step in 0..=STEPS {
        // Record one forward pass on a fresh tape, then walk it backwards.
        let tape = Tape::new();
        let p: Vec<Var> = params
            .iter()
            .zip(PARAMETER_NAMES)
            .map(|(t, name)| tape.parameter(t.clone(), name))
            .collect();
        let logits = forward(&p, &Var::constant(points.clone()));
        let loss = logits.cross_entropy(&labels);
        if let (0, Some(path)) = (step, &args.graph) {
            common::write_graph(path, &tape)?; // before backward consumes the tape
        }
        let grads = backward(&loss);
        // Plain gradient descent: θ ← θ − lr · ∂L/∂θ.
        for (param, leaf) in params.iter_mut().zip(&p) {
            *param = param.sub(&grads.get_or_zeros(leaf).mul_scalar(LEARNING_RATE));
        }
        if step % 100 == 0 {
            println!("step {step:3}: loss {:.4}", loss.value().item());
        }
    }

    // Evaluation: no tape, nothing recorded.
    let p: Vec<Var> = params.into_iter().map(Var::constant).collect();
    let predictions = forward(&p, &Var::constant(points)).value().argmax_axis(1);
    let correct = predictions
        .to_vec()
        .iter()
        .zip(labels.to_vec())
        .filter(|(p, l)| *p == l)
        .count();
    println!("training accuracy {:.3}", correct as f32 / POINTS as f32);
    Ok(())
}
