//! One AlexNet training step on the CPU: forward, cross-entropy, backward and Adam, at batch 32
//! on 224x224 images. PyTorch's counterpart is `scripts/alexnet_step_pytorch.py`.
//!
//! `RAYON_NUM_THREADS=2 cargo bench --bench alexnet_step`

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use rustgrad::autograd::Var;
use rustgrad::nn::models::AlexNet;
use rustgrad::nn::optim::{Adam, Optimizer};
use rustgrad::nn::{loss, ForwardContext, Module};
use rustgrad::tensor::{Indices, Rng, Tensor};

const BATCH: usize = 32;

fn training_step(c: &mut Criterion) {
    let mut rng = Rng::new(0);
    let mut model = AlexNet::new(&mut rng);
    let mut optimizer = Adam::new(1e-3);
    let images = Tensor::rand_uniform([BATCH, 1, 224, 224], 0.0, 1.0, &mut rng);
    let labels = Indices::from_vec((0..BATCH as u32).map(|i| i % 10).collect(), [BATCH]);
    let mut step = 0;

    let mut group = c.benchmark_group("alexnet_cpu");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BATCH as u64)); // images per second
    group.bench_function("training_step_batch32", |bench| {
        bench.iter(|| {
            step += 1;
            let mut ctx = ForwardContext::training(step);
            let logits = model.forward(&Var::constant(images.clone()), &mut ctx);
            let loss = loss::cross_entropy(&logits, &labels);
            let gradients = ctx.backward(&loss);
            optimizer.step(model.parameters_mut(), &gradients);
        })
    });
    group.finish();
}

criterion_group!(benches, training_step);
criterion_main!(benches);
