//! Tensor operations against ndarray, used here as a readable reference implementation.

use ndarray::{ArrayD, Axis, IxDyn};
use tensor::{Rng, Tensor};

fn random(shape: &[usize], seed: u64) -> Tensor {
    Tensor::rand_uniform(shape, -2.0, 2.0, &mut Rng::new(seed))
}

#[track_caller]
fn assert_close(actual: &Tensor, expected: &ArrayD<f32>) {
    assert_eq!(actual.dims(), expected.shape(), "shape");
    for (a, e) in actual.to_vec().iter().zip(expected.iter()) {
        assert!((a - e).abs() <= 1e-5 * (1.0 + e.abs()), "{a} vs {e}");
    }
}

#[test]
fn ndarray_round_trip_keeps_values_and_shape() {
    let t = random(&[2, 3, 4], 1);
    assert_eq!(Tensor::from_ndarray(&t.to_ndarray()).to_vec(), t.to_vec());
    // A non-contiguous (transposed) array converts in logical order.
    let transposed = t.to_ndarray().permuted_axes(IxDyn(&[2, 0, 1]));
    assert_close(&Tensor::from(&transposed), &transposed);
}

#[test]
fn permute_and_transpose_match_ndarray() {
    let t = random(&[2, 3, 4, 5], 2);
    for axes in [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 3, 1], [1, 0, 3, 2]] {
        let expected = t
            .to_ndarray()
            .permuted_axes(IxDyn(&axes))
            .as_standard_layout()
            .into_owned();
        assert_close(&t.permute(&axes), &expected);
    }
    let mut expected = t.to_ndarray();
    expected.swap_axes(1, 3);
    assert_close(
        &t.transpose(1, 3),
        &expected.as_standard_layout().into_owned(),
    );
}

#[test]
fn reshape_shares_storage_and_keeps_order() {
    let t = random(&[2, 6], 3);
    let r = t.reshape([3, 4]);
    assert_eq!(r.dims(), &[3, 4]);
    assert_eq!(r.to_vec(), t.to_vec());
}

#[test]
fn reductions_match_ndarray() {
    let t = random(&[3, 4, 5], 4);
    let a = t.to_ndarray();
    assert!((t.sum().item() - a.sum()).abs() < 1e-4);
    assert!((t.mean().item() - a.mean().unwrap()).abs() < 1e-5);
    let max = a.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    assert_eq!(t.max().item(), max);
    let flat: Vec<f32> = a.iter().copied().collect();
    assert_eq!(flat[t.argmax().to_vec()[0] as usize], max);
    for axis in 0..3 {
        assert_close(&t.sum_axis(axis, false), &a.sum_axis(Axis(axis)));
        assert_close(
            &t.mean_axis(axis, true),
            &a.mean_axis(Axis(axis)).unwrap().insert_axis(Axis(axis)),
        );
        let max_ref = a.map_axis(Axis(axis), |lane| {
            lane.iter().copied().fold(f32::NEG_INFINITY, f32::max)
        });
        assert_close(&t.max_axis(axis, false), &max_ref);
        let argmax = t.argmax_axis(axis).to_vec();
        let picked: Vec<f32> = a
            .lanes(Axis(axis))
            .into_iter()
            .zip(&argmax)
            .map(|(lane, &k)| lane[k as usize])
            .collect();
        assert_eq!(picked, max_ref.iter().copied().collect::<Vec<_>>());
    }
}

#[test]
fn elementwise_functions_match_ndarray() {
    let t = random(&[4, 5], 5);
    let a = t.to_ndarray();
    let positive = t.mul(&t).add_scalar(0.5);
    let p = positive.to_ndarray();
    assert_close(&t.exp(), &a.mapv(f32::exp));
    assert_close(&positive.log(), &p.mapv(f32::ln));
    assert_close(&positive.sqrt(), &p.mapv(f32::sqrt));
    assert_close(&positive.powf(1.7), &p.mapv(|v| v.powf(1.7)));
    assert_close(&t.relu(), &a.mapv(|v| v.max(0.0)));
    assert_close(&t.neg(), &a.mapv(|v| -v));
    assert_close(
        &t.mul_scalar(3.0).add_scalar(-1.0),
        &a.mapv(|v| 3.0 * v - 1.0),
    );
    let row = random(&[5], 6);
    assert_close(&(&t + &row), &(&a + &row.to_ndarray()));
    assert_close(&(&t * &row), &(&a * &row.to_ndarray()));
}

#[test]
fn softmax_matches_its_definition() {
    let t = random(&[3, 4, 5], 7);
    let a = t.to_ndarray();
    for axis in 0..3 {
        let exp = a.mapv(f32::exp);
        let expected = &exp / &exp.sum_axis(Axis(axis)).insert_axis(Axis(axis));
        assert_close(&t.softmax(axis), &expected);
        assert_close(&t.log_softmax(axis), &expected.mapv(f32::ln));
    }
}

#[test]
fn log_softmax_and_cross_entropy_survive_huge_logits() {
    let logits = Tensor::from_vec(vec![1000.0, 0.0, -1000.0, 10.0], [2, 2]);
    let labels = tensor::Indices::from_vec(vec![0, 1], [2]);
    let lsm = logits.log_softmax(1).to_vec();
    assert!(lsm.iter().all(|v| v.is_finite()), "{lsm:?}");
    // Row 0: log softmax = [0, −1000]; row 1: [−1010, 0] → loss = (0 + 0) / 2.
    assert!(logits.cross_entropy(&labels).item().abs() < 1e-6);
}

#[test]
fn batched_matmul_matches_ndarray() {
    let a = random(&[3, 4, 5], 8);
    let b = random(&[3, 5, 2], 9);
    let c = a.matmul(&b);
    for i in 0..3 {
        let ai = a
            .to_ndarray()
            .index_axis(Axis(0), i)
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
            .to_owned();
        let bi = b
            .to_ndarray()
            .index_axis(Axis(0), i)
            .into_dimensionality::<ndarray::Ix2>()
            .unwrap()
            .to_owned();
        let expected = ai.dot(&bi).into_dyn();
        let ci = Tensor::from_vec(c.to_vec()[i * 8..(i + 1) * 8].to_vec(), [4, 2]);
        assert_close(&ci, &expected);
    }
}

#[test]
fn moving_to_an_unavailable_device_is_an_error_that_says_what_to_do() {
    let t = Tensor::ones([2]);
    assert_eq!(t.to(tensor::Device::Cpu).unwrap().to_vec(), vec![1.0, 1.0]);
    // No machine has a thousand GPUs: an error with or without the `cuda` feature, GPU or emulator.
    let error = t.to(tensor::Device::Cuda(1000)).unwrap_err().to_string();
    assert!(error.contains("--device cpu"), "{error}");
}

#[test]
fn gather_images_picks_scales_and_resizes_like_the_separate_ops() {
    let bytes: Vec<u8> = (0..3 * 5 * 6).map(|i| (i * 37 % 256) as u8).collect();
    let pixels = tensor::PackedBytes::new(&bytes);
    assert_eq!(pixels.len(), bytes.len());
    assert_eq!(pixels.to_bytes(), bytes);
    let picks = tensor::Indices::from_vec(vec![2, 0, 2], [3]);
    let batch = Tensor::gather_images(&pixels, &picks, 5, 6, 9);
    let by_hand: Vec<f32> = [2usize, 0, 2]
        .iter()
        .flat_map(|&i| {
            bytes[i * 30..(i + 1) * 30]
                .iter()
                .map(|&b| b as f32 / 255.0)
        })
        .collect();
    let expected = Tensor::from_vec(by_hand, [3, 1, 5, 6]).resize_bilinear(9, 9);
    assert_close(&batch, &expected.to_ndarray());
}

#[test]
#[should_panic(expected = "gather_images: pick 3, but the dataset of 90 bytes holds 3 images")]
fn gather_images_refuses_a_pick_past_the_dataset() {
    // On a GPU the kernel would read past the buffer: the op checks before launching it.
    let pixels = tensor::PackedBytes::new(&[7; 3 * 5 * 6]);
    let picks = tensor::Indices::from_vec(vec![0, 3], [2]);
    Tensor::gather_images(&pixels, &picks, 5, 6, 9);
}

#[test]
fn relu_keeps_nan_as_pytorch_does() {
    // f32::max(NaN, 0) is 0: a ReLU built on it would hide broken weights from every later layer.
    let x = Tensor::from_vec(vec![f32::NAN, -1.0, 2.0, 0.0], [4]);
    let relu = x.relu().to_vec();
    assert!(relu[0].is_nan());
    assert_eq!(relu[1..], [0.0, 2.0, 0.0]);
    let fused = x
        .reshape([1, 4, 1])
        .bias_relu(&Tensor::zeros([4]), 1)
        .to_vec();
    assert!(fused[0].is_nan());
    assert_eq!(fused[1..], [0.0, 2.0, 0.0]);
}

/// The in-place forms write over their operand only when no other tensor shares its buffer, and
/// give the same values as the forms that allocate.
#[test]
fn in_place_forms_match_and_leave_shared_buffers_alone() {
    let x = Tensor::from_vec(vec![-1.5, 0.5, 2.0, -0.25, 3.0, -2.0], [1, 2, 3]);
    let bias = Tensor::from_vec(vec![0.5, -1.0], [2]);
    let expected = x.bias_relu(&bias, 1).to_vec();
    let shared = x.clone();
    assert_eq!(shared.bias_relu_into(&bias, 1).to_vec(), expected);
    assert_eq!(
        x.to_vec(),
        [-1.5, 0.5, 2.0, -0.25, 3.0, -2.0],
        "x is untouched"
    );
    let unique = Tensor::from_vec(x.to_vec(), [1, 2, 3]);
    assert_eq!(unique.bias_relu_into(&bias, 1).to_vec(), expected);

    let g = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0, 5.0, f32::NAN], [1, 2, 3]);
    let kept = vec![0.0, 2.0, 3.0, 0.0, 5.0, 0.0];
    assert_eq!(
        g.keep_where_positive(&x).to_vec(),
        kept,
        "NaN where off gives 0"
    );
    let handle = g.clone();
    assert_eq!(handle.keep_where_positive_into(&x).to_vec(), kept);
    assert_eq!(g.to_vec()[..5], [1.0, 2.0, 3.0, 4.0, 5.0], "g is untouched");
    let unique = Tensor::from_vec(g.to_vec(), [1, 2, 3]);
    assert_eq!(unique.keep_where_positive_into(&x).to_vec(), kept);
}
