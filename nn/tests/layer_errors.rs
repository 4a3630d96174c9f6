//! A layer given the wrong input names itself, its place in the model and the input's shape,
//! and the panic points at the caller's line: `Module::forward` is `#[track_caller]` in the
//! trait, so the location passes through `&dyn Module`, `Box<dyn Module>` and `Sequential`.

use autograd::Var;
use nn::layers::{Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential};
use nn::{ForwardContext, Module};
use std::cell::RefCell;
use std::panic;
use tensor::{Indices, Rng, Tensor};

thread_local! {
    static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
}

/// Runs `f`, which must panic, and returns the panic's message and the line it was reported at,
/// which must be in this file (not in the library).
fn panic_of(f: impl FnOnce()) -> (String, u32) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let at = info.location().map(|l| (l.file().to_string(), l.line()));
            LOCATION.with(|l| *l.borrow_mut() = at);
            default(info);
        }));
    });
    let payload = panic::catch_unwind(panic::AssertUnwindSafe(f)).expect_err("did not panic");
    let message = match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload.downcast_ref::<&str>().unwrap_or(&"").to_string(),
    };
    let (file, line) = LOCATION
        .with(|l| l.borrow_mut().take())
        .expect("a panic location");
    assert_eq!(file, file!(), "{message}\nreported in {file}:{line}");
    (message, line)
}

fn input(dims: impl Into<tensor::Shape>) -> Var {
    Var::constant(Tensor::zeros(dims))
}

#[test]
fn linear_given_the_wrong_number_of_features() {
    let linear = Linear::new(6, 4, &mut Rng::new(0));
    let x = input([8, 5]);
    let mut ctx = ForwardContext::evaluation();
    let (message, line) = panic_of(|| {
        linear.forward(&x, &mut ctx);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(message, "Linear(6 → 4): expected input [N, 6], got [8, 5]");

    // Through a trait object, as a model holds its layers.
    let boxed: Box<dyn Module> = Box::new(linear);
    let (message, line) = panic_of(|| {
        boxed.forward(&x, &mut ctx);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(message, "Linear(6 → 4): expected input [N, 6], got [8, 5]");
}

#[test]
fn linear_given_an_unflattened_input_says_to_flatten_it() {
    let linear = Linear::new(12, 2, &mut Rng::new(0));
    let (message, _) = panic_of(|| {
        linear.forward(&input([2, 3, 2, 2]), &mut ForwardContext::evaluation());
    });
    assert_eq!(
        message,
        "Linear(12 → 2): expected input [N, 12], got [2, 3, 2, 2]; flatten it first (layers::Flatten)"
    );
}

#[test]
fn a_layer_in_a_sequential_names_its_position() {
    let mut rng = Rng::new(0);
    let model = Sequential::new(vec![
        Box::new(Linear::new(5, 6, &mut rng)),
        Box::new(ReLU),
        Box::new(Linear::new(7, 2, &mut rng)),
    ]);
    let x = input([8, 5]);
    // Evaluation runs each layer's plain forward...
    let (message, line) = panic_of(|| {
        model.forward(&x, &mut ForwardContext::evaluation());
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "module 2, Linear(7 → 2): expected input [N, 7], got [8, 6]"
    );
    // ...training fuses Linear + ReLU (`forward_relu`), which checks the same way.
    let (message, line) = panic_of(|| {
        model.forward(&input([8, 4]), &mut ForwardContext::training(0));
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "module 0, Linear(5 → 6): expected input [N, 5], got [8, 4]"
    );
    // Nested containers give a dotted path, as parameter names do (`1.0.weight`).
    let nested: Box<dyn Module> = Box::new(Sequential::new(vec![
        Box::new(Flatten),
        Box::new(Sequential::new(vec![Box::new(Linear::new(3, 2, &mut rng))])),
    ]));
    let (message, line) = panic_of(|| {
        nested.forward(&input([4, 2, 2]), &mut ForwardContext::training(0));
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "module 1.0, Linear(3 → 2): expected input [N, 3], got [4, 4]"
    );
}

#[test]
fn conv2d_given_the_wrong_input() {
    let conv = Conv2d::new(3, 8, 3, 1, 1, &mut Rng::new(0));
    let mut ctx = ForwardContext::training(0);
    let (message, line) = panic_of(|| {
        conv.forward(&input([2, 1, 8, 8]), &mut ctx);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "Conv2d(3 → 8, kernel 3, stride 1, padding 1): expected input [N, 3, H, W], got [2, 1, 8, 8]"
    );
    let (message, _) = panic_of(|| {
        conv.forward(&input([3, 8, 8]), &mut ctx);
    });
    assert_eq!(
        message,
        "Conv2d(3 → 8, kernel 3, stride 1, padding 1): expected input [N, 3, H, W], got [3, 8, 8]; for one image, reshape it to [1, 3, 8, 8]"
    );
    let big = Conv2d::new(1, 1, 5, 1, 0, &mut Rng::new(0));
    let (message, _) = panic_of(|| {
        big.forward(&input([1, 1, 3, 3]), &mut ctx);
    });
    assert_eq!(
        message,
        "Conv2d(1 → 1, kernel 5, stride 1, padding 0): input [1, 1, 3, 3]: the 5x5 kernel is larger than the padded input"
    );
}

#[test]
fn conv2d_in_a_model_behind_a_trait_object() {
    let mut rng = Rng::new(0);
    let model: Box<dyn Module> = Box::new(Sequential::new(vec![
        Box::new(Conv2d::new(1, 4, 3, 1, 1, &mut rng)),
        Box::new(ReLU),
        Box::new(Conv2d::new(3, 4, 3, 1, 1, &mut rng)),
    ]));
    let (message, line) = panic_of(|| {
        model.forward(&input([2, 1, 8, 8]), &mut ForwardContext::training(0));
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "module 2, Conv2d(3 → 4, kernel 3, stride 1, padding 1): expected input [N, 3, H, W], got [2, 4, 8, 8]"
    );
}

#[test]
fn max_pool2d_and_flatten_given_the_wrong_input() {
    let pool = MaxPool2d::new(3, 2);
    let mut ctx = ForwardContext::evaluation();
    let (message, line) = panic_of(|| {
        pool.forward(&input([1, 1, 2, 2]), &mut ctx);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "MaxPool2d(kernel 3, stride 2, padding 0): input [1, 1, 2, 2]: the 3x3 window is larger than the padded input"
    );
    let (message, _) = panic_of(|| {
        pool.forward(&input([2, 8]), &mut ctx);
    });
    assert_eq!(
        message,
        "MaxPool2d(kernel 3, stride 2, padding 0): expected input [N, C, H, W], got [2, 8]"
    );
    let (message, line) = panic_of(|| {
        Flatten.forward(&Var::constant(Tensor::scalar(1.0)), &mut ctx);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(message, "Flatten: expected input [N, ...], got []");
}

#[test]
fn cross_entropy_with_a_label_out_of_range_points_at_the_caller() {
    let model = Linear::new(4, 3, &mut Rng::new(0));
    let mut ctx = ForwardContext::training(0);
    let logits = model.forward(&input([2, 4]), &mut ctx);
    let labels = Indices::from_vec(vec![0, 3], [2]);
    let (message, line) = panic_of(|| {
        nn::loss::cross_entropy(&logits, &labels);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "cross_entropy: label 3 is out of range for 3 classes"
    );
}

#[test]
fn an_op_recorded_after_backward_points_at_the_caller() {
    let model = Linear::new(4, 3, &mut Rng::new(0));
    let mut ctx = ForwardContext::training(0);
    let logits = model.forward(&input([2, 4]), &mut ctx);
    let loss = nn::loss::cross_entropy(&logits, &Indices::from_vec(vec![0, 2], [2]));
    ctx.backward(&loss);
    let (message, line) = panic_of(|| {
        logits.relu();
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "relu: this tape's backward() has already run; record a new forward pass on a new Tape"
    );
}

#[test]
fn cross_entropy_with_computed_labels_out_of_range_points_at_the_caller() {
    // Labels computed by an op (argmax) on the CPU know their largest value, so `cross_entropy`
    // checks them before the kernel runs, at the caller's line.
    let scores = Tensor::from_vec(vec![0.0, 0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0], [2, 4]);
    let labels = scores.argmax_axis(1); // [3, 0]
    let logits = Var::constant(Tensor::zeros([2, 3]));
    let (message, line) = panic_of(|| {
        nn::loss::cross_entropy(&logits, &labels);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "cross_entropy: label 3 is out of range for 3 classes"
    );
}

#[test]
#[should_panic(expected = "Dropout: probability 1.5 is not in [0, 1]")]
fn dropout_refuses_a_probability_outside_zero_to_one() {
    nn::layers::Dropout::new(1.5);
}

#[test]
fn a_model_names_the_layer_like_its_parameters() {
    // 100×100 images pass every convolution but leave 256·2·2 features, not fc.0's 256·5·5.
    let model = nn::models::AlexNet::new(&mut Rng::new(0));
    let images = Var::constant(Tensor::zeros([1, 1, 100, 100]));
    let (message, line) = panic_of(|| {
        model.forward(&images, &mut ForwardContext::evaluation());
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "module fc.0, Linear(6400 → 4096): expected input [N, 6400], got [1, 1024]"
    );
}
