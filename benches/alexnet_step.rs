//! One AlexNet training step: forward, cross-entropy, backward and Adam, at batch 32 on
//! 224x224 images — on the CPU (group `alexnet_cpu`) and, built with `--features cuda` on a
//! machine with a GPU, on CUDA (group `alexnet_cuda`). PyTorch's counterpart:
//! `scripts/compare_pytorch.py` (or `scripts/alexnet_step_pytorch.py` for the step alone).
//!
//! `RAYON_NUM_THREADS=2 cargo bench --bench alexnet_step`

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use rustgrad::autograd::Var;
use rustgrad::nn::models::AlexNet;
use rustgrad::nn::optim::{Adam, Optimizer};
use rustgrad::nn::{loss, ForwardContext, Module};
use rustgrad::tensor::{Device, Indices, Rng, Tensor};

const BATCH: usize = 32;

fn training_step(c: &mut Criterion, device: Device) -> rustgrad::tensor::Result<()> {
    let mut rng = Rng::new(0);
    let mut model = AlexNet::new(&mut rng);
    model.to_device(device)?;
    let mut optimizer = Adam::new(1e-3);
    let images = Tensor::rand_uniform([BATCH, 1, 224, 224], 0.0, 1.0, &mut rng).to(device)?;
    let labels = Indices::from_vec((0..BATCH as u32).map(|i| i % 10).collect(), [BATCH]);
    let labels = labels.to(device)?;
    let mut step = 0;

    let name = if device == Device::Cpu {
        "alexnet_cpu"
    } else {
        "alexnet_cuda"
    };
    let mut group = c.benchmark_group(name);
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(BATCH as u64)); // images per second
    group.bench_function(format!("training_step_batch{BATCH}"), |bench| {
        bench.iter(|| {
            step += 1;
            let mut ctx = ForwardContext::training(step);
            let logits = model.forward(&Var::constant(images.clone()), &mut ctx);
            let loss = loss::cross_entropy(&logits, &labels);
            let gradients = ctx.backward(&loss);
            optimizer.step(model.parameters_mut(), &gradients);
            device
                .synchronize()
                .expect("the device failed during the benchmark");
        })
    });
    group.finish();
    Ok(())
}

fn training_steps(c: &mut Criterion) {
    training_step(c, Device::Cpu).expect("the CPU is always there");
    if let Err(why) = training_step(c, Device::Cuda(0)) {
        println!("alexnet_cuda: skipped ({why})");
    }
}

criterion_group!(benches, training_steps);
criterion_main!(benches);
