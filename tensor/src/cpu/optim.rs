//! Optimizer updates on the CPU, in place, one pass over the parameters.
//!
//! The formulas follow `torch.optim.Adam` and `torch.optim.SGD` line by line, so the same
//! hyper-parameters give the same trajectory (checked against PyTorch in nn's tests).

use crate::backend::{AdamStep, SgdStep};
use rayon::prelude::*;

const CHUNK: usize = 1 << 14;

/// Adam: `m ← β₁m + (1−β₁)g`, `v ← β₂v + (1−β₂)g²`,
/// `p ← p − lr/(1−β₁ᵗ) · m / (√v/√(1−β₂ᵗ) + ε)`, with `g ← g + λp` for weight decay.
pub fn adam_step(param: &mut [f32], grad: &[f32], m: &mut [f32], v: &mut [f32], h: &AdamStep) {
    let bias_correction1 = 1.0 - h.beta1.powi(h.step as i32);
    let bias_correction2_sqrt = (1.0 - h.beta2.powi(h.step as i32)).sqrt();
    let step_size = h.lr / bias_correction1;
    param
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK))
        .zip(m.par_chunks_mut(CHUNK).zip(v.par_chunks_mut(CHUNK)))
        .for_each(|((p, g), (m, v))| {
            for i in 0..p.len() {
                let g = g[i] + h.weight_decay * p[i];
                m[i] = h.beta1 * m[i] + (1.0 - h.beta1) * g;
                v[i] = h.beta2 * v[i] + (1.0 - h.beta2) * g * g;
                let denominator = v[i].sqrt() / bias_correction2_sqrt + h.eps;
                p[i] -= step_size * m[i] / denominator;
            }
        });
}

/// SGD with optional momentum (and Nesterov) and L2 weight decay.
pub fn sgd_step(param: &mut [f32], grad: &[f32], buffer: Option<&mut [f32]>, h: &SgdStep) {
    let Some(buffer) = buffer else {
        param
            .par_chunks_mut(CHUNK)
            .zip(grad.par_chunks(CHUNK))
            .for_each(|(p, g)| {
                for (p, &g) in p.iter_mut().zip(g) {
                    *p -= h.lr * (g + h.weight_decay * *p);
                }
            });
        return;
    };
    param
        .par_chunks_mut(CHUNK)
        .zip(grad.par_chunks(CHUNK).zip(buffer.par_chunks_mut(CHUNK)))
        .for_each(|(p, (g, buf))| {
            for i in 0..p.len() {
                let g = g[i] + h.weight_decay * p[i];
                buf[i] = if h.first_step {
                    g
                } else {
                    h.momentum * buf[i] + (1.0 - h.dampening) * g
                };
                let direction = if h.nesterov {
                    g + h.momentum * buf[i]
                } else {
                    buf[i]
                };
                p[i] -= h.lr * direction;
            }
        });
}
