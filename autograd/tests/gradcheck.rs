//! Finite-difference gradient checks for every differentiable op.
//!
//! For an op f and inputs x, the check draws a fixed random tensor R shaped like f(x) and
//! compares the tape's gradient of `L = Σ f(x)·R` with central differences
//! `(L(x + εeⱼ) − L(x − εeⱼ)) / 2ε` for every input element j. L is accumulated in f64 so the
//! difference is not drowned in rounding.

use autograd::{backward, Tape, Var};
use tensor::{Indices, Rng, Tensor};

const EPS: f32 = 1e-2;

/// Compares analytic and numeric gradients of `f` for every element of every input.
#[track_caller]
fn check(inputs: &[Tensor], f: impl Fn(&[Var]) -> Var) {
    check_with(inputs, 2e-2, f)
}

#[track_caller]
fn check_with(inputs: &[Tensor], tolerance: f32, f: impl Fn(&[Var]) -> Var) {
    let tape = Tape::new();
    let leaves: Vec<Var> = inputs.iter().map(|x| tape.leaf(x.clone())).collect();
    let out = f(&leaves);
    let projection = Tensor::rand_uniform(out.shape().clone(), -1.0, 1.0, &mut Rng::new(99));
    let loss = out.mul(&Var::constant(projection.clone())).sum();
    let grads = backward(&loss);

    // The loss of the same function evaluated without a tape, in f64.
    let loss_at = |values: &[Tensor]| -> f64 {
        let vars: Vec<Var> = values.iter().cloned().map(Var::constant).collect();
        let out = f(&vars).into_value().to_vec();
        out.iter()
            .zip(projection.to_vec())
            .map(|(&o, r)| o as f64 * r as f64)
            .sum()
    };

    for (i, leaf) in leaves.iter().enumerate() {
        let analytic = grads.get_or_zeros(leaf).to_vec();
        assert_eq!(
            analytic.len(),
            inputs[i].numel(),
            "gradient of input {i} has the wrong size"
        );
        for j in 0..inputs[i].numel() {
            let nudged = |delta: f32| {
                let mut values = inputs.to_vec();
                let mut data = values[i].to_vec();
                data[j] += delta;
                values[i] = Tensor::from_vec(data, inputs[i].shape().clone());
                loss_at(&values)
            };
            let numeric = ((nudged(EPS) - nudged(-EPS)) / (2.0 * EPS as f64)) as f32;
            let error = (numeric - analytic[j]).abs();
            assert!(
                error <= tolerance * (1.0 + numeric.abs()),
                "input {i}, element {j}: analytic {} vs numeric {numeric}",
                analytic[j]
            );
        }
    }
}

fn uniform(shape: &[usize], low: f32, high: f32, seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, low, high, &mut Rng::new(seed))
}

/// Values whose magnitude stays away from 0 (for ReLU's kink).
fn away_from_zero(shape: &[usize], seed: u64) -> Tensor {
    let t = uniform(shape, 0.1, 1.0, seed);
    let signs = uniform(shape, -1.0, 1.0, seed + 1);
    let values = t
        .to_vec()
        .iter()
        .zip(signs.to_vec())
        .map(|(v, s)| v * s.signum())
        .collect();
    Tensor::from_vec(values, shape)
}

/// Distinct values at least 0.05 apart in shuffled order: a nudge of ε never changes which
/// element is the maximum, so max and max-pool are differentiable at these points.
fn distinct(shape: &[usize], seed: u64) -> Tensor {
    let n: usize = shape.iter().product();
    let mut values: Vec<f32> = (0..n).map(|i| i as f32 * 0.05 - n as f32 * 0.025).collect();
    Rng::new(seed).shuffle(&mut values);
    Tensor::from_vec(values, shape)
}

#[test]
fn add_with_broadcasting() {
    check(
        &[
            uniform(&[2, 3, 4], -1.0, 1.0, 1),
            uniform(&[3, 1], -1.0, 1.0, 2),
        ],
        |v| v[0].add(&v[1]),
    );
    check(
        &[
            uniform(&[4], -1.0, 1.0, 3),
            uniform(&[2, 1, 4], -1.0, 1.0, 4),
        ],
        |v| v[0].add(&v[1]),
    );
}

#[test]
fn sub_with_broadcasting() {
    check(
        &[
            uniform(&[3, 1], -1.0, 1.0, 5),
            uniform(&[2, 3, 4], -1.0, 1.0, 6),
        ],
        |v| v[0].sub(&v[1]),
    );
}

#[test]
fn mul_with_broadcasting() {
    check(
        &[
            uniform(&[2, 3, 4], -1.0, 1.0, 7),
            uniform(&[4], -1.0, 1.0, 8),
        ],
        |v| v[0].mul(&v[1]),
    );
    check(
        &[
            uniform(&[1, 3, 1], -1.0, 1.0, 9),
            uniform(&[2, 1, 5], -1.0, 1.0, 10),
        ],
        |v| v[0].mul(&v[1]),
    );
}

#[test]
fn div_with_broadcasting() {
    check(
        &[uniform(&[2, 3], -1.0, 1.0, 11), uniform(&[3], 0.5, 2.0, 12)],
        |v| v[0].div(&v[1]),
    );
}

#[test]
fn scalar_ops() {
    let x = uniform(&[3, 4], -1.0, 1.0, 13);
    check(std::slice::from_ref(&x), |v| v[0].add_scalar(0.7));
    check(std::slice::from_ref(&x), |v| v[0].mul_scalar(-2.5));
    check(std::slice::from_ref(&x), |v| v[0].neg());
}

#[test]
fn unary_functions() {
    let x = uniform(&[3, 5], -1.0, 1.0, 14);
    let positive = uniform(&[3, 5], 0.5, 2.0, 15);
    check(&[x], |v| v[0].exp());
    check(std::slice::from_ref(&positive), |v| v[0].log());
    check(std::slice::from_ref(&positive), |v| v[0].sqrt());
    check(std::slice::from_ref(&positive), |v| v[0].powf(2.5));
    check(&[positive], |v| v[0].powf(-1.5));
}

#[test]
fn relu() {
    check(&[away_from_zero(&[4, 6], 16)], |v| v[0].relu());
}

#[test]
fn sigmoid_including_large_magnitudes() {
    check(&[uniform(&[3, 5], -4.0, 4.0, 90)], |v| v[0].sigmoid());
    // Far out on both sides the slope is tiny but must still be right (and finite): e⁻ˣ of a
    // large x must not overflow on the way.
    let large = Tensor::from_vec(vec![-90.0, -30.0, -12.0, 12.0, 30.0, 90.0], [6]);
    check(std::slice::from_ref(&large), |v| v[0].sigmoid());
    let y = Var::constant(large).sigmoid().into_value().to_vec();
    assert!(y.iter().all(|v| (0.0..=1.0).contains(v)), "{y:?}");
    assert!(
        y[0] > 0.0,
        "σ(−90) ≈ 8e−40 is a subnormal f32, not 0: {}",
        y[0]
    );
    assert_eq!(y[5], 1.0);
}

#[test]
fn fused_bias_relu() {
    // Inputs and biases chosen so that x + b stays away from 0 (ReLU's kink).
    let x = away_from_zero(&[2, 3, 4, 5], 80).mul_scalar(2.0);
    let b = Tensor::from_vec(vec![0.05, -0.05, 0.02], [3]);
    check(&[x, b], |v| v[0].clone().bias_relu(&v[1], 1));
    let x = away_from_zero(&[4, 6], 81).mul_scalar(2.0);
    let b = Tensor::from_vec(vec![0.03, -0.02, 0.01, 0.04, -0.03, 0.02], [6]);
    check(&[x, b], |v| v[0].clone().bias_relu(&v[1], 1));
    // x·w is a fresh tensor: bias_relu writes over it (in place), as after a layer.
    let x = away_from_zero(&[2, 3, 2, 2], 86).mul_scalar(2.0);
    let w = uniform(&[2, 3, 2, 2], 0.5, 1.5, 87);
    let b = Tensor::from_vec(vec![0.02, -0.03, 0.01], [3]);
    check(&[x, w, b], |v| v[0].mul(&v[1]).bias_relu(&v[2], 1));
}

/// ReLU's backward writes over the gradient it is handed when nothing else holds it: here one
/// gradient feeds two ReLUs (through `add`) and another is reused after a ReLU consumed a
/// handle on it, so a write in the wrong place would change the other's gradient.
#[test]
fn relu_backward_in_place_leaves_shared_gradients_alone() {
    let a = away_from_zero(&[3, 4], 82);
    let b = away_from_zero(&[3, 4], 83);
    let w = uniform(&[3, 4], 0.5, 1.5, 84);
    check(&[a, b, w], |v| {
        let (ra, rb) = (v[0].relu(), v[1].relu());
        let both = ra.add(&rb).mul(&v[2]);
        // `ra` again: its gradient sums two contributions, one shared with `rb`'s.
        both.add(&ra.mul(&ra)).add(&v[0].mul(&v[1]))
    });
    let x = away_from_zero(&[2, 3, 2, 2], 85).mul_scalar(2.0);
    let b = Tensor::from_vec(vec![0.05, -0.05, 0.02], [3]);
    check(&[x, b], |v| {
        let y = v[0].clone().bias_relu(&v[1], 1);
        y.add(&y.relu()).mul(&v[0])
    });
}

#[test]
fn dropout() {
    let x = uniform(&[5, 8], -1.0, 1.0, 17);
    // The mask depends only on the seed, so every evaluation of f sees the same mask.
    check(std::slice::from_ref(&x), |v| v[0].dropout(0.5, 1234));
    check(&[x], |v| v[0].dropout(0.0, 1234));
}

#[test]
fn sums_and_means() {
    let x = uniform(&[2, 3, 4], -1.0, 1.0, 18);
    check(std::slice::from_ref(&x), |v| v[0].sum());
    check(std::slice::from_ref(&x), |v| v[0].mean());
    for axis in 0..3 {
        check(std::slice::from_ref(&x), |v| v[0].sum_axis(axis, false));
        check(std::slice::from_ref(&x), |v| v[0].mean_axis(axis, true));
    }
}

#[test]
fn maxima() {
    let x = distinct(&[3, 4, 5], 19);
    check(std::slice::from_ref(&x), |v| v[0].max());
    for axis in 0..3 {
        check(std::slice::from_ref(&x), |v| v[0].max_axis(axis, false));
        check(std::slice::from_ref(&x), |v| v[0].max_axis(axis, true));
    }
}

#[test]
fn reshape_permute_transpose() {
    let x = uniform(&[2, 3, 4], -1.0, 1.0, 20);
    check(std::slice::from_ref(&x), |v| v[0].reshape([6, 4]));
    check(std::slice::from_ref(&x), |v| v[0].flatten_from_1());
    check(std::slice::from_ref(&x), |v| v[0].permute(&[2, 0, 1]));
    check(&[x], |v| v[0].transpose(0, 2));
}

#[test]
fn cat_along_axes_0_1_and_3_with_parts_of_different_sizes() {
    for (axis, sizes) in [(0, [1, 3, 2]), (1, [2, 1, 3]), (3, [3, 2, 1])] {
        let parts: Vec<Tensor> = sizes
            .iter()
            .enumerate()
            .map(|(p, &size)| {
                let mut dims = vec![2, 3, 2, 4];
                dims[axis] = size;
                uniform(&dims, -1.0, 1.0, 60 + p as u64)
            })
            .collect();
        check(&parts, |v| Var::cat(v, axis));
    }
    // A part that contributes nothing along the axis gets an empty gradient.
    let parts = [
        uniform(&[2, 3], -1.0, 1.0, 64),
        Tensor::zeros([2, 0]),
        uniform(&[2, 1], -1.0, 1.0, 65),
    ];
    check(&parts, |v| Var::cat(v, 1));
}

#[test]
fn cat_of_a_value_with_itself() {
    // Both copies send their slab of the gradient back to the same input, which adds them.
    check(&[uniform(&[2, 3], -1.0, 1.0, 66)], |v| {
        Var::cat(&[v[0].clone(), v[0].mul_scalar(2.0)], 0)
    });
}

#[test]
fn narrow_along_each_axis() {
    let x = uniform(&[3, 4, 5], -1.0, 1.0, 67);
    check(std::slice::from_ref(&x), |v| v[0].narrow(0, 1, 2));
    check(std::slice::from_ref(&x), |v| v[0].narrow(1, 0, 3));
    check(std::slice::from_ref(&x), |v| v[0].narrow(2, 2, 3));
    check(&[x], |v| v[0].narrow(2, 4, 1));
}

#[test]
fn matmul_with_every_transpose_flag() {
    let (m, k, n) = (3, 4, 5);
    for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
        let a_shape = if ta { [k, m] } else { [m, k] };
        let b_shape = if tb { [n, k] } else { [k, n] };
        let inputs = [
            uniform(&a_shape, -1.0, 1.0, 21),
            uniform(&b_shape, -1.0, 1.0, 22),
        ];
        check(&inputs, |v| v[0].matmul_t(&v[1], ta, tb));
    }
}

#[test]
fn batched_matmul() {
    let inputs = [
        uniform(&[2, 3, 4], -1.0, 1.0, 23),
        uniform(&[2, 4, 2], -1.0, 1.0, 24),
    ];
    check(&inputs, |v| v[0].matmul(&v[1]));
    let inputs = [
        uniform(&[2, 4, 3], -1.0, 1.0, 25),
        uniform(&[2, 2, 4], -1.0, 1.0, 26),
    ];
    check(&inputs, |v| v[0].matmul_t(&v[1], true, true));
}

/// conv2d's gradients for input, weight and bias.
fn check_conv(x: &[usize], w: &[usize], stride: usize, padding: usize, seed: u64) {
    let inputs = [
        uniform(x, -1.0, 1.0, seed),
        uniform(w, -0.5, 0.5, seed + 1),
        uniform(&[w[0]], -0.5, 0.5, seed + 2),
    ];
    check(&inputs, |v| {
        v[0].conv2d(&v[1], Some(&v[2]), stride, padding)
    });
}

#[test]
fn conv2d_kernel_11_stride_4() {
    // AlexNet's conv1 geometry: the output is 4x4, windows overlap by 7 pixels.
    check_conv(&[2, 2, 23, 23], &[3, 2, 11, 11], 4, 0, 30);
}

#[test]
fn conv2d_kernel_5_padding_2() {
    check_conv(&[2, 3, 7, 6], &[2, 3, 5, 5], 1, 2, 31);
}

#[test]
fn conv2d_kernel_3_padding_1_batch_1_without_bias() {
    let inputs = [
        uniform(&[1, 3, 5, 5], -1.0, 1.0, 32),
        uniform(&[4, 3, 3, 3], -0.5, 0.5, 33),
    ];
    check(&inputs, |v| v[0].conv2d(&v[1], None, 1, 1));
}

#[test]
fn conv2d_stride_2_with_padding() {
    check_conv(&[1, 2, 8, 7], &[2, 2, 3, 3], 2, 1, 34);
}

#[test]
fn max_pool2d_kernel_3_stride_2_overlapping() {
    // 9x9 input: windows start at 0, 2, 4, 6, so columns 2, 4, 6 belong to two windows each.
    check(&[distinct(&[2, 2, 9, 9], 40)], |v| v[0].max_pool2d(3, 2, 0));
}

/// `relu_max_pool2d` is `max_pool2d(relu(x))`: the same values and the same gradient as the
/// two ops one after the other, ties between zeros (windows with no positive value) included.
#[test]
fn relu_max_pool2d_is_max_pool_of_relu() {
    // Half a step off the grid of `distinct`: no value within 0.025 of ReLU's kink.
    let off_grid = |shape: &[usize], seed| distinct(shape, seed).add_scalar(0.025);
    check(&[off_grid(&[2, 2, 9, 9], 43)], |v| {
        v[0].relu_max_pool2d(3, 2, 0)
    });
    check(&[off_grid(&[1, 3, 8, 7], 44)], |v| {
        v[0].relu_max_pool2d(3, 2, 1)
    });
    let x = Tensor::from_vec(
        vec![
            -1.0,
            -2.0,
            0.5,
            3.0, //
            -0.5,
            -3.0,
            2.0,
            -1.0, //
            0.0,
            -1.0,
            f32::NAN,
            1.0, //
            -2.0,
            -4.0,
            1.5,
            -0.5,
        ],
        [1, 1, 4, 4],
    );
    let g = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [1, 1, 2, 2]);
    let results = [true, false].map(|fused| {
        let tape = Tape::new();
        let leaf = tape.leaf(x.clone());
        let y = if fused {
            leaf.relu_max_pool2d(2, 2, 0)
        } else {
            leaf.relu().max_pool2d(2, 2, 0)
        };
        let value = y.value().to_vec();
        let grad = backward(&y.mul(&Var::constant(g.clone())).sum());
        (value, grad.get(&leaf).unwrap().to_vec())
    });
    let [(fused_y, fused_dx), (y, dx)] = results;
    assert_eq!(
        format!("{fused_y:?}"),
        format!("{y:?}"),
        "values, NaN included"
    );
    assert_eq!(fused_dx, dx);
}

#[test]
fn max_pool2d_with_padding_and_odd_sizes() {
    check(&[distinct(&[1, 3, 8, 7], 41)], |v| v[0].max_pool2d(3, 2, 1));
    check(&[distinct(&[2, 1, 6, 6], 42)], |v| v[0].max_pool2d(2, 2, 0));
}

#[test]
fn max_pool2d_gradient_accumulates_where_windows_share_the_maximum() {
    // A single large pixel at (2, 2) is the maximum of all four overlapping 3x3 windows.
    let mut values = vec![0.0; 25];
    values[2 * 5 + 2] = 10.0;
    let tape = Tape::new();
    let x = tape.leaf(Tensor::from_vec(values, [1, 1, 5, 5]));
    let y = x.max_pool2d(3, 2, 0);
    assert_eq!(y.value().to_vec(), vec![10.0; 4]);
    let grads = backward(&y.sum());
    let grad = grads.get(&x).unwrap().to_vec();
    assert_eq!(grad[12], 4.0);
    assert_eq!(grad.iter().sum::<f32>(), 4.0);
}

#[test]
fn avg_pool2d_kernel_3_stride_2_overlapping() {
    // 9x9 input: columns 2, 4, 6 belong to two windows each, and get a share from both.
    check(&[uniform(&[2, 2, 9, 9], -1.0, 1.0, 43)], |v| {
        v[0].avg_pool2d(3, 2, 0)
    });
}

#[test]
fn avg_pool2d_with_padding_and_odd_sizes() {
    check(&[uniform(&[1, 3, 8, 7], -1.0, 1.0, 44)], |v| {
        v[0].avg_pool2d(3, 2, 1)
    });
    check(&[uniform(&[2, 1, 6, 5], -1.0, 1.0, 45)], |v| {
        v[0].avg_pool2d(2, 2, 0)
    });
    check(&[uniform(&[1, 2, 5, 5], -1.0, 1.0, 46)], |v| {
        v[0].avg_pool2d(3, 1, 1)
    });
}

#[test]
fn adaptive_avg_pool2d_with_sizes_that_do_not_divide() {
    // 7x5 → 3x2: rows 0..3, 2..5, 4..7 (windows share rows 2 and 4), columns 0..3, 2..5.
    let x = uniform(&[2, 2, 7, 5], -1.0, 1.0, 47);
    check(std::slice::from_ref(&x), |v| v[0].adaptive_avg_pool2d(3, 2));
    // Global average pooling.
    check(std::slice::from_ref(&x), |v| v[0].adaptive_avg_pool2d(1, 1));
    // A larger output than input: windows of one pixel, repeated.
    check(&[uniform(&[1, 2, 2, 3], -1.0, 1.0, 48)], |v| {
        v[0].adaptive_avg_pool2d(5, 4)
    });
}

#[test]
fn softmax_and_log_softmax() {
    let x = uniform(&[3, 5], -2.0, 2.0, 50);
    check(std::slice::from_ref(&x), |v| v[0].softmax(1));
    check(std::slice::from_ref(&x), |v| v[0].softmax(0));
    check(std::slice::from_ref(&x), |v| v[0].log_softmax(1));
    check(&[uniform(&[2, 3, 4], -2.0, 2.0, 51)], |v| {
        v[0].log_softmax(1)
    });
}

#[test]
fn cross_entropy() {
    let labels = Indices::from_vec(vec![3, 0, 9, 3, 5], [5]);
    check(&[uniform(&[5, 10], -3.0, 3.0, 52)], |v| {
        v[0].cross_entropy(&labels)
    });
}

#[test]
fn a_value_used_twice_accumulates_both_paths() {
    // f(x) = x·x + exp(x) uses x three times; its derivative is 2x + eˣ.
    check(&[uniform(&[4], -1.0, 1.0, 60)], |v| {
        v[0].mul(&v[0]).add(&v[0].exp())
    });
}

#[test]
fn a_small_network_end_to_end() {
    // conv → relu → pool → flatten → linear → cross-entropy, all gradients at once.
    let labels = Indices::from_vec(vec![1, 0], [2]);
    let inputs = [
        uniform(&[2, 1, 8, 8], -1.0, 1.0, 70),
        uniform(&[2, 1, 3, 3], -0.5, 0.5, 71),
        uniform(&[2], -0.1, 0.1, 72),
        uniform(&[3, 8], -0.5, 0.5, 73),
        uniform(&[3], -0.1, 0.1, 74),
    ];
    check_with(&inputs, 3e-2, |v| {
        let h = v[0]
            .conv2d(&v[1], Some(&v[2]), 1, 0)
            .relu()
            .max_pool2d(3, 2, 0);
        let logits = h.flatten_from_1().matmul_t(&v[3], false, true).add(&v[4]);
        logits.cross_entropy(&labels)
    });
}
