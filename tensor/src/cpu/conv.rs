//! 2-D convolution on the CPU by im2col + GEMM, and the naive direct loops as its reference.
//!
//! im2col copies every receptive field of one image into a column of a matrix
//! `col[(c, i, j), (oy, ox)] = x[c, oy·s − p + i, ox·s − p + j]` (0 outside the image). Then
//! - forward:       `y_n  = W · col_n`            (Cout × CKK) · (CKK × OHW)
//! - input grad:    `dcol = Wᵀ · dy_n`, then col2im adds each column back onto the patch it came from
//! - weight grad:   `dW  += dy_n · col_nᵀ`        summed over the batch
//!
//! Images are independent, so rayon spreads the batch over the cores and each GEMM stays on one
//! thread.

use super::gemm::{sgemm, MatRef};
use crate::backend::Conv2dGeometry;
use rayon::prelude::*;

/// Fills `col` (CKK × OHW) with the receptive fields of one image `x` (C × H × W).
pub fn im2col(x: &[f32], g: &Conv2dGeometry, col: &mut [f32]) {
    let out_pixels = g.out_pixels();
    for c in 0..g.in_channels {
        let plane = &x[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for i in 0..g.kernel_h {
            for j in 0..g.kernel_w {
                let row = (c * g.kernel_h + i) * g.kernel_w + j;
                let dst = &mut col[row * out_pixels..(row + 1) * out_pixels];
                let valid_x = valid_outputs(j, g.stride, g.padding, g.in_w, g.out_w);
                for (oy, dst_row) in dst.chunks_exact_mut(g.out_w).enumerate() {
                    let Some(iy) = source_index(oy, i, g.stride, g.padding, g.in_h)
                        .filter(|_| !valid_x.is_empty())
                    else {
                        dst_row.fill(0.0);
                        continue;
                    };
                    let src_row = &plane[iy * g.in_w..(iy + 1) * g.in_w];
                    dst_row[..valid_x.start].fill(0.0);
                    dst_row[valid_x.end..].fill(0.0);
                    let first_ix = valid_x.start * g.stride + j - g.padding;
                    let src = src_row[first_ix..].iter().step_by(g.stride);
                    dst_row[valid_x.clone()]
                        .iter_mut()
                        .zip(src)
                        .for_each(|(d, &s)| *d = s);
                }
            }
        }
    }
}

/// The adjoint of [`im2col`]: adds every column entry back onto the input pixel it was copied
/// from. `x` must start zeroed; overlapping patches accumulate.
pub fn col2im(col: &[f32], g: &Conv2dGeometry, x: &mut [f32]) {
    let out_pixels = g.out_pixels();
    for c in 0..g.in_channels {
        let plane = &mut x[c * g.in_h * g.in_w..(c + 1) * g.in_h * g.in_w];
        for i in 0..g.kernel_h {
            for j in 0..g.kernel_w {
                let row = (c * g.kernel_h + i) * g.kernel_w + j;
                let src = &col[row * out_pixels..(row + 1) * out_pixels];
                let valid_x = valid_outputs(j, g.stride, g.padding, g.in_w, g.out_w);
                for (oy, src_row) in src.chunks_exact(g.out_w).enumerate() {
                    let Some(iy) = source_index(oy, i, g.stride, g.padding, g.in_h)
                        .filter(|_| !valid_x.is_empty())
                    else {
                        continue;
                    };
                    let dst_row = &mut plane[iy * g.in_w..(iy + 1) * g.in_w];
                    let first_ix = valid_x.start * g.stride + j - g.padding;
                    let dst = dst_row[first_ix..].iter_mut().step_by(g.stride);
                    dst.zip(&src_row[valid_x.clone()])
                        .for_each(|(d, &s)| *d += s);
                }
            }
        }
    }
}

/// The output coordinates `o` whose input coordinate `o·stride + k − padding` falls inside
/// `0..size`: a contiguous range, so the copy loops above need no per-element bounds test.
fn valid_outputs(
    k: usize,
    stride: usize,
    padding: usize,
    size: usize,
    outputs: usize,
) -> std::ops::Range<usize> {
    // o·stride + k ≥ padding  ⇔  o ≥ ceil((padding − k) / stride)
    let first = padding.saturating_sub(k).div_ceil(stride);
    // o·stride + k − padding ≤ size − 1  ⇔  o ≤ (size − 1 + padding − k) / stride
    let end = match (size + padding).checked_sub(k + 1) {
        Some(span) => (span / stride + 1).min(outputs),
        None => 0,
    };
    first.min(end)..end
}

/// Input coordinate read by output coordinate `out` at kernel offset `k`, or `None` in the padding.
#[inline]
fn source_index(out: usize, k: usize, stride: usize, padding: usize, size: usize) -> Option<usize> {
    (out * stride + k)
        .checked_sub(padding)
        .filter(|&index| index < size)
}

/// Forward: `y[n] = W · im2col(x[n]) + bias`.
pub fn conv2d(x: &[f32], weight: &[f32], bias: Option<&[f32]>, g: &Conv2dGeometry) -> Vec<f32> {
    let (ckk, ohw) = (g.patch_len(), g.out_pixels());
    let image_len = g.in_channels * g.in_h * g.in_w;
    let mut y = vec![0.0; g.batch * g.out_channels * ohw];
    y.par_chunks_mut(g.out_channels * ohw)
        .zip(x.par_chunks(image_len))
        .for_each_init(
            || vec![0.0; ckk * ohw],
            |col, (y_n, x_n)| {
                im2col(x_n, g, col);
                let (w, cols) = (MatRef::new(weight), MatRef::new(col));
                sgemm(w, cols, y_n, g.out_channels, ohw, ckk, 0.0);
                if let Some(bias) = bias {
                    for (channel, &b) in y_n.chunks_mut(ohw).zip(bias) {
                        channel.iter_mut().for_each(|v| *v += b);
                    }
                }
            },
        );
    y
}

/// Input gradient: `dx[n] = col2im(Wᵀ · dy[n])`.
pub fn conv2d_input_grad(grad_out: &[f32], weight: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    let (ckk, ohw) = (g.patch_len(), g.out_pixels());
    let image_len = g.in_channels * g.in_h * g.in_w;
    let mut dx = vec![0.0; g.batch * image_len];
    dx.par_chunks_mut(image_len)
        .zip(grad_out.par_chunks(g.out_channels * ohw))
        .for_each_init(
            || vec![0.0; ckk * ohw],
            |dcol, (dx_n, dy_n)| {
                let (w_t, dy) = (MatRef::transpose_of(weight), MatRef::new(dy_n));
                sgemm(w_t, dy, dcol, ckk, ohw, g.out_channels, 0.0);
                col2im(dcol, g, dx_n);
            },
        );
    dx
}

/// Weight gradient: `dW = Σ_n dy[n] · im2col(x[n])ᵀ`. Each thread sums its share of the batch
/// into its own partial dW (GEMM with beta = 1), then the partials are added.
pub fn conv2d_weight_grad(grad_out: &[f32], x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    let (ckk, ohw) = (g.patch_len(), g.out_pixels());
    let image_len = g.in_channels * g.in_h * g.in_w;
    let threads = rayon::current_num_threads().max(1);
    let images_per_task = g.batch.div_ceil(threads).max(1);
    let partials: Vec<Vec<f32>> = (0..g.batch)
        .step_by(images_per_task)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|first| {
            let mut dw = vec![0.0; g.out_channels * ckk];
            let mut col = vec![0.0; ckk * ohw];
            for n in first..(first + images_per_task).min(g.batch) {
                im2col(&x[n * image_len..(n + 1) * image_len], g, &mut col);
                let dy_n = &grad_out[n * g.out_channels * ohw..(n + 1) * g.out_channels * ohw];
                let (dy, col_t) = (MatRef::new(dy_n), MatRef::transpose_of(&col));
                sgemm(dy, col_t, &mut dw, g.out_channels, ckk, ohw, 1.0);
            }
            dw
        })
        .collect();
    sum_buffers(partials, g.out_channels * ckk)
}

fn sum_buffers(buffers: Vec<Vec<f32>>, len: usize) -> Vec<f32> {
    let mut buffers = buffers.into_iter();
    let mut total = buffers.next().unwrap_or_else(|| vec![0.0; len]);
    for buffer in buffers {
        total.iter_mut().zip(&buffer).for_each(|(t, b)| *t += b);
    }
    total
}

/// Visits every (output element, kernel tap) pair that reads a real (non-padding) input pixel,
/// as `visit(output index, input index, weight index)`. The three naive kernels below are this
/// one loop nest with a different body.
fn for_each_tap(g: &Conv2dGeometry, mut visit: impl FnMut(usize, usize, usize)) {
    for n in 0..g.batch {
        for oc in 0..g.out_channels {
            for oy in 0..g.out_h {
                for ox in 0..g.out_w {
                    let out_index = ((n * g.out_channels + oc) * g.out_h + oy) * g.out_w + ox;
                    for ic in 0..g.in_channels {
                        for i in 0..g.kernel_h {
                            let Some(iy) = source_index(oy, i, g.stride, g.padding, g.in_h) else {
                                continue;
                            };
                            for j in 0..g.kernel_w {
                                let Some(ix) = source_index(ox, j, g.stride, g.padding, g.in_w)
                                else {
                                    continue;
                                };
                                let in_index =
                                    ((n * g.in_channels + ic) * g.in_h + iy) * g.in_w + ix;
                                let w_index =
                                    ((oc * g.in_channels + ic) * g.kernel_h + i) * g.kernel_w + j;
                                visit(out_index, in_index, w_index);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Reference forward: `y[n,o,y,x] = b[o] + Σ x[n,c,y·s−p+i,x·s−p+j] · W[o,c,i,j]`.
pub fn conv2d_naive(
    x: &[f32],
    weight: &[f32],
    bias: Option<&[f32]>,
    g: &Conv2dGeometry,
) -> Vec<f32> {
    let ohw = g.out_pixels();
    let mut y = vec![0.0; g.batch * g.out_channels * ohw];
    if let Some(bias) = bias {
        for (i, v) in y.iter_mut().enumerate() {
            *v = bias[(i / ohw) % g.out_channels];
        }
    }
    for_each_tap(g, |out, input, w| y[out] += x[input] * weight[w]);
    y
}

/// Reference input gradient: every tap sends `dy · W` back to the pixel it read.
pub fn conv2d_input_grad_naive(grad_out: &[f32], weight: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    let mut dx = vec![0.0; g.batch * g.in_channels * g.in_h * g.in_w];
    for_each_tap(g, |out, input, w| dx[input] += grad_out[out] * weight[w]);
    dx
}

/// Reference weight gradient: every tap sends `dy · x` to the weight it used.
pub fn conv2d_weight_grad_naive(grad_out: &[f32], x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
    let mut dw = vec![0.0; g.out_channels * g.patch_len()];
    for_each_tap(g, |out, input, w| dw[w] += grad_out[out] * x[input]);
    dw
}
