//! CPU against CUDA on the paths small inputs never take: convolutions split into several
//! chunks, grid-stride loops that wrap around, one Adam launch over more tensors than a grid has
//! rows, reductions whose rows span many blocks, 6-D broadcasts and permutes. Needs a GPU or the
//! emulated device (see cuda_vs_cpu.rs).
#![cfg(feature = "cuda")]

use tensor::{AdamStep, Device, Rng, Tensor};

mod cuda_common;
use cuda_common::{assert_close, fused_adam_step, gpu, random, same_on_both, without_tf32};

#[test]
fn convolution_over_several_chunks() {
    let Some(device) = gpu() else { return };
    // Each image's column matrix is 2400 × 676 floats, so 41 images fit the 64 Mi-float chunk
    // and a batch of 45 runs as two chunks; the weight gradient of the second adds to the first
    // (beta = 1). AlexNet's conv2 takes this path at batch 128.
    let x = random(&[45, 96, 26, 26], 1);
    let w = random(&[4, 96, 5, 5], 2).mul_scalar(0.05);
    let b = random(&[4], 3);
    let g = tensor::Conv2dGeometry::from_shapes(x.shape(), w.shape(), 1, 2);
    assert_eq!(
        tensor::cuda::conv_images_per_chunk(&g),
        41,
        "the test needs two chunks"
    );
    let dy = random(g.output_shape().dims(), 4);
    without_tf32(|| {
        same_on_both(
            device,
            &[x.clone(), w.clone(), b],
            1e-4,
            "forward, 2 chunks",
            |v| v[0].conv2d(&v[1], Some(&v[2]), 1, 2),
        );
        same_on_both(
            device,
            &[dy.clone(), w],
            1e-4,
            "input grad, 2 chunks",
            |v| v[0].conv2d_input_grad(&v[1], &g),
        );
        same_on_both(device, &[dy, x], 1e-4, "weight grad, 2 chunks", |v| {
            v[0].conv2d_weight_grad(&v[1], &g)
        });
    });
}

#[test]
fn grid_stride_loops_wrap_around() {
    let Some(device) = gpu() else { return };
    // A grid-stride launch has at most 524 280 blocks × 256 threads = 134 217 680 threads; the
    // 1000 elements past that are each a second element of the first 1000 threads.
    let n = 134_217_680 + 1000;
    let x = Tensor::rand_uniform([n], -1.0, 1.0, &mut Rng::new(5));
    let doubled = x.to(device).unwrap().mul_scalar(2.0).to_vec();
    let cpu = x.to_vec();
    let wrong = (0..n).find(|&i| doubled[i] != 2.0 * cpu[i]);
    assert_eq!(wrong, None, "first element that differs");
}

#[test]
fn one_adam_launch_over_more_tensors_than_grid_rows() {
    let Some(device) = gpu() else { return };
    // One grid row per tensor and at most 65 535 rows: 65 542 tensors take two launches.
    let count = 65_535 + 7;
    let params: Vec<Tensor> = (0..count).map(|i| random(&[1 + i % 3], i as u64)).collect();
    let grads: Vec<Tensor> = (0..count)
        .map(|i| random(&[1 + i % 3], 1_000_000 + i as u64))
        .collect();
    let step = |device: Device| -> Vec<f32> {
        let mut params: Vec<Tensor> = params.iter().map(|t| t.to(device).unwrap()).collect();
        let grads: Vec<Tensor> = grads.iter().map(|t| t.to(device).unwrap()).collect();
        fused_adam_step(&mut params, &grads, |i| AdamStep {
            lr: 0.01,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            step: 1 + (i % 5) as u32,
        });
        params.iter().flat_map(|t| t.to_vec()).collect()
    };
    let (on_gpu, on_cpu) = (step(device), step(Device::Cpu));
    let n = on_cpu.len();
    assert_close(
        &Tensor::from_vec(on_gpu, [n]).to(device).unwrap(),
        &Tensor::from_vec(on_cpu, [n]),
        1e-5,
        "65 542 tensors",
    );
}

#[test]
fn reductions_across_many_blocks() {
    let Some(device) = gpu() else { return };
    // One row of 3 million: 732 blocks fold a part each (with shared memory and barriers), then
    // a second launch combines their results.
    // The CPU adds one value after another in f32, the GPU in a tree: for n values of ±1 their
    // rounding differs by about √n · |sum| · 2⁻²⁴, hence the tolerance of the sums.
    let long = random(&[3_000_001], 6);
    same_on_both(
        device,
        std::slice::from_ref(&long),
        5e-4,
        "sum of 3M",
        |v| v[0].sum(),
    );
    same_on_both(device, std::slice::from_ref(&long), 0.0, "max of 3M", |v| {
        v[0].max()
    });
    // Rows long enough for several parts each, and rows of one part.
    let wide = random(&[3, 200_003], 7);
    same_on_both(device, &[wide], 5e-4, "long row sums", |v| {
        v[0].sum_axis(1, true)
    });
    let rows = random(&[100, 5_000], 8);
    same_on_both(device, std::slice::from_ref(&rows), 5e-4, "row sums", |v| {
        v[0].sum_axis(1, false)
    });
    same_on_both(device, &[rows], 0.0, "row maxima", |v| {
        v[0].max_axis(1, false)
    });
    // Short rows: one thread per row.
    let short = random(&[7_000, 37], 9);
    same_on_both(device, &[short], 1e-5, "short row sums", |v| {
        v[0].sum_axis(1, false)
    });
    // A NaN anywhere makes the maximum NaN, as on the CPU.
    let mut values = long.to_vec();
    values[2_999_999] = f32::NAN;
    let with_nan = Tensor::from_vec(values, [3_000_001]);
    assert!(with_nan.to(device).unwrap().max().item().is_nan());
}

#[test]
fn six_axes_broadcast_and_permute() {
    let Some(device) = gpu() else { return };
    let a = random(&[2, 3, 1, 4, 1, 5], 9);
    let b = random(&[1, 3, 2, 1, 3, 5], 10);
    same_on_both(device, &[a.clone(), b], 0.0, "6-D broadcast", |v| {
        v[0].add(&v[1]).mul(&v[0])
    });
    same_on_both(device, &[a], 0.0, "6-D permute", |v| {
        v[0].permute(&[5, 3, 1, 0, 4, 2])
    });
}
