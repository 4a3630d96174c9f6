//! Every AlexNet layer at its real size (224×224 inputs) on the GPU against the CPU: each
//! convolution's three passes, then a whole training step — logits, loss and every parameter's
//! gradient. Needs a GPU or the emulated device: without one the tests print `skipped: no CUDA
//! device` and return (fail with `RUSTGRAD_REQUIRE_GPU=1`).
#![cfg(feature = "cuda")]

use autograd::Var;
use nn::models::AlexNet;
use nn::{loss, ForwardContext, Module};
use tensor::{Device, Indices, Rng, Tensor};

fn random(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut Rng::new(seed))
}

/// Largest `|gpu − cpu|` relative to the largest `|cpu|` (gradients at initialisation are tiny,
/// so a fixed `1 +` in the denominator would hide any error), printed under `what`.
#[track_caller]
fn assert_close(gpu: &Tensor, cpu: &Tensor, tolerance: f32, what: &str) {
    assert_eq!(gpu.shape(), cpu.shape(), "{what}: shape");
    let (gpu, cpu) = (gpu.to_vec(), cpu.to_vec());
    let scale = cpu.iter().fold(f32::MIN_POSITIVE, |m, c| m.max(c.abs()));
    let worst = gpu
        .iter()
        .zip(&cpu)
        .map(|(g, c)| (g - c).abs() / scale)
        .fold(0.0f32, |worst, e| {
            if worst.is_nan() || e <= worst {
                worst
            } else {
                e
            }
        }); // NaN wins
    println!("{what}: worst error {worst:.1e} of the largest value {scale:.1e}");
    assert!(worst <= tolerance, "{what}: worst error {worst} of {scale}");
}

/// TF32 off: the GPU's GEMMs are then exact f32, so both devices differ only in summation order.
fn exact_math() {
    tensor::set_tf32(false);
}

#[test]
fn every_convolution_of_alexnet() {
    let Some(device) = tensor::cuda::gpu_for_tests() else {
        return;
    };
    exact_math();
    for (layer, g) in AlexNet::conv_geometries(2, 224).into_iter().enumerate() {
        let what = format!("conv{}", layer + 1);
        let x = random(g.input_shape().dims(), 10 + layer as u64);
        let w = random(g.weight_shape().dims(), 20 + layer as u64).mul_scalar(0.05);
        let dy = random(g.output_shape().dims(), 30 + layer as u64);
        let (gx, gw, gdy) = (
            x.to(device).unwrap(),
            w.to(device).unwrap(),
            dy.to(device).unwrap(),
        );
        let y = x.conv2d(&w, None, g.stride, g.padding);
        let gy = gx.conv2d(&gw, None, g.stride, g.padding);
        assert_close(&gy, &y, 1e-4, &format!("{what} forward"));
        if layer > 0 {
            // conv1's input gradient is never computed in training (the images need none).
            let dx = dy.conv2d_input_grad(&w, &g);
            assert_close(
                &gdy.conv2d_input_grad(&gw, &g),
                &dx,
                1e-4,
                &format!("{what} input grad"),
            );
        }
        let dw = dy.conv2d_weight_grad(&x, &g);
        assert_close(
            &gdy.conv2d_weight_grad(&gx, &g),
            &dw,
            1e-4,
            &format!("{what} weight grad"),
        );
    }
}

#[test]
fn a_whole_alexnet_training_step() {
    let Some(device) = tensor::cuda::gpu_for_tests() else {
        return;
    };
    exact_math();
    let images = Tensor::rand_uniform([2, 1, 224, 224], 0.0, 1.0, &mut Rng::new(1));
    let labels = Indices::from_vec(vec![3, 7], [2]);
    let step = |device: Device| {
        let mut model = AlexNet::new(&mut Rng::new(0));
        model.to_device(device).unwrap();
        // The same seed draws the same dropout masks on both devices.
        let mut ctx = ForwardContext::training(5);
        let images = Var::constant(images.to(device).unwrap());
        let logits = model.forward(&images, &mut ctx);
        let loss = loss::cross_entropy(&logits, &labels.to(device).unwrap());
        let logits_value = logits.value().clone();
        let gradients = ctx.backward(&loss);
        let named: Vec<(String, Tensor)> = model
            .parameters()
            .into_iter()
            .map(|(name, p)| (name, gradients.get(p).expect("a gradient").clone()))
            .collect();
        (logits_value, named)
    };
    let (cpu_logits, cpu_grads) = step(Device::Cpu);
    let (gpu_logits, gpu_grads) = step(device);
    assert_close(&gpu_logits, &cpu_logits, 1e-4, "logits");
    assert_eq!(gpu_grads.len(), 16, "AlexNet has 16 parameter tensors");
    for ((name, g), (_, c)) in gpu_grads.iter().zip(&cpu_grads) {
        assert_close(g, c, 1e-4, &format!("gradient of {name}"));
    }
}
