//! The CNNs of "Dive into Deep Learning" (`nn::models`, by their registry names): each one's
//! state_dict names and shapes against PyTorch's (fixtures written by
//! `scripts/make_model_names.py` from the book's own model code), its parameter count, the
//! output shapes its summary lists, a forward pass in evaluation and one in training with a
//! gradient for every parameter, and the book's initialisation.

use autograd::Var;
use nn::models::{self, Recipe};
use nn::summary::summarize;
use nn::{ForwardContext, Module};
use tensor::{Indices, Rng, Shape, Tensor};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `<name> [d0, d1, ...]`, as the fixtures write an entry.
fn entry(name: &str, dims: &[usize]) -> String {
    format!("{name} {dims:?}")
}

/// PyTorch's state_dict of model `name`, as (parameters, buffers), each in state_dict order.
/// PyTorch interleaves them (a module's parameters, its buffers, then the next module); `Module`
/// lists all parameters, then all buffers, so each kind is compared in order on its own.
fn pytorch_state(name: &str) -> (Vec<String>, Vec<String>) {
    let text = fixture(&format!("{}_state_dict.txt", name.replace('-', "_")));
    let (mut parameters, mut buffers) = (Vec::new(), Vec::new());
    for line in text.lines() {
        let (kind, rest) = line.split_once(' ').expect("<kind> <name> <shape>");
        match kind {
            "parameter" => parameters.push(rest.to_string()),
            "buffer" => buffers.push(rest.to_string()),
            _ => panic!("unknown kind in {line:?}"),
        }
    }
    (parameters, buffers)
}

/// Our model's (parameters, buffers), written as the fixtures write them.
fn our_state(model: &dyn Module) -> (Vec<String>, Vec<String>) {
    let parameters = model.parameters().into_iter();
    let parameters = parameters.map(|(name, p)| entry(&name, p.value.dims()));
    let buffers = model.buffers().into_iter();
    let buffers = buffers.map(|(name, b)| entry(&name, b.get().dims()));
    (parameters.collect(), buffers.collect())
}

fn build(name: &str) -> Box<dyn Module> {
    models::build(name, &mut Rng::new(7)).expect("a registered model")
}

fn recipe(name: &str) -> Recipe {
    models::recipe(name).expect("a registered model")
}

/// Checks model `name` against PyTorch's state_dict and parameter count, then runs it: its
/// summary must list the layers `rows` (path and output shape for one image among them),
/// a batch of two in evaluation gives `[2, 10]`, and a training step gives every parameter a
/// gradient and counts the batch in every batch norm.
fn check(name: &str, parameter_count: usize, rows: &[(&str, &[usize])]) {
    let model = build(name);
    let (parameters, buffers) = pytorch_state(name);
    let (our_parameters, our_buffers) = our_state(&*model);
    assert_eq!(our_parameters, parameters, "{name}: parameters");
    assert_eq!(our_buffers, buffers, "{name}: buffers");
    assert_eq!(model.parameter_count(), parameter_count, "{name}");

    let side = recipe(name).image_size;
    let summary = summarize(&*model, &Shape::new([1, 1, side, side]));
    assert_eq!(summary.total_parameters(), parameter_count, "{name}");
    let listed: Vec<(&str, &[usize])> = summary
        .rows()
        .iter()
        .map(|row| (row.path.as_str(), row.output_shape.dims()))
        .collect();
    for row in rows {
        assert!(listed.contains(row), "{name}: no row {row:?} in\n{summary}");
    }
    assert_eq!(listed.last().map(|row| row.1), Some(&[1, 10][..]), "{name}");

    let images = Tensor::rand_uniform([2, 1, side, side], 0.0, 1.0, &mut Rng::new(1));
    let images = Var::constant(images);
    let logits = model.forward(&images, &mut ForwardContext::evaluation());
    assert_eq!(logits.dims(), [2, 10], "{name}");
    assert!(logits.value().to_vec().iter().all(|v| v.is_finite()));

    let mut ctx = ForwardContext::training(3);
    let logits = model.forward(&images, &mut ctx);
    assert_eq!(logits.dims(), [2, 10], "{name}");
    let loss = nn::loss::cross_entropy(&logits, &Indices::from_vec(vec![3, 8], [2]));
    assert!(loss.value().to_vec()[0].is_finite(), "{name}");
    let gradients = ctx.backward(&loss);
    for (parameter_name, parameter) in model.parameters() {
        assert!(
            gradients.get(parameter).is_some(),
            "{name}: no gradient for {parameter_name}"
        );
    }
    for (buffer_name, buffer) in model.buffers() {
        if buffer_name.ends_with("num_batches_tracked") {
            assert_eq!(buffer.get().to_vec(), [1.0], "{name}: {buffer_name}");
        }
    }
}

#[test]
fn lenet() {
    check(
        "lenet",
        61_706,
        &[
            ("net.0", &[1, 6, 28, 28]),
            ("net.2", &[1, 6, 14, 14]),
            ("net.5", &[1, 16, 5, 5]),
            ("net.6", &[1, 400]),
            ("net.11", &[1, 10]),
        ],
    );
}

#[test]
fn vgg() {
    check(
        "vgg",
        43_093_322,
        &[
            ("net.0.2", &[1, 16, 112, 112]),
            ("net.1.2", &[1, 32, 56, 56]),
            ("net.2.4", &[1, 64, 28, 28]),
            ("net.3.4", &[1, 128, 14, 14]),
            ("net.4.4", &[1, 128, 7, 7]),
            ("net.5", &[1, 6272]),
            ("net.12", &[1, 10]),
        ],
    );
}

#[test]
fn nin() {
    check(
        "nin",
        1_992_166,
        &[
            ("net.0.5", &[1, 96, 54, 54]),
            ("net.1", &[1, 96, 26, 26]),
            ("net.3", &[1, 256, 12, 12]),
            ("net.5", &[1, 384, 5, 5]),
            ("net.7.5", &[1, 10, 5, 5]),
            ("net.8", &[1, 10, 1, 1]),
            ("net.9", &[1, 10]),
        ],
    );
}

#[test]
fn googlenet() {
    check(
        "googlenet",
        5_977_530,
        &[
            ("net.0.2", &[1, 64, 24, 24]),
            ("net.1.4", &[1, 192, 12, 12]),
            ("net.2.0.b3_2", &[1, 32, 12, 12]),
            ("net.2.0.b4_2", &[1, 32, 12, 12]),
            ("net.2.2", &[1, 480, 6, 6]),
            ("net.3.5", &[1, 832, 3, 3]),
            ("net.4.3", &[1, 1024]),
            ("net.5", &[1, 10]),
        ],
    );
}

#[test]
fn bn_lenet() {
    check(
        "bn-lenet",
        44_878,
        &[
            ("net.1", &[1, 6, 24, 24]),
            ("net.3", &[1, 6, 12, 12]),
            ("net.7", &[1, 16, 4, 4]),
            ("net.8", &[1, 256]),
            ("net.13", &[1, 84]),
            ("net.15", &[1, 10]),
        ],
    );
}

#[test]
fn resnet18() {
    check(
        "resnet18",
        11_178_378,
        &[
            ("net.0.3", &[1, 64, 24, 24]),
            ("net.b2.1.bn2", &[1, 64, 24, 24]),
            ("net.b3.0.conv3", &[1, 128, 12, 12]),
            ("net.b4.1.bn2", &[1, 256, 6, 6]),
            ("net.b5.1.bn2", &[1, 512, 3, 3]),
            ("net.last.1", &[1, 512]),
            ("net.last.2", &[1, 10]),
        ],
    );
}

#[test]
fn densenet() {
    check(
        "densenet",
        758_226,
        &[
            ("net.0.3", &[1, 64, 24, 24]),
            ("net.dense_blk1.net.3.2", &[1, 32, 24, 24]),
            ("net.tran_blk1.3", &[1, 96, 12, 12]),
            ("net.tran_blk2.3", &[1, 112, 6, 6]),
            ("net.tran_blk3.3", &[1, 120, 3, 3]),
            ("net.last.0", &[1, 248, 3, 3]),
            ("net.last.4", &[1, 10]),
        ],
    );
}

/// The registry's AlexNet is the classic one of `models::AlexNet` (`conv.*`, `fc.*`; conv1
/// without padding), checked against its own fixture of PyTorch names.
#[test]
fn alexnet() {
    let model = build("alexnet");
    let expected: Vec<String> = fixture("alexnet_state_dict.txt")
        .lines()
        .map(|line| {
            let (name, dims) = line.split_once(' ').expect("<name> <dims>");
            let dims: Vec<usize> = dims.split(',').map(|d| d.parse().unwrap()).collect();
            entry(name, &dims)
        })
        .collect();
    assert_eq!(our_state(&*model), (expected, vec![]));
    assert_eq!(model.parameter_count(), 46_764_746);
    let side = recipe("alexnet").image_size;
    let images = Var::constant(Tensor::zeros([2, 1, side, side]));
    let logits = model.forward(&images, &mut ForwardContext::evaluation());
    assert_eq!(logits.dims(), [2, 10]);
}

#[test]
fn the_registry_lists_the_books_recipes() {
    let recipe_of = |name| models::recipe(name).map(|r: Recipe| (r.image_size, r.learning_rate));
    let expected = [
        ("lenet", 28, 0.1),
        ("alexnet", 224, 0.01),
        ("vgg", 224, 0.01),
        ("nin", 224, 0.05),
        ("googlenet", 96, 0.01),
        ("bn-lenet", 28, 0.1),
        ("resnet18", 96, 0.01),
        ("densenet", 96, 0.01),
    ];
    let names: Vec<&str> = expected.iter().map(|e| e.0).collect();
    assert_eq!(models::NAMES.to_vec(), names);
    for (name, side, learning_rate) in expected {
        assert_eq!(recipe_of(name), Some((side, learning_rate)), "{name}");
        let recipe = models::recipe(name).unwrap();
        assert_eq!((recipe.batch_size, recipe.epochs), (128, 10), "{name}");
    }
    assert_eq!(models::recipe("resnet"), None);
    assert!(models::build("LeNet", &mut Rng::new(0)).is_none());
}

/// The largest |value| of a tensor.
fn max_abs(t: &Tensor) -> f32 {
    t.to_vec().iter().fold(0.0, |m, v| m.max(v.abs()))
}

/// Xavier-uniform weights where the book calls `apply_init(…, init_cnn)`, PyTorch's defaults in
/// AlexNet and DenseNet; biases PyTorch's default everywhere, batch norm at 1 and 0.
#[test]
fn initialisation_is_the_books() {
    for name in ["lenet", "bn-lenet", "googlenet", "densenet"] {
        let xavier = name != "densenet";
        let model = build(name);
        for (parameter_name, parameter) in model.parameters() {
            let dims = parameter.value.dims();
            let (largest, values) = (max_abs(&parameter.value), parameter.value.to_vec());
            if dims.len() == 1 {
                if parameter_name.ends_with("bias") {
                    continue; // conv/linear bias (±1/√fan_in) or batch norm's zeros
                }
                assert!(values.iter().all(|&v| v == 1.0), "{name} {parameter_name}");
                continue;
            }
            let receptive: usize = dims[2..].iter().product();
            let (fan_in, fan_out) = (dims[1] * receptive, dims[0] * receptive);
            let bound = if xavier {
                (6.0 / (fan_in + fan_out) as f32).sqrt()
            } else {
                1.0 / (fan_in as f32).sqrt()
            };
            assert!(
                largest <= bound && largest > 0.9 * bound,
                "{name} {parameter_name}: max |w| {largest}, bound {bound}"
            );
        }
    }
}

/// A checkpoint of a model with named blocks and buffers loads into a fresh one by name:
/// every parameter and buffer comes back, so both compute the same.
#[test]
fn densenet_checkpoint_round_trip() {
    let trained = build("densenet");
    // One training-mode pass, so that the running statistics differ from a fresh model's.
    let images = Tensor::rand_uniform([2, 1, 96, 96], 0.0, 1.0, &mut Rng::new(2));
    let images = Var::constant(images);
    trained.forward(&images, &mut ForwardContext::training(0));

    let path = std::env::temp_dir().join(format!(
        "rustgrad-densenet-{}.safetensors",
        std::process::id()
    ));
    nn::checkpoint::save_module(&*trained, &path).unwrap();
    let mut loaded = models::build("densenet", &mut Rng::new(99)).unwrap();
    let result = nn::checkpoint::load_module(&mut *loaded, &path);
    std::fs::remove_file(&path).unwrap();
    result.unwrap();

    let state = |m: &dyn Module| {
        nn::checkpoint::state_of(m)
            .into_iter()
            .map(|(n, t, _)| (n, t.to_vec()))
    };
    assert!(state(&*trained).eq(state(&*loaded)));
    let outputs = |m: &dyn Module| {
        m.forward(&images, &mut ForwardContext::evaluation())
            .value()
            .to_vec()
    };
    assert_eq!(outputs(&*trained), outputs(&*loaded));
}
