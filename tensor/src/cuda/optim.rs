//! Optimizer steps on the GPU (kernels/optim.cu), in place: Adam over a whole model in one
//! launch, and SGD. The CPU versions are in `cpu/optim.rs`.

use super::launch::{Launch, MAX_BLOCKS, THREADS};
use super::memory::DeviceBuffer;
use super::CudaStorage;
use crate::backend::{AdamUpdate, SgdStep};
use std::sync::Arc;

/// One parameter tensor of a fused Adam step, read by the kernel from an array in device memory
/// (`struct AdamTensor` of kernels/optim.cu; pointers as 64-bit addresses).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct AdamTensor {
    param: u64,
    grad: u64,
    m: u64,
    v: u64,
    len: u64,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    bias_correction2_sqrt: f32,
}

impl AdamTensor {
    fn of(u: &AdamUpdate<'_, CudaStorage>) -> Self {
        let h = u.hyper;
        AdamTensor {
            param: u.param.all().address(),
            grad: u.grad.all().address(),
            m: u.m.all().address(),
            v: u.v.all().address(),
            len: u.param.len() as u64,
            beta1: h.beta1,
            beta2: h.beta2,
            eps: h.eps,
            weight_decay: h.weight_decay,
            step_size: h.lr / (1.0 - h.beta1.powi(h.step as i32)),
            bias_correction2_sqrt: (1.0 - h.beta2.powi(h.step as i32)).sqrt(),
        }
    }
}

/// A launch's grid has at most 65 535 rows, one per tensor; models have far fewer tensors.
const TENSORS_PER_LAUNCH: usize = 65_535;

/// Adam on every tensor of `updates`: the tensors' descriptions go to the device in one upload,
/// then grid row `y` of one launch updates tensor `y`.
pub fn adam_step(updates: &mut [AdamUpdate<'_, CudaStorage>]) {
    for chunk in updates.chunks(TENSORS_PER_LAUNCH) {
        let Some(first) = chunk.first() else {
            return;
        };
        let device = Arc::clone(first.param.device());
        let tensors: Vec<AdamTensor> = chunk.iter().map(AdamTensor::of).collect();
        let tensors = DeviceBuffer::from_host(&tensors, Arc::clone(&device));
        let largest = chunk.iter().map(|u| u.param.len()).max().unwrap_or(0);
        let blocks = largest.div_ceil(THREADS as usize).min(MAX_BLOCKS as usize) as u32;
        // `updates` holds the buffers mutably until this returns, and the kernel is queued on
        // the stream before anything can free them.
        Launch::with_shape(&device, "adam_step", (blocks, 1, 1), (THREADS, 1, 1))
            .grid_rows(tensors.len() as u32)
            .arg(&tensors.all())
            .run();
    }
}

/// `p -= lr · direction` with PyTorch's SGD rules; `momentum_buffer` is `None` when momentum is 0.
pub fn sgd_step(
    param: &mut CudaStorage,
    grad: &CudaStorage,
    momentum_buffer: Option<&mut CudaStorage>,
    h: &SgdStep,
) {
    let n = param.len() as u64;
    let (nesterov, first_step) = (h.nesterov as u32, h.first_step as u32);
    // A null pointer tells the kernel there is no momentum.
    let buffer = momentum_buffer.map_or(0, |b| b.all().address());
    Launch::grid_stride(param.device(), "sgd_step", param.len())
        .arg(&param.all())
        .arg(&grad.all())
        .arg(&buffer)
        .arg(&n)
        .arg(&h.lr)
        .arg(&h.momentum)
        .arg(&h.dampening)
        .arg(&h.weight_decay)
        .arg(&nesterov)
        .arg(&first_step)
        .run();
}
