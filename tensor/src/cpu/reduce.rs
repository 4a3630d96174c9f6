//! Reductions along one axis on the CPU (sum, max, argmax) and the scatter that undoes argmax.

use crate::backend::{AxisLayout, ReduceOp};

/// Reduces `x` viewed as `outer × len × inner` along the middle axis.
pub fn reduce(x: &[f32], op: ReduceOp, l: AxisLayout) -> Vec<f32> {
    let mut out = vec![0.0; l.outer * l.inner];
    for o in 0..l.outer {
        let block = &x[o * l.len * l.inner..(o + 1) * l.len * l.inner];
        let acc = &mut out[o * l.inner..(o + 1) * l.inner];
        match op {
            ReduceOp::Sum => {
                // Row by row keeps the inner loop contiguous for any axis.
                for row in block.chunks(l.inner.max(1)) {
                    acc.iter_mut().zip(row).for_each(|(a, &v)| *a += v);
                }
            }
            ReduceOp::Max => {
                acc.fill(f32::NEG_INFINITY);
                for row in block.chunks(l.inner.max(1)) {
                    acc.iter_mut().zip(row).for_each(|(a, &v)| {
                        if v > *a || v.is_nan() {
                            *a = v;
                        }
                    });
                }
            }
        }
    }
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
