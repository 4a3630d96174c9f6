//! A few training steps of a small convolutional network on the CPU and on the GPU, from the
//! same initialisation and data, reach the same losses. Needs a GPU (or the emulated device):
//! without one the test prints `skipped: no CUDA device` and returns (fails with
//! `RUSTGRAD_REQUIRE_GPU=1`).
#![cfg(feature = "cuda")]

use autograd::Var;
use nn::layers::{Conv2d, Dropout, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use nn::optim::{Adam, Optimizer};
use nn::{loss, ForwardContext, Module};
use tensor::{Device, Indices, Rng, Tensor};

fn small_net() -> Sequential {
    let mut rng = Rng::new(0);
    Sequential::new(vec![
        Box::new(Conv2d::new(1, 4, 3, 1, 1, &mut rng)),
        Box::new(ReLU),
        Box::new(MaxPool2d::new(3, 2)),
        Box::new(Flatten),
        Box::new(Linear::new(4 * 6 * 6, 10, &mut rng)),
        Box::new(Dropout::new(0.5)),
    ])
}

fn losses(device: Device, steps: usize) -> Vec<f32> {
    let mut model = small_net();
    model.to_device(device).unwrap();
    let mut optimizer = Adam::new(1e-2);
    let images = Tensor::rand_uniform([8, 1, 14, 14], 0.0, 1.0, &mut Rng::new(1))
        .to(device)
        .unwrap();
    let labels = Indices::from_vec((0..8).map(|i| i % 10).collect(), [8])
        .to(device)
        .unwrap();
    (0..steps)
        .map(|step| {
            let mut ctx = ForwardContext::training(step as u64);
            let logits = model.forward(&Var::constant(images.clone()), &mut ctx);
            let loss = loss::cross_entropy(&logits, &labels);
            let value = loss.value().item();
            let gradients = ctx.backward(&loss);
            optimizer.step(model.parameters_mut(), &gradients);
            value
        })
        .collect()
}

#[test]
fn training_steps_match_between_cpu_and_cuda() {
    let Some(device) = tensor::cuda::gpu_for_tests() else {
        return;
    };
    let (cpu, gpu) = (losses(Device::Cpu, 6), losses(device, 6));
    for (step, (c, g)) in cpu.iter().zip(&gpu).enumerate() {
        assert!(
            (c - g).abs() <= 1e-2 * c.abs().max(1.0),
            "step {step}: cpu loss {c}, cuda loss {g}"
        );
    }
    assert!(cpu.last() < cpu.first(), "the loss should fall: {cpu:?}");
}
