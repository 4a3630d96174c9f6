//! Buffers (state saved with a module but not trained) and the training/evaluation mode that
//! every layer reads from its `ForwardContext`.

use autograd::Var;
use nn::layers::{Conv2d, Dropout, Sequential};
use nn::{checkpoint, Buffer, ForwardContext, Mode, Module, Parameter};
use safetensors::{Dtype, SafeTensors};
use std::path::{Path, PathBuf};
use tensor::{Rng, Tensor};

/// Batch norm's state under PyTorch's names, with a stand-in for its arithmetic (the layer
/// itself is another issue's): in training it moves `running_mean` towards each batch's
/// per-feature mean (momentum 0.1) and counts the batch; in evaluation it subtracts
/// `running_mean`. Enough to see buffers named, updated, saved, loaded and moved.
struct RunningMean {
    weight: Parameter,
    bias: Parameter,
    running_mean: Buffer,
    running_var: Buffer,
    num_batches_tracked: Buffer,
}

impl RunningMean {
    fn new(features: usize) -> Self {
        RunningMean {
            weight: Parameter::new(Tensor::full([features], 1.0)),
            bias: Parameter::new(Tensor::zeros([features])),
            running_mean: Buffer::new(Tensor::zeros([features])),
            running_var: Buffer::new(Tensor::full([features], 1.0)),
            num_batches_tracked: Buffer::counter(0),
        }
    }
}

impl Module for RunningMean {
    /// Input `[N, features]`.
    fn forward(&self, input: &Var, ctx: &mut ForwardContext) -> Var {
        if ctx.mode() == Mode::Eval {
            return input.sub(&Var::constant(self.running_mean.get()));
        }
        let batch_mean = input.value().mean_axis(0, false);
        let running = self.running_mean.get().mul_scalar(0.9);
        self.running_mean
            .set(running.add(&batch_mean.mul_scalar(0.1)));
        let count = self.num_batches_tracked.get();
        self.num_batches_tracked.set(count.add_scalar(1.0));
        input.sub(&Var::constant(batch_mean))
    }

    fn parameters(&self) -> Vec<(String, &Parameter)> {
        vec![("weight".into(), &self.weight), ("bias".into(), &self.bias)]
    }

    fn parameters_mut(&mut self) -> Vec<(String, &mut Parameter)> {
        vec![
            ("weight".into(), &mut self.weight),
            ("bias".into(), &mut self.bias),
        ]
    }

    fn buffers(&self) -> Vec<(String, &Buffer)> {
        vec![
            ("running_mean".into(), &self.running_mean),
            ("running_var".into(), &self.running_var),
            ("num_batches_tracked".into(), &self.num_batches_tracked),
        ]
    }
}

/// `nn.Sequential(nn.Conv2d(1, 3, 3), nn.BatchNorm2d(3))`'s names.
fn conv_and_norm(seed: u64) -> Sequential {
    Sequential::new(vec![
        Box::new(Conv2d::new(1, 3, 3, 1, 0, &mut Rng::new(seed))),
        Box::new(RunningMean::new(3)),
    ])
}

fn names<T>(named: Vec<(String, T)>) -> Vec<String> {
    named.into_iter().map(|(name, _)| name).collect()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rustgrad-buffers-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join("model.safetensors")
}

fn state(model: &dyn Module) -> Vec<(String, Vec<f32>)> {
    checkpoint::state_of(model)
        .into_iter()
        .map(|(name, value, _)| (name, value.to_vec()))
        .collect()
}

#[test]
fn buffers_are_named_like_pytorchs_state_dict() {
    let model = conv_and_norm(0);
    assert_eq!(
        names(model.parameters()),
        ["0.weight", "0.bias", "1.weight", "1.bias"]
    );
    assert_eq!(
        names(model.buffers()),
        ["1.running_mean", "1.running_var", "1.num_batches_tracked"]
    );
    // A model's state, as PyTorch's state_dict(): parameters, then buffers.
    assert_eq!(checkpoint::state_of(&model).len(), 7);
}

#[test]
fn training_updates_buffers_and_evaluation_reads_them() {
    let layer = RunningMean::new(2);
    let x = Var::constant(Tensor::from_vec(vec![1.0, 2.0, 3.0, 6.0], [2, 2]));
    for _ in 0..2 {
        layer.forward(&x, &mut ForwardContext::training(1));
    }
    // Batch mean [2, 4]: after two steps 0.1·m + 0.09·m = 0.19·m.
    let running = layer.running_mean.get().to_vec();
    assert!((running[0] - 0.38).abs() < 1e-6 && (running[1] - 0.76).abs() < 1e-6);
    assert_eq!(layer.num_batches_tracked.get().to_vec(), [2.0]);

    let y = layer.forward(&x, &mut ForwardContext::evaluation());
    assert_eq!(
        layer.num_batches_tracked.get().to_vec(),
        [2.0],
        "eval counts nothing"
    );
    let expected = [1.0 - 0.38, 2.0 - 0.76, 3.0 - 0.38, 6.0 - 0.76];
    for (got, want) in y.value().to_vec().iter().zip(expected) {
        assert!((got - want).abs() < 1e-6, "{got} vs {want}");
    }
}

#[test]
fn a_pytorch_state_dict_with_buffers_loads() {
    // Written by scripts/make_nn_fixtures.py: Conv2d + BatchNorm2d after three training batches.
    let path = fixture("batch_norm_state.safetensors");
    let mut model = conv_and_norm(0);
    checkpoint::load_module(&mut model, &path).unwrap();
    let file = checkpoint::load(&path).unwrap();
    for (name, values) in state(&model) {
        assert_eq!(values, file[&name].to_vec(), "{name}");
    }
    let counter = &model.buffers()[2].1;
    assert_eq!(
        counter.get().to_vec(),
        [3.0],
        "PyTorch's int64 num_batches_tracked"
    );
    assert_eq!(
        counter.get().dims(),
        [0usize; 0],
        "a rank-0 tensor, as in PyTorch"
    );
}

#[test]
fn saved_buffers_keep_pytorchs_types_and_load_back() {
    let path = scratch("round-trip");
    let model = conv_and_norm(1);
    // Two training batches through the norm layer: its buffers move away from their start.
    let batch = Var::constant(Tensor::from_vec(
        (0..12).map(|i| i as f32).collect(),
        [4, 3],
    ));
    for _ in 0..2 {
        model.layers()[1].forward(&batch, &mut ForwardContext::training(0));
    }
    checkpoint::save_module(&model, &path).unwrap();

    let bytes = std::fs::read(&path).unwrap();
    let file = SafeTensors::deserialize(&bytes).unwrap();
    let counter = file.tensor("1.num_batches_tracked").unwrap();
    assert_eq!(counter.dtype(), Dtype::I64);
    assert_eq!(counter.shape(), [0usize; 0]);
    assert_eq!(counter.data(), 2i64.to_le_bytes());
    assert_eq!(file.tensor("1.running_mean").unwrap().dtype(), Dtype::F32);

    let mut loaded = conv_and_norm(2);
    checkpoint::load_module(&mut loaded, &path).unwrap();
    assert_eq!(state(&loaded), state(&model));
}

#[test]
fn a_checkpoint_without_the_buffers_is_refused_and_changes_nothing() {
    let path = scratch("no-buffers");
    let parameters_only: Vec<(String, Tensor)> = conv_and_norm(1)
        .parameters()
        .into_iter()
        .map(|(name, p)| (name, p.value.clone()))
        .collect();
    checkpoint::save(&path, &parameters_only).unwrap();
    let mut model = conv_and_norm(2);
    let before = state(&model);
    let message = checkpoint::load_module(&mut model, &path)
        .unwrap_err()
        .to_string();
    for name in ["1.running_mean", "1.running_var", "1.num_batches_tracked"] {
        assert!(message.contains(&format!("missing: {name}")), "{message}");
    }
    assert_eq!(state(&model), before);
}

#[test]
#[should_panic(expected = "Buffer::set: a buffer of shape [3] cannot take a value of shape [4]")]
fn a_buffer_keeps_its_shape() {
    Buffer::new(Tensor::zeros([3])).set(Tensor::zeros([4]));
}

#[test]
fn the_mode_reaches_every_layer_recorded_or_not() {
    let x = Tensor::full([4, 64], 1.0);
    let model = Sequential::new(vec![
        Box::new(Dropout::new(0.5)),
        Box::new(RunningMean::new(64)),
    ]);

    // Recorded, in evaluation mode (fine-tuning with frozen statistics): no dropout, the
    // running statistics are read, not updated, and backward still works.
    let tape_x = autograd::Tape::new().leaf(x.clone());
    let mut ctx = ForwardContext::training(3).with_mode(Mode::Eval);
    assert!(ctx.is_recorded() && !ctx.is_training());
    let y = model.forward(&tape_x, &mut ctx);
    assert_eq!(y.value().to_vec(), x.to_vec(), "no dropout, running mean 0");
    assert_eq!(model.buffers()[2].1.get().to_vec(), [0.0]);

    // Not recorded, in training mode: dropout drops, statistics update.
    let mut ctx = ForwardContext::evaluation()
        .with_mode(Mode::Train)
        .with_seed(5);
    assert!(!ctx.is_recorded() && ctx.is_training());
    let dropped = Dropout::new(0.5).forward(&Var::constant(x.clone()), &mut ctx);
    let values = dropped.value().to_vec();
    assert!(values.iter().all(|&v| v == 0.0 || v == 2.0));
    assert!(values.contains(&0.0) && values.contains(&2.0));
    model.forward(&Var::constant(x), &mut ctx);
    assert_eq!(model.buffers()[2].1.get().to_vec(), [1.0]);
}

#[test]
#[should_panic(expected = "backward: this forward pass was not recorded")]
fn backward_needs_a_recorded_pass() {
    let layer = RunningMean::new(2);
    let mut ctx = ForwardContext::evaluation().with_mode(Mode::Train);
    let y = layer.forward(&Var::constant(Tensor::zeros([1, 2])), &mut ctx);
    ctx.backward(&y.sum());
}
