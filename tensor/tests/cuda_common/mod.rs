//! Helpers shared by the CPU-vs-CUDA test files (`mod cuda_common;` in each).

#![allow(dead_code)] // each test file uses a different subset

use tensor::{AdamStep, AdamUpdate, Device, Rng, Tensor};

/// The GPU, or `None` after a visible `skipped: no CUDA device` line (a failure instead with
/// `RUSTGRAD_REQUIRE_GPU=1`).
pub fn gpu() -> Option<Device> {
    tensor::cuda::gpu_for_tests()
}

pub fn random(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, -1.0, 1.0, &mut Rng::new(seed))
}

/// Every value of `gpu` within `tolerance · (1 + |cpu|)` of `cpu`; prints the worst error so
/// logs show how close the devices are.
#[track_caller]
pub fn assert_close(gpu: &Tensor, cpu: &Tensor, tolerance: f32, what: &str) {
    assert_eq!(
        gpu.device(),
        Device::Cuda(0),
        "{what}: result should stay on the GPU"
    );
    assert_eq!(gpu.shape(), cpu.shape(), "{what}: shape");
    let (gpu, cpu) = (gpu.to_vec(), cpu.to_vec());
    let mut worst = (0.0f32, 0usize);
    for (i, (g, c)) in gpu.iter().zip(&cpu).enumerate() {
        let error = (g - c).abs() / (1.0 + c.abs());
        // A NaN error is the worst and stays so.
        if !worst.0.is_nan() && (error.is_nan() || error > worst.0) {
            worst = (error, i);
        }
    }
    if gpu.len() > 1000 {
        println!("{what}: worst relative error {:.1e}", worst.0);
    }
    assert!(
        worst.0 <= tolerance,
        "{what}[{}]: cuda {} vs cpu {}",
        worst.1,
        gpu[worst.1],
        cpu[worst.1]
    );
}

/// Runs `f` on CPU copies and on GPU copies of `inputs` and compares.
#[track_caller]
pub fn same_on_both(
    device: Device,
    inputs: &[Tensor],
    tolerance: f32,
    what: &str,
    f: impl Fn(&[Tensor]) -> Tensor,
) {
    let on_gpu: Vec<Tensor> = inputs.iter().map(|t| t.to(device).unwrap()).collect();
    assert_close(&f(&on_gpu), &f(inputs), tolerance, what);
}

/// Runs `f` with exact f32 GEMMs on the GPU (TF32 off), then restores PyTorch's default.
pub fn without_tf32<T>(f: impl FnOnce() -> T) -> T {
    tensor::set_tf32(false);
    let result = f();
    tensor::set_tf32(true);
    result
}

/// One fused Adam step (`Tensor::adam_steps_`, one launch on a GPU) over `params`, with moments
/// `m = grad / 2`, `v = grad²` (a state as after a few steps) and `hyper(i)` for tensor `i`.
/// Returns the moments after the step.
pub fn fused_adam_step(
    params: &mut [Tensor],
    grads: &[Tensor],
    hyper: impl Fn(usize) -> AdamStep,
) -> Vec<(Tensor, Tensor)> {
    let mut moments: Vec<(Tensor, Tensor)> = grads
        .iter()
        .map(|g| (g.mul_scalar(0.5), g.mul(g)))
        .collect();
    let mut updates: Vec<AdamUpdate<'_, Tensor>> = params
        .iter_mut()
        .zip(moments.iter_mut())
        .zip(grads)
        .enumerate()
        .map(|(i, ((param, (m, v)), grad))| AdamUpdate {
            param,
            grad,
            m,
            v,
            hyper: hyper(i),
        })
        .collect();
    Tensor::adam_steps_(&mut updates);
    drop(updates);
    moments
}
