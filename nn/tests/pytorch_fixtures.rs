//! nn against PyTorch: optimizer trajectories, bilinear resize, loading PyTorch checkpoints in
//! three precisions, and AlexNet's parameter names. `scripts/make_nn_fixtures.py` wrote the
//! fixtures; they are read with our own checkpoint loader.

use autograd::Var;
use nn::checkpoint;
use nn::layers::BatchNorm;
use nn::models::{AlexNet, Mlp};
use nn::optim::{Adam, Optimizer, Sgd};
use nn::{ForwardContext, Module, Parameter, ParameterGradients};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tensor::{Rng, Tensor};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> BTreeMap<String, Tensor> {
    checkpoint::load(&fixture(name)).unwrap()
}

#[track_caller]
fn assert_close(actual: &Tensor, expected: &Tensor, tolerance: f32, what: &str) {
    assert_eq!(actual.shape(), expected.shape(), "{what}: shape");
    for (i, (a, e)) in actual.to_vec().iter().zip(expected.to_vec()).enumerate() {
        assert!(
            (a - e).abs() <= tolerance * (1.0 + e.abs()),
            "{what}[{i}]: {a} vs PyTorch {e}"
        );
    }
}

/// A one-parameter "model" whose gradient we set by hand, as the PyTorch script sets `p.grad`.
struct Single(Parameter);

impl Module for Single {
    fn forward(&self, _: &Var, ctx: &mut ForwardContext) -> Var {
        ctx.parameter("p", &self.0)
    }
    fn parameters(&self) -> Vec<(String, &Parameter)> {
        vec![("p".into(), &self.0)]
    }
    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        vec![("p".into(), &mut self.0)]
    }
}

/// Gradients of `Σ p·g` with respect to p, which are exactly g.
fn gradients_equal_to(model: &Single, g: &Tensor) -> ParameterGradients {
    let mut ctx = ForwardContext::training(0);
    let p = model.forward(&Var::constant(Tensor::zeros([1])), &mut ctx);
    let loss = p.mul(&Var::constant(g.clone())).sum();
    ctx.backward(&loss)
}

fn check_trajectory(case: &str, mut optimizer: impl Optimizer) {
    let f = load("optimizers.safetensors");
    let mut model = Single(Parameter::new(f["p0"].clone()));
    for step in 0..4 {
        let gradients = gradients_equal_to(&model, &f[&format!("grad{step}")]);
        optimizer.step(model.parameters_mut(), &gradients);
        let expected = &f[&format!("{case}.step{step}")];
        assert_close(
            &model.0.value,
            expected,
            1e-5,
            &format!("{case} after step {}", step + 1),
        );
    }
}

#[test]
fn adam_follows_pytorch() {
    check_trajectory("adam", Adam::new(0.01));
}

#[test]
fn adam_with_betas_eps_and_weight_decay_follows_pytorch() {
    let mut adam = Adam::new(0.01);
    adam.betas = (0.8, 0.99);
    adam.eps = 1e-6;
    adam.weight_decay = 0.1;
    check_trajectory("adam_wd", adam);
}

#[test]
fn sgd_follows_pytorch() {
    check_trajectory("sgd", Sgd::new(0.1));
    check_trajectory(
        "sgd_momentum_wd",
        Sgd::new(0.1).with_momentum(0.9).with_weight_decay(0.01),
    );
    check_trajectory(
        "sgd_nesterov",
        Sgd::new(0.1).with_momentum(0.9).with_nesterov(true),
    );
}

#[test]
fn bilinear_resize_matches_interpolate() {
    let f = load("resize.safetensors");
    for (h, w) in [(224, 224), (50, 37), (13, 13)] {
        let resized = f["x"].resize_bilinear(h, w);
        assert_close(
            &resized,
            &f[&format!("to_{h}x{w}")],
            1e-5,
            &format!("{h}x{w}"),
        );
    }
}

#[test]
fn pytorch_checkpoints_load_in_every_precision() {
    let io = load("mlp_io.safetensors");
    for (file, tolerance) in [
        ("mlp_f32.safetensors", 1e-5),
        ("mlp_f16.safetensors", 2e-2),
        ("mlp_bf16.safetensors", 5e-2),
    ] {
        let mut model = Mlp::new(&[784, 16, 10], &mut Rng::new(0));
        checkpoint::load_module(&mut model, &fixture(file)).unwrap();
        let logits = model.forward(
            &Var::constant(io["x"].clone()),
            &mut ForwardContext::evaluation(),
        );
        assert_close(logits.value(), &io["logits"], tolerance, file);
    }
}

#[test]
fn alexnet_parameters_are_named_and_shaped_like_pytorchs_state_dict() {
    let expected = std::fs::read_to_string(fixture("alexnet_state_dict.txt")).unwrap();
    let model = AlexNet::new(&mut Rng::new(0));
    let ours: Vec<String> = model
        .parameters()
        .iter()
        .map(|(name, p)| {
            let dims: Vec<String> = p.value.dims().iter().map(|d| d.to_string()).collect();
            format!("{name} {}", dims.join(","))
        })
        .collect();
    assert_eq!(ours, expected.lines().collect::<Vec<_>>());
    assert_eq!(model.parameter_count(), 46_764_746);
}

/// One batch-norm layer from the fixture's case `name`: a training step (output, gradients of
/// the input, weight and bias for the loss Σ y·g, running statistics after), then evaluation.
fn check_batch_norm<const D: usize>(name: &str) {
    let f = load("batch_norm.safetensors");
    let t = |key: &str| f[&format!("{name}.{key}")].clone();
    let mut layer = BatchNorm::<D>::new(t("weight").numel());
    layer.weight.value = t("weight");
    layer.bias.value = t("bias");
    // The input as a parameter, so that the training context reports its gradient too.
    let x = Parameter::new(t("x"));
    let mut ctx = ForwardContext::training(0);
    let input = ctx.parameter("x", &x);
    let y = layer.forward(&input, &mut ctx);
    let loss = y.mul(&Var::constant(t("g"))).sum();
    let gradients = ctx.backward(&loss);
    assert_close(
        y.value(),
        &t("y_train"),
        1e-5,
        &format!("{name} training output"),
    );
    let gradient = |p: &Parameter| gradients.get(p).unwrap().clone();
    assert_close(&gradient(&x), &t("dx"), 1e-4, &format!("{name} dx"));
    assert_close(
        &gradient(&layer.weight),
        &t("dweight"),
        1e-4,
        &format!("{name} dweight"),
    );
    assert_close(
        &gradient(&layer.bias),
        &t("dbias"),
        1e-5,
        &format!("{name} dbias"),
    );
    let running_mean = layer.running_mean.get();
    assert_close(
        &running_mean,
        &t("running_mean"),
        1e-6,
        &format!("{name} running_mean"),
    );
    let running_var = layer.running_var.get();
    assert_close(
        &running_var,
        &t("running_var"),
        1e-5,
        &format!("{name} running_var"),
    );
    assert_eq!(layer.num_batches_tracked.get().to_vec(), [1.0]);

    let y = layer.forward(&Var::constant(t("x")), &mut ForwardContext::evaluation());
    assert_close(
        y.value(),
        &t("y_eval"),
        1e-5,
        &format!("{name} evaluation output"),
    );
}

#[test]
fn batch_norm_2d_matches_pytorch_in_training_and_evaluation() {
    check_batch_norm::<2>("bn2d");
}

#[test]
fn batch_norm_1d_matches_pytorch_in_training_and_evaluation() {
    check_batch_norm::<1>("bn1d");
    check_batch_norm::<1>("bn1d_3d");
}
