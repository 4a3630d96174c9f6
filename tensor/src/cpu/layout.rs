//! Moving data between layouts on the CPU: permuting axes, joining tensors along an axis and
//! cutting a slab out of one.

use crate::backend::AxisLayout;
use crate::Shape;
use rayon::prelude::*;

/// A contiguous copy of `x` (of shape `shape`) with output axis `i` taken from input axis
/// `axes[i]`. Walks the output in order and keeps a running input offset, like an odometer.
pub fn permute(x: &[f32], shape: &Shape, axes: &[usize]) -> Vec<f32> {
    let in_strides = shape.strides();
    let out_dims: Vec<usize> = axes.iter().map(|&a| shape.dims()[a]).collect();
    let strides: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
    let mut out = Vec::with_capacity(x.len());
    let mut coordinate = vec![0usize; out_dims.len()];
    let mut offset = 0usize;
    for _ in 0..x.len() {
        out.push(x[offset]);
        // Advance the last axis; carry into earlier axes when one wraps around.
        for axis in (0..out_dims.len()).rev() {
            coordinate[axis] += 1;
            offset += strides[axis];
            if coordinate[axis] < out_dims[axis] {
                break;
            }
            offset -= strides[axis] * out_dims[axis];
            coordinate[axis] = 0;
        }
    }
    out
}

/// Joins `parts` along the middle axis: part `p` is `[outer, lens[p], inner]`, the result
/// `[outer, Σ lens, inner]`. Row-major, each of the `outer` blocks of the result is the parts'
/// blocks one after the other, and each part's block is one contiguous run of `lens[p]·inner`
/// values: so the blocks are filled in parallel, one `copy_from_slice` per part.
pub fn cat(parts: &[&[f32]], lens: &[usize], outer: usize, inner: usize) -> Vec<f32> {
    let block = lens.iter().sum::<usize>() * inner;
    let mut out = vec![0.0; outer * block];
    out.par_chunks_mut(block.max(1))
        .enumerate()
        .for_each(|(o, out_block)| {
            let mut at = 0;
            for (part, &len) in parts.iter().zip(lens) {
                let run = len * inner;
                out_block[at..at + run].copy_from_slice(&part[o * run..(o + 1) * run]);
                at += run;
            }
        });
    out
}

/// Reference for [`cat`]: one element at a time, each output coordinate along the axis mapped
/// back to the part that holds it.
pub fn cat_naive(parts: &[&[f32]], lens: &[usize], outer: usize, inner: usize) -> Vec<f32> {
    let total: usize = lens.iter().sum();
    let mut out = Vec::with_capacity(outer * total * inner);
    for o in 0..outer {
        for mut a in 0..total {
            let mut p = 0;
            while a >= lens[p] {
                a -= lens[p];
                p += 1;
            }
            for i in 0..inner {
                out.push(parts[p][(o * lens[p] + a) * inner + i]);
            }
        }
    }
    out
}

/// Positions `start .. start + len` of the middle axis of `x` (`[l.outer, l.len, l.inner]`):
/// `[outer, len, inner]`, one contiguous run of `len·inner` values per outer block.
pub fn narrow(x: &[f32], l: AxisLayout, start: usize, len: usize) -> Vec<f32> {
    let run = len * l.inner;
    let mut out = vec![0.0; l.outer * run];
    out.par_chunks_mut(run.max(1))
        .enumerate()
        .for_each(|(o, out_block)| {
            let from = (o * l.len + start) * l.inner;
            out_block.copy_from_slice(&x[from..from + run]);
        });
    out
}

/// Reference for [`narrow`]: one element at a time.
pub fn narrow_naive(x: &[f32], l: AxisLayout, start: usize, len: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(l.outer * len * l.inner);
    for o in 0..l.outer {
        for a in start..start + len {
            for i in 0..l.inner {
                out.push(x[(o * l.len + a) * l.inner + i]);
            }
        }
    }
    out
}
