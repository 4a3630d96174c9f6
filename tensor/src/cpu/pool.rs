//! 2-D max-pooling on the CPU, with the argmax kept for the backward pass.
//!
//! Windows may overlap (kernel 3, stride 2 in AlexNet): an input pixel can be the maximum of
//! several windows, so the backward pass must *add* each window's gradient onto its argmax.

use crate::backend::Pool2dGeometry;
use rayon::prelude::*;

/// Forward over every (n, c) plane in parallel. Padding never wins (it counts as −∞); ties go
/// to the first maximum in row-major window order, as in PyTorch.
pub fn max_pool2d(x: &[f32], g: &Pool2dGeometry) -> (Vec<f32>, Vec<u32>) {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut out = vec![0.0; g.planes() * out_plane];
    let mut indices = vec![0u32; g.planes() * out_plane];
    out.par_chunks_mut(out_plane.max(1))
        .zip(indices.par_chunks_mut(out_plane.max(1)))
        .zip(x.par_chunks(in_plane.max(1)))
        .for_each(|((out, indices), plane)| pool_plane(plane, g, out, indices));
    (out, indices)
}

fn pool_plane(plane: &[f32], g: &Pool2dGeometry, out: &mut [f32], indices: &mut [u32]) {
    for oy in 0..g.out_h {
        let rows = window(oy, g.kernel, g.stride, g.padding, g.in_h);
        for ox in 0..g.out_w {
            let cols = window(ox, g.kernel, g.stride, g.padding, g.in_w);
            let mut best = f32::NEG_INFINITY;
            let mut best_index = rows.start * g.in_w + cols.start;
            for iy in rows.clone() {
                for ix in cols.clone() {
                    let value = plane[iy * g.in_w + ix];
                    // A NaN beats any number, so NaNs propagate as in PyTorch.
                    if value > best || value.is_nan() && !best.is_nan() {
                        best = value;
                        best_index = iy * g.in_w + ix;
                    }
                }
            }
            out[oy * g.out_w + ox] = best;
            indices[oy * g.out_w + ox] = best_index as u32;
        }
    }
}

/// The input coordinates covered by output coordinate `out`, clipped to the image.
fn window(
    out: usize,
    kernel: usize,
    stride: usize,
    padding: usize,
    size: usize,
) -> std::ops::Range<usize> {
    let start = (out * stride).saturating_sub(padding);
    let end = (out * stride + kernel).saturating_sub(padding).min(size);
    start..end
}

/// Backward: each output gradient goes to its window's argmax; overlapping windows add up.
pub fn max_pool2d_backward(grad_out: &[f32], indices: &[u32], g: &Pool2dGeometry) -> Vec<f32> {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut dx = vec![0.0; g.planes() * in_plane];
    dx.par_chunks_mut(in_plane.max(1))
        .zip(grad_out.par_chunks(out_plane.max(1)))
        .zip(indices.par_chunks(out_plane.max(1)))
        .for_each(|((dx, dy), idx)| {
            for (&d, &i) in dy.iter().zip(idx) {
                dx[i as usize] += d;
            }
        });
    dx
}

/// Reference forward: the definition, one output at a time, with explicit padding checks.
pub fn max_pool2d_naive(x: &[f32], g: &Pool2dGeometry) -> (Vec<f32>, Vec<u32>) {
    let mut out = Vec::with_capacity(g.planes() * g.out_h * g.out_w);
    let mut indices = Vec::with_capacity(out.capacity());
    for plane in 0..g.planes() {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let mut best = (f32::NEG_INFINITY, 0usize);
                for i in 0..g.kernel {
                    for j in 0..g.kernel {
                        let iy = (oy * g.stride + i) as isize - g.padding as isize;
                        let ix = (ox * g.stride + j) as isize - g.padding as isize;
                        if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                            continue;
                        }
                        let at = iy as usize * g.in_w + ix as usize;
                        let value = x[plane * g.in_h * g.in_w + at];
                        if value > best.0 {
                            best = (value, at);
                        }
                    }
                }
                out.push(best.0);
                indices.push(best.1 as u32);
            }
        }
    }
    (out, indices)
}
