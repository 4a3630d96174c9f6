//! Elementwise kernels on the CPU: unary functions and broadcasting binary operations.

use crate::backend::{relu, AxisLayout, BinaryOp, BroadcastShapes, UnaryOp};
use rayon::prelude::*;

/// Below this many elements a parallel loop costs more than it saves.
const PARALLEL_CHUNK: usize = 1 << 14;

pub fn unary(x: &[f32], op: UnaryOp) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    out.par_chunks_mut(PARALLEL_CHUNK)
        .zip(x.par_chunks(PARALLEL_CHUNK))
        .for_each(|(out, x)| {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = op.apply(v);
            }
        });
    out
}

/// `op(a, b)` broadcast to `shapes.out`. Equal shapes zip straight through; otherwise each output
/// row (the last axis) is produced from the two inputs' broadcast strides, where a stride of 0
/// repeats a value.
pub fn binary(a: &[f32], b: &[f32], op: BinaryOp, shapes: &BroadcastShapes) -> Vec<f32> {
    let mut out = vec![0.0; shapes.out.numel()];
    if shapes.lhs == shapes.rhs {
        out.par_chunks_mut(PARALLEL_CHUNK)
            .zip(
                a.par_chunks(PARALLEL_CHUNK)
                    .zip(b.par_chunks(PARALLEL_CHUNK)),
            )
            .for_each(|(out, (a, b))| {
                for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                    *o = op.apply(x, y);
                }
            });
        return out;
    }
    if out.is_empty() {
        return out;
    }
    let (a_strides, b_strides) = shapes.operand_strides();
    let dims = shapes.out.dims();
    let rank = dims.len();
    if rank == 0 {
        out[0] = op.apply(a[0], b[0]);
        return out;
    }
    let row_len = dims[rank - 1];
    let (a_step, b_step) = (a_strides[rank - 1], b_strides[rank - 1]);
    let rows_per_task = (PARALLEL_CHUNK / row_len.max(1)).max(1);
    out.par_chunks_mut(row_len * rows_per_task)
        .enumerate()
        .for_each(|(task, rows)| {
            for (r, row) in rows.chunks_mut(row_len).enumerate() {
                let (a_start, b_start) = row_offsets(
                    task * rows_per_task + r,
                    &dims[..rank - 1],
                    &a_strides,
                    &b_strides,
                );
                for (j, o) in row.iter_mut().enumerate() {
                    *o = op.apply(a[a_start + j * a_step], b[b_start + j * b_step]);
                }
            }
        });
    out
}

/// `a = op(a, b)` in place, for two operands of one shape.
pub fn binary_assign(a: &mut [f32], b: &[f32], op: BinaryOp) {
    assert_eq!(
        a.len(),
        b.len(),
        "binary_assign needs operands of one length"
    );
    a.par_chunks_mut(PARALLEL_CHUNK)
        .zip(b.par_chunks(PARALLEL_CHUNK))
        .for_each(|(a, b)| {
            for (x, &y) in a.iter_mut().zip(b) {
                *x = op.apply(*x, y);
            }
        });
}

/// Where output row `row` starts in each input: decompose the row number into coordinates of
/// the leading axes and weight them by each input's strides.
fn row_offsets(
    mut row: usize,
    leading: &[usize],
    a_strides: &[usize],
    b_strides: &[usize],
) -> (usize, usize) {
    let (mut a_offset, mut b_offset) = (0, 0);
    for axis in (0..leading.len()).rev() {
        let coordinate = row % leading[axis];
        row /= leading[axis];
        a_offset += coordinate * a_strides[axis];
        b_offset += coordinate * b_strides[axis];
    }
    (a_offset, b_offset)
}

/// Reference: one element at a time, coordinates computed from scratch.
pub fn binary_naive(a: &[f32], b: &[f32], op: BinaryOp, shapes: &BroadcastShapes) -> Vec<f32> {
    let (a_strides, b_strides) = shapes.operand_strides();
    let out_shape = shapes.out;
    let out_strides = out_shape.strides();
    (0..out_shape.numel())
        .map(|index| {
            let (mut a_at, mut b_at) = (0, 0);
            for axis in 0..out_shape.rank() {
                let coordinate = index / out_strides[axis] % out_shape.dims()[axis];
                a_at += coordinate * a_strides[axis];
                b_at += coordinate * b_strides[axis];
            }
            op.apply(a[a_at], b[b_at])
        })
        .collect()
}

/// A dropout mask: 0 with probability `p`, else `1 / (1 − p)` so the expected value is 1.
pub fn dropout_mask(len: usize, p: f32, seed: u64) -> Vec<f32> {
    let keep_scale = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
    let mut mask = vec![0.0; len];
    mask.par_chunks_mut(PARALLEL_CHUNK)
        .enumerate()
        .for_each(|(chunk, values)| {
            for (i, m) in values.iter_mut().enumerate() {
                let index = (chunk * PARALLEL_CHUNK + i) as u64;
                let keep = crate::rng::hash_uniform(seed, index) >= p;
                *m = if keep { keep_scale } else { 0.0 };
            }
        });
    mask
}

/// `max(x + bias[c], 0)` over `[outer, channels, inner]`, into a new buffer.
pub fn bias_relu(x: &[f32], bias: &[f32], l: AxisLayout) -> Vec<f32> {
    let mut out = x.to_vec();
    bias_relu_assign(&mut out, bias, l);
    out
}

/// `x = max(x + bias[c], 0)` in place over `[outer, channels, inner]`, one row of `inner`
/// values at a time.
pub fn bias_relu_assign(x: &mut [f32], bias: &[f32], l: AxisLayout) {
    let inner = l.inner.max(1);
    let rows_per_task = (PARALLEL_CHUNK / inner).max(1);
    x.par_chunks_mut(rows_per_task * inner)
        .enumerate()
        .for_each(|(task, x)| {
            for (r, row) in x.chunks_mut(inner).enumerate() {
                let b = bias[(task * rows_per_task + r) % l.len];
                row.iter_mut().for_each(|v| *v = relu(*v + b));
            }
        });
}
