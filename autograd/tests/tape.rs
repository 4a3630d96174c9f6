//! The tape's bookkeeping: what is recorded, what is returned, what is refused.

use autograd::{backward, Tape, Var};
use tensor::Tensor;

#[test]
fn evaluation_without_a_tape_records_nothing() {
    let x = Var::constant(Tensor::ones([2, 2]));
    let y = x.mul(&x).relu().sum();
    assert!(!y.is_tracked());
    assert_eq!(y.value().item(), 4.0);
}

#[test]
fn only_ops_on_tracked_values_are_recorded() {
    let tape = Tape::new();
    let w = tape.leaf(Tensor::ones([3]));
    let x = Var::constant(Tensor::ones([3]));
    let _constant_work = x.exp().sum();
    assert_eq!(tape.len(), 1, "ops on constants stay off the tape");
    let _loss = w.mul(&x).sum();
    assert_eq!(tape.len(), 3);
}

#[test]
fn gradients_are_keyed_by_leaf_and_absent_when_unused() {
    let tape = Tape::new();
    let a = tape.leaf(Tensor::from_vec(vec![1.0, 2.0], [2]));
    let unused = tape.leaf(Tensor::zeros([5]));
    let loss = a.mul(&a).sum();
    let grads = backward(&loss);
    assert_eq!(grads.get(&a).unwrap().to_vec(), vec![2.0, 4.0]);
    assert!(grads.get(&unused).is_none());
    assert_eq!(grads.get_or_zeros(&unused).to_vec(), vec![0.0; 5]);
}

#[test]
#[should_panic(expected = "backward: the loss must be a scalar, not shape [2]")]
fn backward_of_a_non_scalar() {
    let tape = Tape::new();
    let a = tape.leaf(Tensor::ones([2]));
    backward(&a.exp());
}

#[test]
#[should_panic(expected = "backward: this tape's backward() has already run")]
fn backward_twice_on_one_tape() {
    let tape = Tape::new();
    let a = tape.leaf(Tensor::ones([2]));
    let loss = a.sum();
    backward(&loss);
    backward(&loss);
}

#[test]
#[should_panic(expected = "backward: the loss was computed without a tape")]
fn backward_of_an_untracked_value() {
    backward(&Var::constant(Tensor::scalar(1.0)));
}

#[test]
#[should_panic(expected = "an op mixes Vars from two different tapes")]
fn mixing_tapes() {
    let (t1, t2) = (Tape::new(), Tape::new());
    t1.leaf(Tensor::ones([1])).add(&t2.leaf(Tensor::ones([1])));
}

#[test]
#[should_panic(expected = "conv2d: input [1, 3, 8, 8] and weight [4, 2, 3, 3]")]
fn shape_mistakes_in_var_ops_panic_like_tensor_ops() {
    let tape = Tape::new();
    let x = tape.leaf(Tensor::zeros([1, 3, 8, 8]));
    x.conv2d(&tape.leaf(Tensor::zeros([4, 2, 3, 3])), None, 1, 0);
}

/// Runs `f`, which must panic, and returns the panic's message and the line it was reported at
/// (in this file; the test fails if it was reported in another file, e.g. the library's).
fn panic_of(f: impl FnOnce()) -> (String, u32) {
    use std::cell::RefCell;
    use std::panic;
    thread_local! {
        static LOCATION: RefCell<Option<(String, u32)>> = const { RefCell::new(None) };
    }
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

#[test]
fn recording_after_backward_is_refused_at_the_callers_line() {
    let tape = Tape::new();
    let w = tape.leaf(Tensor::ones([2]));
    let loss = w.mul(&w).sum();
    backward(&loss);
    let (message, line) = panic_of(|| {
        w.mul(&w); // a binary op
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "mul: this tape's backward() has already run; record a new forward pass on a new Tape"
    );
    let (message, line) = panic_of(|| {
        loss.exp(); // a unary op
    });
    assert_eq!(line, line!() - 2);
    assert!(message.starts_with("exp: this tape's backward() has already run"));
    let (message, line) = panic_of(|| {
        tape.leaf(Tensor::ones([1]));
    });
    assert_eq!(line, line!() - 2);
    assert!(message.starts_with("leaf: this tape's backward() has already run"));
}

#[test]
fn shape_mistakes_in_var_ops_are_reported_at_the_callers_line() {
    let tape = Tape::new();
    let logits = tape.leaf(Tensor::zeros([2, 3]));
    let labels = tensor::Indices::from_vec(vec![0, 3], [2]);
    let (message, line) = panic_of(|| {
        logits.cross_entropy(&labels);
    });
    assert_eq!(line, line!() - 2);
    assert_eq!(
        message,
        "cross_entropy: label 3 is out of range for 3 classes"
    );
    let (_, line) = panic_of(|| {
        logits.matmul(&logits);
    });
    assert_eq!(line, line!() - 2);
    let (_, line) = panic_of(|| {
        logits.max_pool2d(3, 2, 0);
    });
    assert_eq!(line, line!() - 2);
    let (_, line) = panic_of(|| {
        logits.sum_axis(5, false);
    });
    assert_eq!(line, line!() - 2);
}
