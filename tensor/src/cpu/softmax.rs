//! Softmax, log-softmax and the fused softmax-cross-entropy on the CPU.
//!
//! All subtract the lane's maximum before exponentiating: `exp(x − max)` never overflows and
//! the result is unchanged, because softmax is invariant to shifting its inputs.

use crate::backend::AxisLayout;

/// The start of every lane (the `len` values along the axis, `inner` apart).
fn lane_starts(l: AxisLayout) -> impl Iterator<Item = usize> {
    (0..l.outer).flat_map(move |o| (0..l.inner).map(move |i| o * l.len * l.inner + i))
}

/// Returns `(max, log Σ exp(values))`, computed stably.
fn max_and_log_sum_exp(values: impl Iterator<Item = f32> + Clone) -> (f32, f32) {
    let max = values.clone().fold(f32::NEG_INFINITY, f32::max);
    let sum: f32 = values.map(|v| (v - max).exp()).sum();
    (max, max + sum.ln())
}

/// Applies `f(x, max, log_sum_exp)` to every element of every lane.
fn per_lane(x: &[f32], l: AxisLayout, f: impl Fn(f32, f32, f32) -> f32) -> Vec<f32> {
    let mut out = vec![0.0; x.len()];
    for start in lane_starts(l) {
        let indices = (0..l.len).map(|k| start + k * l.inner);
        let (max, lse) = max_and_log_sum_exp(indices.clone().map(|k| x[k]));
        indices.for_each(|k| out[k] = f(x[k], max, lse));
    }
    out
}

pub fn log_softmax(x: &[f32], l: AxisLayout) -> Vec<f32> {
    per_lane(x, l, |v, _, lse| v - lse)
}

pub fn softmax(x: &[f32], l: AxisLayout) -> Vec<f32> {
    per_lane(x, l, |v, _, lse| (v - lse).exp())
}

/// Mean over rows of `logsumexp(row) − row[label]`, i.e. `−log softmax(row)[label]`.
pub fn cross_entropy(logits: &[f32], labels: &[u32], rows: usize, classes: usize) -> f32 {
    let mut total = 0.0f64;
    for (row, &label) in logits.chunks(classes).zip(labels).take(rows) {
        let label = checked_label(label, classes);
        let (_, lse) = max_and_log_sum_exp(row.iter().copied());
        total += (lse - row[label]) as f64;
    }
    (total / rows as f64) as f32
}

/// `grad · (softmax(row) − one_hot(label)) / rows`: the whole backward of log-softmax + NLL +
/// mean in one pass, which is why the two are fused.
pub fn cross_entropy_backward(
    logits: &[f32],
    labels: &[u32],
    grad: f32,
    rows: usize,
    classes: usize,
) -> Vec<f32> {
    let mut out = vec![0.0; logits.len()];
    let scale = grad / rows as f32;
    for ((row, out), &label) in logits
        .chunks(classes)
        .zip(out.chunks_mut(classes))
        .zip(labels)
    {
        let label = checked_label(label, classes);
        let (_, lse) = max_and_log_sum_exp(row.iter().copied());
        for (k, (o, &v)) in out.iter_mut().zip(row).enumerate() {
            let target = if k == label { 1.0 } else { 0.0 };
            *o = scale * ((v - lse).exp() - target);
        }
    }
    out
}

fn checked_label(label: u32, classes: usize) -> usize {
    let label = label as usize;
    assert!(
        label < classes,
        "cross_entropy: label {label} is out of range for {classes} classes"
    );
    label
}
