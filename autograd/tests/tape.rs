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
