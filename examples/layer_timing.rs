//! Times what `scripts/compare_pytorch.py` puts next to PyTorch: one AlexNet conv layer's passes
//! (as training runs them, with the algorithm `cpu::conv_algorithm` picks), one AlexNet
//! training step, or one evaluation batch (forward in eval mode, nothing recorded), and prints one `<part> <milliseconds>` line per part (the fastest of
//! `--repeats` runs). The script alternates calls to this and to PyTorch, so both meet the
//! same machine load.
//!
//! `cargo run --release --example layer_timing -- --layer conv3 [--batch 32] [--repeats 5]`
//! `cargo run --release --example layer_timing -- --layer step`
//! `cargo run --release --example layer_timing -- --layer eval --batch 128`

#[path = "common/mod.rs"]
mod common;

use clap::Parser;
use rustgrad::autograd::Var;
use rustgrad::nn::models::AlexNet;
use rustgrad::nn::optim::{Adam, Optimizer};
use rustgrad::nn::{loss, ForwardContext, Module};
use rustgrad::tensor::{Device, Indices, Rng, Tensor};
use std::hint::black_box;
use std::time::Instant;

#[derive(Parser)]
#[command(about = "Time one AlexNet conv layer (forward, gradients) or one training step")]
struct Args {
    /// conv1 … conv5, step (a training step) or eval (an evaluation batch)
    #[arg(long, value_parser = ["conv1", "conv2", "conv3", "conv4", "conv5", "step", "eval"])]
    layer: String,
    /// Images per batch, at least 1
    #[arg(long, default_value_t = 32, value_parser = common::at_least_one)]
    batch: usize,
    /// Timed runs (the fastest is reported), at least 1
    #[arg(long, default_value_t = 5, value_parser = common::at_least_one)]
    repeats: usize,
    /// cpu or cuda
    #[arg(long, default_value = "cpu", value_parser = ["cpu", "cuda"])]
    device: String,
}

/// The fastest of `repeats` runs of `run`, in milliseconds, after one warm-up run.
fn fastest_ms(repeats: usize, device: Device, mut run: impl FnMut()) -> f64 {
    run();
    let mut best = f64::INFINITY;
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        run();
        device
            .synchronize()
            .expect("the device failed while timing");
        best = best.min(start.elapsed().as_secs_f64() * 1e3);
    }
    best
}

fn time_layer(args: &Args, device: Device) -> Result<(), String> {
    let index = (args.layer.strip_prefix("conv"))
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|n| (1..=5).contains(n))
        .ok_or_else(|| format!("unknown layer '{}': use conv1 … conv5 or step", args.layer))?;
    let g = AlexNet::conv_geometries(args.batch, 224)[index - 1];
    let (stride, padding, cout) = (g.stride, g.padding, g.out_channels);
    let mut rng = Rng::new(0);
    let mut random = |shape: Vec<usize>, scale: f32| {
        let t = Tensor::rand_uniform(shape, -scale, scale, &mut rng);
        t.to(device).map_err(|e| e.to_string())
    };
    let x = random(vec![g.batch, g.in_channels, g.in_h, g.in_w], 1.0)?;
    let w = random(vec![cout, g.in_channels, g.kernel_h, g.kernel_w], 0.1)?;
    let b = random(vec![cout], 0.1)?;
    let dy = random(g.output_shape().dims().to_vec(), 1.0)?;
    let repeats = args.repeats;
    let forward = || black_box(x.conv2d(&w, Some(&b), stride, padding));
    let input_grad = || black_box(dy.conv2d_input_grad(&w, &g));
    let weight_grad = || {
        // As autograd does it: [N, C, H·W] summed over the contiguous pixels, then the batch.
        let flat = dy.reshape([args.batch, cout, g.out_pixels()]);
        let bias_grad = flat.sum_axis(2, false).sum_axis(0, false);
        black_box((dy.conv2d_weight_grad(&x, &g), bias_grad))
    };
    println!(
        "forward {:.2}",
        fastest_ms(repeats, device, || drop(forward()))
    );
    println!(
        "input_grad {:.2}",
        fastest_ms(repeats, device, || drop(input_grad()))
    );
    println!(
        "weight_grad {:.2}",
        fastest_ms(repeats, device, || drop(weight_grad()))
    );
    // The layer's share of a training step; the images (conv1's input) need no gradient.
    let needs_input_grad = index > 1;
    let step = fastest_ms(repeats, device, || {
        drop(forward());
        if needs_input_grad {
            drop(input_grad());
        }
        drop(weight_grad());
    });
    println!("forward_backward {step:.2}");
    Ok(())
}

fn time_step(args: &Args, device: Device) -> Result<(), String> {
    let mut rng = Rng::new(0);
    let mut model = AlexNet::new(&mut rng);
    model.to_device(device).map_err(|e| e.to_string())?;
    let mut optimizer = Adam::new(1e-3);
    let images = Tensor::rand_uniform([args.batch, 1, 224, 224], 0.0, 1.0, &mut rng);
    let images = images.to(device).map_err(|e| e.to_string())?;
    let labels: Vec<u32> = (0..args.batch as u32).map(|i| i % 10).collect();
    let labels = Indices::from_vec(labels, [args.batch])
        .to(device)
        .map_err(|e| e.to_string())?;
    let mut step = 0;
    let ms = fastest_ms(args.repeats, device, || {
        step += 1;
        let mut ctx = ForwardContext::training(step);
        let logits = model.forward(&Var::constant(images.clone()), &mut ctx);
        let gradients = ctx.backward(&loss::cross_entropy(&logits, &labels));
        optimizer.step(model.parameters_mut(), &gradients);
    });
    println!("training_step {ms:.2}");
    Ok(())
}

/// One test batch as the example's evaluation runs it: eval mode (no dropout), no tape.
fn time_eval(args: &Args, device: Device) -> Result<(), String> {
    let mut rng = Rng::new(0);
    let mut model = AlexNet::new(&mut rng);
    model.to_device(device).map_err(|e| e.to_string())?;
    let images = Tensor::rand_uniform([args.batch, 1, 224, 224], 0.0, 1.0, &mut rng);
    let images = Var::constant(images.to(device).map_err(|e| e.to_string())?);
    let ms = fastest_ms(args.repeats, device, || {
        let logits = model.forward(&images, &mut ForwardContext::evaluation());
        drop(black_box(logits));
    });
    println!("evaluation_batch {ms:.2}");
    Ok(())
}

fn main() {
    let args = Args::parse();
    let device = match args.device.as_str() {
        "cpu" => Device::Cpu,
        "cuda" => Device::Cuda(0),
        other => {
            eprintln!("unknown device '{other}': use cpu or cuda");
            std::process::exit(2);
        }
    };
    let result = match args.layer.as_str() {
        "step" => time_step(&args, device),
        "eval" => time_eval(&args, device),
        _ => time_layer(&args, device),
    };
    if let Err(message) = result {
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}
