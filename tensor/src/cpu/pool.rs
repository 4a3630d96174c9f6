//! 2-D pooling on the CPU: max-pooling (with the argmax kept for the backward pass),
//! average-pooling and adaptive average-pooling.
//!
//! Windows may overlap (kernel 3, stride 2 in AlexNet): an input pixel can be the maximum of
//! several windows, so the backward pass must *add* each window's gradient onto its argmax; an
//! input pixel under several average windows gets a share of each.

use crate::backend::{AdaptivePool2dGeometry, Pool2dGeometry};
use rayon::prelude::*;
use std::ops::Range;

/// Forward over every (n, c) plane in parallel. Padding never wins (it counts as −∞); ties go
/// to the first maximum in row-major window order, as in PyTorch.
pub fn max_pool2d(x: &[f32], g: &Pool2dGeometry) -> (Vec<f32>, Vec<u32>) {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut out = vec![0.0; g.planes() * out_plane];
    let mut indices = vec![0u32; g.planes() * out_plane];
    out.par_chunks_mut(out_plane.max(1))
        .zip(indices.par_chunks_mut(out_plane.max(1)))
        .zip(x.par_chunks(in_plane.max(1)))
        .for_each_init(Vec::new, |phases, ((out, indices), plane)| {
            if g.padding == 0 {
                pool_plane_unpadded(plane, g, out, indices, phases)
            } else {
                pool_plane(plane, g, out, indices)
            }
        });
    (out, indices)
}

/// [`pool_plane`] for windows that never leave the image (no padding): one output row at a
/// time, tap by tap in row-major window order, each tap compared for the whole row at once.
/// Each input row is first split by column phase (column `j·stride + p` goes to
/// `phases[p][j]`), so that the columns one tap reads for a whole output row are contiguous:
/// the compiler vectorises the comparisons. Measured at about a third of `pool_plane`'s time
/// on AlexNet's pools.
fn pool_plane_unpadded(
    plane: &[f32],
    g: &Pool2dGeometry,
    out: &mut [f32],
    indices: &mut [u32],
    phases: &mut Vec<f32>,
) {
    let (kernel, stride, width) = (g.kernel, g.stride, g.in_w);
    let phase_len = width.div_ceil(stride);
    phases.resize(stride * phase_len, 0.0);
    let rows = out
        .chunks_exact_mut(g.out_w)
        .zip(indices.chunks_exact_mut(g.out_w));
    for (oy, (best, winner)) in rows.enumerate() {
        best.fill(f32::NEG_INFINITY);
        for (ox, w) in winner.iter_mut().enumerate() {
            *w = (oy * stride * width + ox * stride) as u32;
        }
        for iy in oy * stride..oy * stride + kernel {
            let row = &plane[iy * width..(iy + 1) * width];
            for (ix, &value) in row.iter().enumerate() {
                phases[(ix % stride) * phase_len + ix / stride] = value;
            }
            for kx in 0..kernel {
                let start = (kx % stride) * phase_len + kx / stride;
                let values = &phases[start..start + g.out_w];
                let first = (iy * width + kx) as u32;
                challenge_row(best, winner, values, first, stride as u32);
            }
        }
    }
}

/// One tap for a row of windows: `values[o]` (at input index `first + o·stride`) replaces the
/// running maximum `best[o]` (and its index `winner[o]`) when it wins: as in `pool_plane`, a
/// NaN beats any number, and a tie keeps the earlier maximum.
fn challenge_row(best: &mut [f32], winner: &mut [u32], values: &[f32], first: u32, stride: u32) {
    assert!(winner.len() == best.len() && values.len() == best.len());
    #[cfg(target_arch = "x86_64")]
    let done = {
        // Safety: every x86_64 CPU has SSE2, and the lengths were checked just above.
        unsafe { challenge_row_sse2(best, winner, values, first, stride) }
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    for o in done..best.len() {
        let (value, b) = (values[o], best[o]);
        if value > b || (value.is_nan() && !b.is_nan()) {
            best[o] = value;
            winner[o] = first + o as u32 * stride;
        }
    }
}

/// [`challenge_row`] four windows at a time with SSE2 compares and selects (the compiler does
/// not vectorise the scalar loop's NaN rule); returns how many windows it did.
///
/// # Safety
///
/// `winner` and `values` must be at least as long as `best` (all four are read and written
/// through raw pointers up to `best.len()` rounded down to a multiple of four).
#[cfg(target_arch = "x86_64")]
unsafe fn challenge_row_sse2(
    best: &mut [f32],
    winner: &mut [u32],
    values: &[f32],
    first: u32,
    stride: u32,
) -> usize {
    use std::arch::x86_64::*;
    let quads = best.len() / 4;
    let s = stride as i32;
    let mut index = _mm_setr_epi32(
        first as i32,
        first as i32 + s,
        first as i32 + 2 * s,
        first as i32 + 3 * s,
    );
    let step = _mm_set1_epi32(4 * s);
    for q in 0..quads {
        let at = 4 * q;
        let value = _mm_loadu_ps(values.as_ptr().add(at));
        let b = _mm_loadu_ps(best.as_ptr().add(at));
        let greater = _mm_cmpgt_ps(value, b);
        let nan_over_number = _mm_and_ps(_mm_cmpunord_ps(value, value), _mm_cmpord_ps(b, b));
        let wins = _mm_or_ps(greater, nan_over_number);
        let new_best = _mm_or_ps(_mm_and_ps(wins, value), _mm_andnot_ps(wins, b));
        _mm_storeu_ps(best.as_mut_ptr().add(at), new_best);
        let w = _mm_loadu_si128(winner.as_ptr().add(at) as *const __m128i);
        let wins = _mm_castps_si128(wins);
        let new_winner = _mm_or_si128(_mm_and_si128(wins, index), _mm_andnot_si128(wins, w));
        _mm_storeu_si128(winner.as_mut_ptr().add(at) as *mut __m128i, new_winner);
        index = _mm_add_epi32(index, step);
    }
    4 * quads
}

fn pool_plane(plane: &[f32], g: &Pool2dGeometry, out: &mut [f32], indices: &mut [u32]) {
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            let window = input_window(g, oy, ox);
            let mut best = f32::NEG_INFINITY;
            let mut best_index = window.rows.start * g.in_w + window.cols.start;
            for iy in window.rows {
                let row_start = iy * g.in_w;
                let row = &plane[row_start + window.cols.start..row_start + window.cols.end];
                for (ix, &value) in (window.cols.start..).zip(row) {
                    // A NaN beats any number, so NaNs propagate as in PyTorch. Selects rather
                    // than a branch: which pixel wins is unpredictable.
                    let wins = value > best || (value.is_nan() & !best.is_nan());
                    best = if wins { value } else { best };
                    best_index = if wins { row_start + ix } else { best_index };
                }
            }
            out[oy * g.out_w + ox] = best;
            indices[oy * g.out_w + ox] = best_index as u32;
        }
    }
}

/// A rectangle of a plane: the rows and the columns of a window, or of the outputs whose windows
/// cover one input pixel.
struct Window {
    rows: Range<usize>,
    cols: Range<usize>,
}

/// The input pixels under the window of output `(oy, ox)`, clipped to the image.
fn input_window(g: &Pool2dGeometry, oy: usize, ox: usize) -> Window {
    let range = |out: usize, size: usize| {
        let start = (out * g.stride).saturating_sub(g.padding);
        let end = (out * g.stride + g.kernel)
            .saturating_sub(g.padding)
            .min(size);
        start..end
    };
    Window {
        rows: range(oy, g.in_h),
        cols: range(ox, g.in_w),
    }
}

/// The outputs whose windows cover input pixel `(iy, ix)`, the inverse of [`input_window`]:
/// output `o` covers coordinate `v` when `o·stride − padding ≤ v < o·stride − padding + kernel`.
fn covering_outputs(g: &Pool2dGeometry, iy: usize, ix: usize) -> Window {
    let range = |v: usize, outputs: usize| {
        let first = (v + g.padding + 1)
            .saturating_sub(g.kernel)
            .div_ceil(g.stride);
        let last = ((v + g.padding) / g.stride + 1).min(outputs);
        first..last
    };
    Window {
        rows: range(iy, g.out_h),
        cols: range(ix, g.out_w),
    }
}

/// `Σ value(y, x)` over the rectangle, row by row.
fn sum_over(rectangle: Window, value: impl Fn(usize, usize) -> f32) -> f32 {
    let mut sum = 0.0;
    for y in rectangle.rows {
        for x in rectangle.cols.clone() {
            sum += value(y, x);
        }
    }
    sum
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

/// Visits every (output, input pixel of its window) pair outside the padding, as
/// `visit(output index, input index)`: the definition, output by output, window in row-major
/// order, with explicit padding checks. The three naive kernels below are this one loop nest with
/// a different body.
fn for_each_tap(g: &Pool2dGeometry, mut visit: impl FnMut(usize, usize)) {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    for plane in 0..g.planes() {
        for oy in 0..g.out_h {
            for ox in 0..g.out_w {
                let out_index = plane * out_plane + oy * g.out_w + ox;
                for i in 0..g.kernel {
                    for j in 0..g.kernel {
                        let iy = (oy * g.stride + i) as isize - g.padding as isize;
                        let ix = (ox * g.stride + j) as isize - g.padding as isize;
                        if iy < 0 || ix < 0 || iy >= g.in_h as isize || ix >= g.in_w as isize {
                            continue;
                        }
                        visit(
                            out_index,
                            plane * in_plane + iy as usize * g.in_w + ix as usize,
                        );
                    }
                }
            }
        }
    }
}

/// Reference forward: each output keeps the first largest value of its window.
pub fn max_pool2d_naive(x: &[f32], g: &Pool2dGeometry) -> (Vec<f32>, Vec<u32>) {
    let in_plane = g.in_h * g.in_w;
    let mut best = vec![(f32::NEG_INFINITY, 0); g.planes() * g.out_h * g.out_w];
    for_each_tap(g, |out, input| {
        // A NaN beats any number (it propagates, as in PyTorch); otherwise the first maximum.
        let (value, current) = (x[input], best[out].0);
        if value > current || (value.is_nan() && !current.is_nan()) {
            best[out] = (value, (input % in_plane) as u32);
        }
    });
    best.into_iter().unzip()
}

/// Average-pooling forward over every (n, c) plane in parallel, as PyTorch's defaults
/// (`count_include_pad=True`, `ceil_mode=False`): padded zeros add nothing to a window's sum
/// but still count, so every window divides by kernel².
pub fn avg_pool2d(x: &[f32], g: &Pool2dGeometry) -> Vec<f32> {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut out = vec![0.0; g.planes() * out_plane];
    out.par_chunks_mut(out_plane.max(1))
        .zip(x.par_chunks(in_plane.max(1)))
        .for_each(|(out, plane)| average_plane(plane, g, out));
    out
}

fn average_plane(plane: &[f32], g: &Pool2dGeometry, out: &mut [f32]) {
    let divisor = (g.kernel * g.kernel) as f32;
    for oy in 0..g.out_h {
        for ox in 0..g.out_w {
            let window = input_window(g, oy, ox);
            let sum = sum_over(window, |iy, ix| plane[iy * g.in_w + ix]);
            out[oy * g.out_w + ox] = sum / divisor;
        }
    }
}

/// Average-pooling backward as a gather, every (n, c) plane in parallel: each input pixel sums
/// `dy / kernel²` over the windows that cover it (the same order as the CUDA kernel, and each
/// share divided before adding, as PyTorch does).
pub fn avg_pool2d_backward(grad_out: &[f32], g: &Pool2dGeometry) -> Vec<f32> {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let divisor = (g.kernel * g.kernel) as f32;
    let mut dx = vec![0.0; g.planes() * in_plane];
    dx.par_chunks_mut(in_plane.max(1))
        .zip(grad_out.par_chunks(out_plane.max(1)))
        .for_each(|(dx, dy)| {
            for iy in 0..g.in_h {
                for ix in 0..g.in_w {
                    let outputs = covering_outputs(g, iy, ix);
                    dx[iy * g.in_w + ix] =
                        sum_over(outputs, |oy, ox| dy[oy * g.out_w + ox] / divisor);
                }
            }
        });
    dx
}

/// Reference forward: each output is the sum of its window's pixels over kernel²; a padded
/// position adds 0.
pub fn avg_pool2d_naive(x: &[f32], g: &Pool2dGeometry) -> Vec<f32> {
    let mut out = vec![0.0; g.planes() * g.out_h * g.out_w];
    for_each_tap(g, |o, input| out[o] += x[input]);
    let divisor = (g.kernel * g.kernel) as f32;
    out.iter_mut().for_each(|sum| *sum /= divisor);
    out
}

/// Reference backward: the derivative read off the forward, as a scatter. Each output is
/// `Σ window / kernel²`, so it hands `dy / kernel²` to every input of its window.
pub fn avg_pool2d_backward_naive(grad_out: &[f32], g: &Pool2dGeometry) -> Vec<f32> {
    let mut dx = vec![0.0; g.planes() * g.in_h * g.in_w];
    let divisor = (g.kernel * g.kernel) as f32;
    for_each_tap(g, |out, input| dx[input] += grad_out[out] / divisor);
    dx
}

/// Adaptive average-pooling forward over every (n, c) plane in parallel: output `(oy, ox)` is
/// the mean of its window (`AdaptivePool2dGeometry::window` along each axis), divided by that
/// window's own size. Windows of different outputs may differ in size and share a row or column.
pub fn adaptive_avg_pool2d(x: &[f32], g: &AdaptivePool2dGeometry) -> Vec<f32> {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut out = vec![0.0; g.planes() * out_plane];
    out.par_chunks_mut(out_plane.max(1))
        .zip(x.par_chunks(in_plane.max(1)))
        .for_each(|(out, plane)| {
            for oy in 0..g.out_h {
                let rows = AdaptivePool2dGeometry::window(oy, g.in_h, g.out_h);
                for ox in 0..g.out_w {
                    let cols = AdaptivePool2dGeometry::window(ox, g.in_w, g.out_w);
                    let mut sum = 0.0;
                    for iy in rows.clone() {
                        for ix in cols.clone() {
                            sum += plane[iy * g.in_w + ix];
                        }
                    }
                    out[oy * g.out_w + ox] = sum / (rows.len() * cols.len()) as f32;
                }
            }
        });
    out
}

/// Adaptive average-pooling backward as a gather, every (n, c) plane in parallel: each input
/// pixel sums `dy / window size` over the windows that contain it (found by
/// `AdaptivePool2dGeometry::covering_outputs`, in the CUDA kernel's order).
pub fn adaptive_avg_pool2d_backward(grad_out: &[f32], g: &AdaptivePool2dGeometry) -> Vec<f32> {
    let (in_plane, out_plane) = (g.in_h * g.in_w, g.out_h * g.out_w);
    let mut dx = vec![0.0; g.planes() * in_plane];
    dx.par_chunks_mut(in_plane.max(1))
        .zip(grad_out.par_chunks(out_plane.max(1)))
        .for_each(|(dx, dy)| {
            for iy in 0..g.in_h {
                let rows = AdaptivePool2dGeometry::covering_outputs(iy, g.in_h, g.out_h);
                for ix in 0..g.in_w {
                    let cols = AdaptivePool2dGeometry::covering_outputs(ix, g.in_w, g.out_w);
                    let mut sum = 0.0;
                    for oy in rows.clone() {
                        let height = AdaptivePool2dGeometry::window(oy, g.in_h, g.out_h).len();
                        for ox in cols.clone() {
                            let width = AdaptivePool2dGeometry::window(ox, g.in_w, g.out_w).len();
                            sum += dy[oy * g.out_w + ox] / (height * width) as f32;
                        }
                    }
                    dx[iy * g.in_w + ix] = sum;
                }
            }
        });
    dx
}

/// Reference forward: the definition written out, window bounds by floor and ceil of the
/// fractions `i·H/out` in f64 (not the integer formulas of the fast kernel).
pub fn adaptive_avg_pool2d_naive(x: &[f32], g: &AdaptivePool2dGeometry) -> Vec<f32> {
    let bounds = |i: usize, input: usize, outputs: usize| {
        let start = (i as f64 * input as f64 / outputs as f64).floor() as usize;
        let end = ((i + 1) as f64 * input as f64 / outputs as f64).ceil() as usize;
        (start, end)
    };
    let mut out = Vec::with_capacity(g.planes() * g.out_h * g.out_w);
    for plane in 0..g.planes() {
        for oy in 0..g.out_h {
            let (y0, y1) = bounds(oy, g.in_h, g.out_h);
            for ox in 0..g.out_w {
                let (x0, x1) = bounds(ox, g.in_w, g.out_w);
                let mut sum = 0.0;
                for iy in y0..y1 {
                    for ix in x0..x1 {
                        sum += x[(plane * g.in_h + iy) * g.in_w + ix];
                    }
                }
                out.push(sum / ((y1 - y0) * (x1 - x0)) as f32);
            }
        }
    }
    out
}

/// Reference backward, as a scatter: each output hands `dy / window size` to every input of its
/// window.
pub fn adaptive_avg_pool2d_backward_naive(
    grad_out: &[f32],
    g: &AdaptivePool2dGeometry,
) -> Vec<f32> {
    let mut dx = vec![0.0; g.planes() * g.in_h * g.in_w];
    let mut dy = grad_out.iter();
    for plane in 0..g.planes() {
        for oy in 0..g.out_h {
            let rows = AdaptivePool2dGeometry::window(oy, g.in_h, g.out_h);
            for ox in 0..g.out_w {
                let cols = AdaptivePool2dGeometry::window(ox, g.in_w, g.out_w);
                let share =
                    dy.next().expect("one gradient per output") / (rows.len() * cols.len()) as f32;
                for iy in rows.clone() {
                    for ix in cols.clone() {
                        dx[(plane * g.in_h + iy) * g.in_w + ix] += share;
                    }
                }
            }
        }
    }
    dx
}
