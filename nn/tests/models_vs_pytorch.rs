//! Each CNN of `nn::models` is the book's model: given the same weights and the same batch as
//! the book's PyTorch code (`scripts/d2l_models.py`; AlexNet: the classic one of
//! `scripts/alexnet_step_pytorch.py`), it computes the same outputs, the same loss, the same
//! gradients and the same parameters after one SGD step at the recipe's learning rate — in eval
//! mode and, for the models with batch norm, in train mode too, with the running statistics that
//! leaves behind. `scripts/make_model_fixtures.py` wrote the fixtures
//! (`tests/fixtures/models/<model>.safetensors`, read with our checkpoint loader).
//!
//! The weights are not in the fixtures (ResNet-18 has 11M parameters, VGG 43M): both sides make
//! them, and the batch, from a formula of each tensor's name and each value's index ([`twin`]),
//! which Python and Rust compute bit for bit alike. The fixtures keep the outputs whole and, of
//! each parameter's gradient and of the parameter after the step, a digest: the norm and 16
//! sampled values.
//!
//! # Modes
//!
//! As the book trains each model (`model.train()`):
//! - batch norm (bn-lenet, resnet18, densenet): eval mode (running statistics), then train mode
//!   (batch statistics); the step follows train mode.
//! - dropout and no batch norm (alexnet, vgg, nin): train mode with dropout off computes exactly
//!   what eval mode does, so eval mode only, in a recorded pass
//!   (`ForwardContext::training(seed).with_mode(Mode::Eval)`, PyTorch's `model.eval()` with
//!   gradients enabled); the step follows it.
//! - neither (lenet, googlenet): one mode; the step follows it.
//!
//! # Tolerances
//!
//! Outputs — logits, loss, running statistics — to
//! `|ours − PyTorch's| ≤ 1e-4 · max(1, |PyTorch's|)`.
//!
//! Gradients, relative to their size: a sampled value g to `tol · max(|g|, s)` and the root mean
//! square of the whole gradient (its norm over √numel) to `tol · s`, where s is PyTorch's root
//! mean square, or for a bias whose gradient is exactly 0 (it feeds only batch norms, which
//! subtract the batch mean and so undo any constant shift: the fixture lists them) the one of
//! its layer's weight: both libraries leave rounding noise there. And tol depends on the model
//! ([`Gradients`]):
//! - 1e-4 where the gradients are a smooth function of the weights: sigmoids and average pooling
//!   (lenet, bn-lenet).
//! - 1e-1 for sampled values and 1e-2 for norms where they are not: ReLU and max pooling make
//!   decisions (positive or not, which value is the largest), and a decision that sits within
//!   rounding of its threshold can go either way in two f32 implementations — or in PyTorch's
//!   f32 and f64 (4.5e-3 apart on VGG's first layers). It then changes the gradients of the
//!   layers before it by up to a few 1e-2 (norms by up to 3e-3):
//!   `make_model_fixtures.py --sensitivity` shows it by moving the weights by 1e-6 in f64. Here
//!   that happens in vgg, nin, resnet18 and densenet (up to 3e-2); where no decision flips, the
//!   two agree to ~2e-5 (our Winograd convolutions round more than PyTorch's: without them,
//!   ~5e-6). A backward rule 3% off would still fail every model's norms.
//!
//! Parameters after the step, p − lr · g: to `1e-4 · max(1, |p|)`, plus lr times what the
//! gradient may differ by.
//!
//! Each test prints its largest differences, relative as above (`-- --nocapture`).

use autograd::Var;
use nn::models;
use nn::optim::{Optimizer, Sgd};
use nn::{checkpoint, ForwardContext, Mode, Module};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;
use tensor::{Indices, Rng, Tensor};

/// The formula for weights and inputs. Twin of `class twin` in `scripts/make_model_fixtures.py`:
/// change one, change the other. Values are hashed from integers in u64 arithmetic, then made
/// with a few IEEE f64 operations (correctly rounded in both languages) and rounded once to f32,
/// so both sides get the same bits.
mod twin {
    use tensor::{Shape, Tensor};

    /// The labels of the batch's images (the first B of them).
    pub const LABELS: [u32; 8] = [3, 7, 0, 9, 1, 5, 8, 2];

    /// How many values of a tensor a digest keeps.
    pub const SAMPLES: usize = 16;

    /// 64-bit FNV-1a of the name's UTF-8 bytes: a seed per tensor name.
    fn fnv1a(text: &str) -> u64 {
        let mut h: u64 = 0xCBF2_9CE4_8422_2325;
        for &byte in text.as_bytes() {
            h = (h ^ byte as u64).wrapping_mul(0x0100_0000_01B3);
        }
        h
    }

    /// splitmix64's output function.
    fn splitmix64(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Hash number `i` of a name, given the name's `seed = fnv1a(name)`.
    fn hash(seed: u64, i: u64) -> u64 {
        splitmix64(seed ^ i)
    }

    /// u_i in [0, 1): the top 24 bits of hash i, over 2^24 (exact in f32 and f64).
    fn uniform(seed: u64, i: u64) -> f64 {
        (hash(seed, i) >> 40) as f64 / (1u64 << 24) as f64
    }

    /// The tensor `name` of a model's state, of shape `dims`:
    /// - a weight of rank 2 or more (convolution, linear): (2u − 1) · √(6 / fan_in), He's
    ///   uniform bound, so that activations keep their scale through deep ReLU networks;
    /// - batch norm's `weight` and `running_var`: 1 + (2u − 1) / 4, in [0.75, 1.25);
    /// - any other of rank 1 (biases, `running_mean`): (2u − 1) / 4;
    /// - `num_batches_tracked` (rank 0): 0.
    ///
    /// Computed in f64, then rounded once to f32.
    pub fn value(name: &str, dims: &[usize]) -> Tensor {
        let count: usize = dims.iter().product();
        let seed = fnv1a(name);
        let u = (0..count as u64).map(|i| uniform(seed, i));
        let values: Vec<f32> = match dims.len() {
            0 => vec![0.0],
            1 if name.ends_with(".weight") || name.ends_with(".running_var") => {
                u.map(|u| (1.0 + (2.0 * u - 1.0) / 4.0) as f32).collect()
            }
            1 => u.map(|u| ((2.0 * u - 1.0) / 4.0) as f32).collect(),
            _ => {
                let bound = (6.0 / (count / dims[0]) as f64).sqrt();
                u.map(|u| ((2.0 * u - 1.0) * bound) as f32).collect()
            }
        };
        Tensor::from_vec(values, Shape::new(dims))
    }

    /// The images: pixels u_i of the name "input", `[batch, 1, side, side]`.
    pub fn input_batch(batch: usize, side: usize) -> Tensor {
        let seed = fnv1a("input");
        let count = (batch * side * side) as u64;
        let values = (0..count).map(|i| uniform(seed, i) as f32).collect();
        Tensor::from_vec(values, [batch, 1, side, side])
    }

    /// Which values of a tensor of `count` values a digest keeps: all of them if there are at
    /// most [`SAMPLES`], else hash j of the name "sample <name>" modulo count, for j < SAMPLES.
    pub fn sample_indices(name: &str, count: usize) -> Vec<usize> {
        if count <= SAMPLES {
            return (0..count).collect();
        }
        let seed = fnv1a(&format!("sample {name}"));
        let j = 0..SAMPLES as u64;
        j.map(|j| (hash(seed, j) % count as u64) as usize).collect()
    }
}

/// Which passes a model is checked in (see the top of this file).
#[derive(Clone, Copy, PartialEq)]
enum Modes {
    /// Neither dropout nor batch norm: train mode and eval mode are the same; `logits`.
    One,
    /// Dropout, no batch norm: eval mode (a recorded pass); `logits.eval`.
    EvalOnly,
    /// Batch norm: eval mode (`logits.eval`), then train mode (`logits.train`, `running.*`).
    EvalAndTrain,
}

/// Whether a model's gradients are a smooth function of its weights, which decides how closely
/// two f32 implementations can agree on them (see the top of this file).
#[derive(Clone, Copy)]
enum Gradients {
    /// Sigmoids and average pooling.
    Smooth,
    /// ReLU and max pooling: a decision within rounding of its threshold may flip.
    Piecewise,
}

impl Gradients {
    /// The tolerance for (sampled values, root mean square).
    fn tolerances(self) -> (f64, f64) {
        match self {
            Gradients::Smooth => (1e-4, 1e-4),
            Gradients::Piecewise => (1e-1, 1e-2),
        }
    }
}

/// One model's check: its name in `nn::models`, the passes, the images in the batch (2; 4 with
/// batch norm, so that batch statistics mean something; 8 for BN-LeNet, whose BatchNorm1d
/// normalises each feature over the batch alone and amplifies rounding 50-fold over 4 values,
/// 10-fold over 8), and its kind of gradients.
struct Case {
    name: &'static str,
    modes: Modes,
    batch: usize,
    gradients: Gradients,
}

/// What PyTorch computed for one model.
struct Fixture {
    tensors: BTreeMap<String, Tensor>,
    metadata: BTreeMap<String, String>,
}

impl Fixture {
    fn load(model: &str) -> Self {
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/models")
            .join(format!("{}.safetensors", model.replace('-', "_")));
        Fixture {
            tensors: checkpoint::load(&path).unwrap(),
            metadata: checkpoint::read_metadata(&path).unwrap(),
        }
    }

    #[track_caller]
    fn get(&self, name: &str) -> Vec<f32> {
        match self.tensors.get(name) {
            Some(tensor) => tensor.to_vec(),
            None => panic!("no {name} in the fixture"),
        }
    }

    /// The number `key` of the metadata.
    #[track_caller]
    fn number<T: std::str::FromStr>(&self, key: &str) -> T {
        let text = &self.metadata[key];
        text.parse()
            .unwrap_or_else(|_| panic!("metadata {key} = {text}"))
    }

    /// The root mean square of PyTorch's gradient of `parameter`, which has `count` values.
    fn gradient_rms(&self, parameter: &str, count: usize) -> f64 {
        self.get(&format!("grad.{parameter}.norm"))[0] as f64 / (count as f64).sqrt()
    }
}

/// Compares our numbers with PyTorch's, and remembers the largest relative difference of each
/// kind, which the test prints at the end.
struct Comparison {
    model: &'static str,
    worst: BTreeMap<&'static str, f64>,
}

impl Comparison {
    /// `|ours − expected| ≤ tolerance · scale`; the difference over `scale` is what is recorded.
    #[track_caller]
    fn value(
        &mut self,
        kind: &'static str,
        what: &str,
        ours: f32,
        expected: f32,
        scale: f64,
        tolerance: f64,
    ) {
        let difference = (ours as f64 - expected as f64).abs();
        let worst = self.worst.entry(kind).or_insert(0.0);
        *worst = worst.max(difference / scale);
        assert!(
            difference <= tolerance * scale,
            "{}: {what} is {ours}, PyTorch's {expected}: they differ by {difference:.2e}, more \
             than {tolerance:.1e} · {scale:.2e}",
            self.model
        );
    }

    /// An output: every value to `1e-4 · max(1, |PyTorch's|)`.
    #[track_caller]
    fn output(&mut self, kind: &'static str, what: &str, ours: &Tensor, expected: &[f32]) {
        assert_eq!(ours.numel(), expected.len(), "{}: {what}: size", self.model);
        for (i, (&a, &e)) in ours.to_vec().iter().zip(expected).enumerate() {
            let scale = (e.abs() as f64).max(1.0);
            self.value(kind, &format!("{what}[{i}]"), a, e, scale, 1e-4);
        }
    }
}

/// Sets every parameter and buffer of `model` to [`twin::value`] of its name.
fn set_twin_weights(model: &mut dyn Module) {
    for (name, parameter) in model.parameters_mut() {
        parameter.value = twin::value(&name, parameter.value.dims());
    }
    for (name, buffer) in model.buffers() {
        buffer.set(twin::value(&name, buffer.get().dims()));
    }
}

/// A digest of `values`: their root mean square and the values at [`twin::sample_indices`] of
/// `name`.
fn digest(name: &str, values: &[f32]) -> (f64, Vec<f32>) {
    let sum_of_squares: f64 = values.iter().map(|&v| (v as f64).powi(2)).sum();
    let rms = (sum_of_squares / values.len() as f64).sqrt();
    let indices = twin::sample_indices(name, values.len());
    (rms, indices.iter().map(|&i| values[i]).collect())
}

/// Runs the model as the fixture's PyTorch run did and compares every number.
fn check_against_pytorch(case: Case) {
    let start = Instant::now();
    let name = case.name;
    let fixture = Fixture::load(name);
    let recipe = models::recipe(name).unwrap();
    assert_eq!(fixture.metadata["model"], name);
    assert_eq!(fixture.number::<usize>("image_size"), recipe.image_size);
    assert_eq!(fixture.number::<f32>("lr"), recipe.learning_rate);
    assert_eq!(fixture.number::<usize>("batch"), case.batch);

    let mut model = models::build(name, &mut Rng::new(0)).unwrap();
    set_twin_weights(&mut *model);
    let images = Var::constant(twin::input_batch(case.batch, recipe.image_size));
    let labels = Indices::from_vec(twin::LABELS[..case.batch].to_vec(), [case.batch]);
    let mut compare = Comparison {
        model: name,
        worst: BTreeMap::new(),
    };

    // The pass the step follows, and the name of its logits in the fixture.
    let (mut ctx, logits_name) = match case.modes {
        Modes::One => (ForwardContext::training(0), "logits"),
        Modes::EvalOnly => {
            let eval_mode = ForwardContext::training(0).with_mode(Mode::Eval);
            (eval_mode, "logits.eval")
        }
        Modes::EvalAndTrain => {
            let logits = model.forward(&images, &mut ForwardContext::evaluation());
            let expected = fixture.get("logits.eval");
            compare.output("logits.eval", "logits.eval", logits.value(), &expected);
            (ForwardContext::training(0), "logits.train")
        }
    };
    let logits = model.forward(&images, &mut ctx);
    let expected = fixture.get(logits_name);
    compare.output(logits_name, logits_name, logits.value(), &expected);
    if case.modes == Modes::EvalAndTrain {
        for (buffer_name, buffer) in model.buffers() {
            let expected = fixture.get(&format!("running.{buffer_name}"));
            compare.output("running statistics", &buffer_name, &buffer.get(), &expected);
        }
    }
    let loss = nn::loss::cross_entropy(&logits, &labels);
    compare.output("loss", "loss", loss.value(), &fixture.get("loss"));

    let gradients = ctx.backward(&loss);
    let allowed = GradientAllowance::new(&*model, &fixture, case.gradients);
    for (parameter_name, parameter) in model.parameters() {
        let gradient = gradients.get(parameter).expect("every parameter has one");
        let (rms, samples) = digest(&parameter_name, &gradient.to_vec());
        let expected = fixture.get(&format!("grad.{parameter_name}.samples"));
        for (i, (&ours, &theirs)) in samples.iter().zip(&expected).enumerate() {
            let what = format!("gradient of {parameter_name}, sample {i}");
            let scale = allowed.scale(&parameter_name, theirs);
            compare.value("gradients", &what, ours, theirs, scale, allowed.samples);
        }
        let theirs = fixture.gradient_rms(&parameter_name, gradient.numel());
        let what = format!("gradient of {parameter_name}, root mean square");
        let scale = allowed.scales[&parameter_name];
        compare.value(
            "gradient norms",
            &what,
            rms as f32,
            theirs as f32,
            scale,
            allowed.rms,
        );
    }

    Sgd::new(recipe.learning_rate).step(model.parameters_mut(), &gradients);
    // After the step, p − lr · g may differ by 1e-4 · max(1, |p|), plus lr times what g may.
    // Written as a tolerance relative to max(1, |p|), so that what is recorded is the difference
    // relative to max(1, |p|).
    let lr = recipe.learning_rate as f64;
    for (parameter_name, parameter) in model.parameters() {
        let values = parameter.value.to_vec();
        let (rms, samples) = digest(&parameter_name, &values);
        let expected = fixture.get(&format!("step.{parameter_name}.samples"));
        let gradient = fixture.get(&format!("grad.{parameter_name}.samples"));
        for (i, (&ours, &theirs)) in samples.iter().zip(&expected).enumerate() {
            let what = format!("{parameter_name} after the step, sample {i}");
            let scale = (theirs.abs() as f64).max(1.0);
            let gradient_allowed = allowed.samples * allowed.scale(&parameter_name, gradient[i]);
            let tolerance = 1e-4 + lr * gradient_allowed / scale;
            compare.value("after the step", &what, ours, theirs, scale, tolerance);
        }
        // The norm: each value may differ by lr · tol · max(|g_i|, s), so the norm by at most
        // lr · tol · ‖max(|g|, s)‖ ≤ lr · tol · (‖g‖ + s · √n).
        let count = (values.len() as f64).sqrt();
        let norm = (rms * count) as f32;
        let theirs = fixture.get(&format!("step.{parameter_name}.norm"))[0];
        let what = format!("{parameter_name} after the step, norm");
        let scale = (theirs.abs() as f64).max(1.0);
        let gradient_norm = fixture.gradient_rms(&parameter_name, values.len()) * count;
        let s = allowed.scales[&parameter_name];
        let gradient_allowed = allowed.samples * (gradient_norm + s * count);
        let tolerance = 1e-4 + lr * gradient_allowed / scale;
        compare.value("after the step", &what, norm, theirs, scale, tolerance);
    }

    let worst: Vec<String> = compare
        .worst
        .iter()
        .map(|(kind, difference)| format!("{kind} {difference:.1e}"))
        .collect();
    eprintln!(
        "{name}: largest differences from PyTorch: {}; {:.1} s",
        worst.join(", "),
        start.elapsed().as_secs_f64()
    );
}

/// How far our gradients may be from PyTorch's (see the top of this file): a value g to
/// `samples · max(|g|, s)`, the root mean square to `rms · s`, with s the parameter's scale.
struct GradientAllowance {
    samples: f64,
    rms: f64,
    /// s for each parameter: the root mean square of PyTorch's gradient, or for a gradient
    /// that is exactly 0 (the fixture's `zero_gradients`), the one of its layer's weight.
    scales: BTreeMap<String, f64>,
}

impl GradientAllowance {
    fn new(model: &dyn Module, fixture: &Fixture, gradients: Gradients) -> Self {
        let (samples, rms) = gradients.tolerances();
        let zero: Vec<&str> = fixture.metadata["zero_gradients"].split(' ').collect();
        let counts: BTreeMap<String, usize> = model
            .parameters()
            .into_iter()
            .map(|(name, p)| (name, p.value.numel()))
            .collect();
        let scales = counts
            .keys()
            .map(|name| {
                let of = match zero.contains(&name.as_str()) {
                    true => name.replace(".bias", ".weight"),
                    false => name.clone(),
                };
                (name.clone(), fixture.gradient_rms(&of, counts[&of]))
            })
            .collect();
        GradientAllowance {
            samples,
            rms,
            scales,
        }
    }

    /// `max(|g|, s)` for a value g of the gradient of `parameter`.
    fn scale(&self, parameter: &str, g: f32) -> f64 {
        (g.abs() as f64).max(self.scales[parameter])
    }
}

#[test]
fn lenet_is_the_books() {
    check_against_pytorch(Case {
        name: "lenet",
        modes: Modes::One,
        batch: 2,
        gradients: Gradients::Smooth,
    });
}

#[test]
fn alexnet_is_pytorchs() {
    check_against_pytorch(Case {
        name: "alexnet",
        modes: Modes::EvalOnly,
        batch: 2,
        gradients: Gradients::Piecewise,
    });
}

#[test]
fn vgg_is_the_books() {
    check_against_pytorch(Case {
        name: "vgg",
        modes: Modes::EvalOnly,
        batch: 2,
        gradients: Gradients::Piecewise,
    });
}

#[test]
fn nin_is_the_books() {
    check_against_pytorch(Case {
        name: "nin",
        modes: Modes::EvalOnly,
        batch: 2,
        gradients: Gradients::Piecewise,
    });
}

#[test]
fn googlenet_is_the_books() {
    check_against_pytorch(Case {
        name: "googlenet",
        modes: Modes::One,
        batch: 2,
        gradients: Gradients::Piecewise,
    });
}

#[test]
fn bn_lenet_is_the_books() {
    check_against_pytorch(Case {
        name: "bn-lenet",
        modes: Modes::EvalAndTrain,
        batch: 8,
        gradients: Gradients::Smooth,
    });
}

#[test]
fn resnet18_is_the_books() {
    check_against_pytorch(Case {
        name: "resnet18",
        modes: Modes::EvalAndTrain,
        batch: 4,
        gradients: Gradients::Piecewise,
    });
}

#[test]
fn densenet_is_the_books() {
    check_against_pytorch(Case {
        name: "densenet",
        modes: Modes::EvalAndTrain,
        batch: 4,
        gradients: Gradients::Piecewise,
    });
}
