//! Moving data between layouts on the CPU: permuting axes.

use crate::Shape;

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
