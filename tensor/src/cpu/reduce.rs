//! Reductions along one axis on the CPU (sum, max, argmax) and the scatter that undoes argmax.

use crate::backend::{AxisLayout, ReduceOp};
use rayon::prelude::*;

/// Reduces `x` viewed as `outer × len × inner` along the middle axis. Outer blocks run in
/// parallel; within a block, rows of `inner` contiguous values are folded into the accumulator
/// (or, when `inner` is 1, each contiguous lane folds to one number).
pub fn reduce(x: &[f32], op: ReduceOp, l: AxisLayout) -> Vec<f32> {
    let (identity, combine): (f32, fn(f32, f32) -> f32) = match op {
        ReduceOp::Sum => (0.0, |a, v| a + v),
        // A NaN anywhere makes the maximum NaN, as in PyTorch.
        ReduceOp::Max => (
            f32::NEG_INFINITY,
            |a, v| if v > a || v.is_nan() { v } else { a },
        ),
    };
    let mut out = vec![identity; l.outer * l.inner];
    if out.is_empty() {
        return out;
    }
    let block_len = (l.len * l.inner).max(1);
    out.par_chunks_mut(l.inner.max(1))
        .zip(x.par_chunks(block_len))
        .with_min_len((1 << 14) / block_len + 1)
        .for_each(|(acc, block)| {
            if l.inner == 1 {
                acc[0] = block.iter().fold(identity, |a, &v| combine(a, v));
            } else {
                for row in block.chunks(l.inner) {
                    acc.iter_mut()
                        .zip(row)
                        .for_each(|(a, &v)| *a = combine(*a, v));
                }
            }
        });
    out
}

/// Position along the axis of the first maximum of each lane.
pub fn argmax(x: &[f32], l: AxisLayout) -> Vec<u32> {
    let mut out = vec![0u32; l.outer * l.inner];
    for o in 0..l.outer {
        for i in 0..l.inner {
            let at = |k: usize| x[(o * l.len + k) * l.inner + i];
            let mut best = 0;
            for k in 1..l.len {
                if at(k) > at(best) || at(k).is_nan() && !at(best).is_nan() {
                    best = k;
                }
            }
            out[o * l.inner + i] = best as u32;
        }
    }
    out
}

/// Zeros of `outer × len × inner` with `values[o, i]` placed at `indices[o, i]` along the axis.
pub fn scatter_along_axis(values: &[f32], indices: &[u32], l: AxisLayout) -> Vec<f32> {
    let mut out = vec![0.0; l.outer * l.len * l.inner];
    for o in 0..l.outer {
        for i in 0..l.inner {
            let k = indices[o * l.inner + i] as usize;
            out[(o * l.len + k) * l.inner + i] = values[o * l.inner + i];
        }
    }
    out
}
