//! Shape mistakes panic with a message that names the op and the shapes involved.

use tensor::{Indices, Tensor};

#[test]
#[should_panic(expected = "add: shapes [2, 3] and [4] cannot be broadcast together")]
fn add_with_incompatible_shapes() {
    Tensor::zeros([2, 3]).add(&Tensor::zeros([4]));
}

#[test]
#[should_panic(expected = "mul: shapes [3, 2] and [2, 3] cannot be broadcast together")]
fn mul_with_incompatible_shapes() {
    let _ = &Tensor::zeros([3, 2]) * &Tensor::zeros([2, 3]);
}

#[test]
#[should_panic(
    expected = "matmul: shapes [2, 3] and [4, 5] do not chain: inner dimensions 3 and 4 differ"
)]
fn matmul_with_mismatched_inner_dimensions() {
    Tensor::zeros([2, 3]).matmul(&Tensor::zeros([4, 5]));
}

#[test]
#[should_panic(expected = "matmul: shapes [2, 3, 4] and [3, 4, 5] have different batch sizes")]
fn batched_matmul_with_mismatched_batches() {
    Tensor::zeros([2, 3, 4]).matmul(&Tensor::zeros([3, 4, 5]));
}

#[test]
#[should_panic(
    expected = "conv2d: input [1, 3, 8, 8] and weight [4, 2, 3, 3]: input has 3 channels but the weight expects 2"
)]
fn conv2d_with_wrong_channel_count() {
    Tensor::zeros([1, 3, 8, 8]).conv2d(&Tensor::zeros([4, 2, 3, 3]), None, 1, 0);
}

#[test]
#[should_panic(
    expected = "conv2d: input [1, 1, 4, 4] and weight [1, 1, 11, 11]: the 11x11 kernel is larger than the padded input"
)]
fn conv2d_with_kernel_larger_than_input() {
    Tensor::zeros([1, 1, 4, 4]).conv2d(&Tensor::zeros([1, 1, 11, 11]), None, 4, 0);
}

#[test]
#[should_panic(expected = "conv2d: bias [3] does not match the weight's 4 output channels")]
fn conv2d_with_wrong_bias() {
    Tensor::zeros([1, 2, 5, 5]).conv2d(
        &Tensor::zeros([4, 2, 3, 3]),
        Some(&Tensor::zeros([3])),
        1,
        0,
    );
}

#[test]
#[should_panic(expected = "max_pool2d: input [2, 3, 8]: input must be [N, C, H, W]")]
fn max_pool2d_on_a_3d_tensor() {
    Tensor::zeros([2, 3, 8]).max_pool2d(3, 2, 0);
}

#[test]
#[should_panic(expected = "reshape: cannot view shape [2, 3] (6 elements) as [4, 2] (8 elements)")]
fn reshape_to_a_different_size() {
    Tensor::zeros([2, 3]).reshape([4, 2]);
}

#[test]
#[should_panic(expected = "permute: [0, 0] is not a permutation of the axes of shape [2, 3]")]
fn permute_with_repeated_axis() {
    Tensor::zeros([2, 3]).permute(&[0, 0]);
}

#[test]
#[should_panic(expected = "sum: axis 2 does not exist in shape [2, 3]")]
fn sum_along_missing_axis() {
    Tensor::zeros([2, 3]).sum_axis(2, false);
}

#[test]
#[should_panic(expected = "cross_entropy: logits [4, 10] and labels [3] do not fit")]
fn cross_entropy_with_wrong_label_count() {
    Tensor::zeros([4, 10]).cross_entropy(&Indices::from_vec(vec![0, 1, 2], [3]));
}

#[test]
#[should_panic(expected = "cross_entropy: label 10 is out of range for 10 classes")]
fn cross_entropy_with_label_out_of_range() {
    Tensor::zeros([1, 10]).cross_entropy(&Indices::from_vec(vec![10], [1]));
}

#[test]
#[should_panic(expected = "from_vec: 5 values cannot fill shape [2, 3]")]
fn from_vec_with_wrong_length() {
    Tensor::from_vec(vec![0.0; 5], [2, 3]);
}
