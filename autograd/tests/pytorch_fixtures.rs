//! Outputs and gradients against values computed by PyTorch (`scripts/make_fixtures.py` wrote
//! `fixtures/pytorch_ops.safetensors`; rerun it to regenerate).

use autograd::{backward, Tape, Var};
use safetensors::{Dtype, SafeTensors};
use tensor::{Indices, Tensor};

const FIXTURES: &[u8] = include_bytes!("fixtures/pytorch_ops.safetensors");

struct Fixtures<'a>(SafeTensors<'a>);

impl Fixtures<'_> {
    fn load() -> Fixtures<'static> {
        Fixtures(SafeTensors::deserialize(FIXTURES).expect("the fixture file is valid safetensors"))
    }

    fn tensor(&self, name: &str) -> Tensor {
        let view = self
            .0
            .tensor(name)
            .unwrap_or_else(|_| panic!("fixture {name} is missing"));
        assert_eq!(view.dtype(), Dtype::F32, "{name} should be f32");
        let values = view
            .data()
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        Tensor::from_vec(values, view.shape())
    }

    fn indices(&self, name: &str) -> Indices {
        let view = self
            .0
            .tensor(name)
            .unwrap_or_else(|_| panic!("fixture {name} is missing"));
        assert_eq!(view.dtype(), Dtype::I64, "{name} should be i64");
        let values = view
            .data()
            .chunks_exact(8)
            .map(|b| i64::from_le_bytes(b.try_into().unwrap()) as u32)
            .collect();
        Indices::from_vec(values, view.shape())
    }
}

#[track_caller]
fn assert_close(actual: &Tensor, expected: &Tensor, what: &str) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    for (i, (a, e)) in actual.to_vec().iter().zip(expected.to_vec()).enumerate() {
        assert!(
            (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
            "{what}[{i}]: {a} vs PyTorch {e}"
        );
    }
}

/// Runs the op on a tape, seeds the backward pass with PyTorch's `grad_out` (through the
/// loss `Σ out · grad_out`) and returns the output and the gradients of the leaves.
fn run_with_grad_out(
    inputs: &[Tensor],
    grad_out: &Tensor,
    f: impl Fn(&[Var]) -> Var,
) -> (Tensor, Vec<Tensor>) {
    let tape = Tape::new();
    let leaves: Vec<Var> = inputs.iter().map(|t| tape.leaf(t.clone())).collect();
    let out = f(&leaves);
    let loss = out.mul(&Var::constant(grad_out.clone())).sum();
    let grads = backward(&loss);
    let grads = leaves.iter().map(|leaf| grads.get_or_zeros(leaf)).collect();
    (out.into_value(), grads)
}

fn check_conv(name: &str, stride: usize, padding: usize) {
    let f = Fixtures::load();
    let t = |suffix: &str| f.tensor(&format!("{name}.{suffix}"));
    let (out, grads) = run_with_grad_out(&[t("x"), t("w"), t("b")], &t("grad_out"), |v| {
        v[0].conv2d(&v[1], Some(&v[2]), stride, padding)
    });
    assert_close(&out, &t("out"), "output");
    assert_close(&grads[0], &t("grad_x"), "grad_x");
    assert_close(&grads[1], &t("grad_w"), "grad_w");
    assert_close(&grads[2], &t("grad_b"), "grad_b");
}

#[test]
fn conv2d_kernel_11_stride_4_matches_pytorch() {
    check_conv("conv_k11_s4", 4, 0);
}

#[test]
fn conv2d_kernel_5_padding_2_matches_pytorch() {
    check_conv("conv_k5_p2", 1, 2);
}

#[test]
fn conv2d_kernel_3_padding_1_matches_pytorch() {
    check_conv("conv_k3_p1", 1, 1);
}

fn check_pool(name: &str, kernel: usize, stride: usize, padding: usize) {
    let f = Fixtures::load();
    let t = |suffix: &str| f.tensor(&format!("{name}.{suffix}"));
    let (out, grads) = run_with_grad_out(&[t("x")], &t("grad_out"), |v| {
        v[0].max_pool2d(kernel, stride, padding)
    });
    assert_close(&out, &t("out"), "output");
    assert_close(&grads[0], &t("grad_x"), "grad_x");
    let (_, indices) = t("x").max_pool2d(kernel, stride, padding);
    assert_eq!(
        indices,
        f.indices(&format!("{name}.indices")),
        "argmax indices"
    );
}

#[test]
fn max_pool2d_kernel_3_stride_2_matches_pytorch() {
    check_pool("pool_k3_s2", 3, 2, 0);
}

#[test]
fn max_pool2d_with_padding_matches_pytorch() {
    check_pool("pool_k3_s2_p1", 3, 2, 1);
}

/// `F.avg_pool2d` with PyTorch's defaults (padded zeros count in every window's divisor).
fn check_avg_pool(name: &str, kernel: usize, stride: usize, padding: usize) {
    let f = Fixtures::load();
    let t = |suffix: &str| f.tensor(&format!("{name}.{suffix}"));
    let (out, grads) = run_with_grad_out(&[t("x")], &t("grad_out"), |v| {
        v[0].avg_pool2d(kernel, stride, padding)
    });
    assert_close(&out, &t("out"), "output");
    assert_close(&grads[0], &t("grad_x"), "grad_x");
}

#[test]
fn avg_pool2d_kernel_3_stride_2_matches_pytorch() {
    check_avg_pool("avg_pool_k3_s2", 3, 2, 0);
}

#[test]
fn avg_pool2d_with_padding_matches_pytorch() {
    check_avg_pool("avg_pool_k3_s2_p1", 3, 2, 1);
}

#[test]
fn avg_pool2d_kernel_2_stride_2_odd_width_matches_pytorch() {
    check_avg_pool("avg_pool_k2_s2", 2, 2, 0);
}

#[test]
fn cross_entropy_matches_pytorch() {
    let f = Fixtures::load();
    let labels = f.indices("cross_entropy.labels");
    let (loss, grads) = run_with_grad_out(
        &[f.tensor("cross_entropy.logits")],
        &Tensor::scalar(1.0),
        |v| v[0].cross_entropy(&labels),
    );
    assert_close(&loss.reshape([1]), &f.tensor("cross_entropy.loss"), "loss");
    assert_close(
        &grads[0],
        &f.tensor("cross_entropy.grad_logits"),
        "grad_logits",
    );
}

/// One op of one input against its fixture: output and input gradient.
fn check_unary(name: &str, f: impl Fn(&Var) -> Var) {
    let fixtures = Fixtures::load();
    let t = |suffix: &str| fixtures.tensor(&format!("{name}.{suffix}"));
    let (out, grads) = run_with_grad_out(&[t("x")], &t("grad_out"), |v| f(&v[0]));
    assert_close(&out, &t("out"), "output");
    assert_close(&grads[0], &t("grad_x"), "grad_x");
}

#[test]
fn sigmoid_including_large_magnitudes_matches_pytorch() {
    check_unary("sigmoid", |x| x.sigmoid());
}

#[test]
fn cat_of_three_parts_along_channels_matches_pytorch() {
    let f = Fixtures::load();
    let t = |suffix: &str| f.tensor(&format!("cat_dim1.{suffix}"));
    let (out, grads) = run_with_grad_out(&[t("x0"), t("x1"), t("x2")], &t("grad_out"), |v| {
        Var::cat(v, 1)
    });
    assert_close(&out, &t("out"), "output");
    for (i, grad) in grads.iter().enumerate() {
        assert_close(grad, &t(&format!("grad_x{i}")), &format!("grad_x{i}"));
    }
}

#[test]
fn narrow_matches_pytorch() {
    check_unary("narrow_dim2", |x| x.narrow(2, 2, 4));
}

#[test]
fn adaptive_avg_pool2d_7x5_to_3x2_matches_pytorch() {
    check_unary("adaptive_avg_pool_7x5_to_3x2", |x| {
        x.adaptive_avg_pool2d(3, 2)
    });
}

#[test]
fn adaptive_avg_pool2d_to_1x1_matches_pytorch() {
    check_unary("adaptive_avg_pool_to_1x1", |x| x.adaptive_avg_pool2d(1, 1));
}

#[test]
fn adaptive_avg_pool2d_to_a_larger_output_matches_pytorch() {
    check_unary("adaptive_avg_pool_2x3_to_5x4", |x| {
        x.adaptive_avg_pool2d(5, 4)
    });
}
