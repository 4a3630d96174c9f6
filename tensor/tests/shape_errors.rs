//! Shape mistakes panic with a message that names the op and the shapes involved.

use tensor::{Indices, Shape, Tensor};

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
#[should_panic(expected = "avg_pool2d: input [2, 3, 8]: input must be [N, C, H, W]")]
fn avg_pool2d_on_a_3d_tensor() {
    Tensor::zeros([2, 3, 8]).avg_pool2d(3, 2, 0);
}

#[test]
#[should_panic(
    expected = "avg_pool2d backward: output gradient [1, 1, 2, 2] does not match the output shape [1, 1, 3, 3]"
)]
fn avg_pool2d_backward_with_a_wrong_gradient_shape() {
    let g = tensor::Pool2dGeometry::from_shape(&Shape::new([1, 1, 7, 7]), 3, 2, 0);
    Tensor::zeros([1, 1, 2, 2]).avg_pool2d_backward(&g);
}

#[test]
#[should_panic(expected = "adaptive_avg_pool2d: input [2, 3, 8]: input must be [N, C, H, W]")]
fn adaptive_avg_pool2d_on_a_3d_tensor() {
    Tensor::zeros([2, 3, 8]).adaptive_avg_pool2d(1, 1);
}

#[test]
#[should_panic(
    expected = "adaptive_avg_pool2d: input [1, 2, 4, 4]: output size 0x3: need at least 1x1"
)]
fn adaptive_avg_pool2d_to_an_empty_output() {
    Tensor::zeros([1, 2, 4, 4]).adaptive_avg_pool2d(0, 3);
}

#[test]
#[should_panic(
    expected = "adaptive_avg_pool2d: input [1, 2, 0, 4]: H and W must not be 0 (an empty window has no mean)"
)]
fn adaptive_avg_pool2d_of_an_empty_image() {
    Tensor::zeros([1, 2, 0, 4]).adaptive_avg_pool2d(1, 1);
}

#[test]
#[should_panic(
    expected = "cat: part 1 has shape [2, 4, 5] but part 0 has [2, 3, 4]: sizes must match except along axis 1 (they differ along axis 2)"
)]
fn cat_with_mismatched_shapes() {
    Tensor::cat(&[Tensor::zeros([2, 3, 4]), Tensor::zeros([2, 4, 5])], 1);
}

#[test]
#[should_panic(
    expected = "cat: part 2 has shape [2, 3] of rank 2, but part 0 has [2, 3, 4] of rank 3"
)]
fn cat_with_mismatched_ranks() {
    let part = Tensor::zeros([2, 3, 4]);
    Tensor::cat(&[part.clone(), part, Tensor::zeros([2, 3])], 0);
}

#[test]
#[should_panic(expected = "cat: axis 2 does not exist in shape [2, 3] (rank 2)")]
fn cat_along_a_missing_axis() {
    Tensor::cat(&[Tensor::zeros([2, 3]), Tensor::zeros([2, 3])], 2);
}

#[test]
#[should_panic(expected = "cat: no tensors to join (expected a non-empty list)")]
fn cat_of_nothing() {
    Tensor::cat(&[], 0);
}

#[test]
#[should_panic(
    expected = "narrow: positions 2..5 are out of range of axis 1 (size 4) of shape [3, 4]"
)]
fn narrow_past_the_end() {
    Tensor::zeros([3, 4]).narrow(1, 2, 3);
}

#[test]
#[should_panic(expected = "narrow: axis 2 does not exist in shape [3, 4] (rank 2)")]
fn narrow_along_a_missing_axis() {
    Tensor::zeros([3, 4]).narrow(2, 0, 1);
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

// Sizes whose product does not fit: refused by name, in debug and release builds alike (a
// wrapped product would silently make an empty or wrongly sized tensor).

#[test]
#[should_panic(
    expected = "zeros: shape [1099511627776, 1099511627776] is too large: the product of its sizes overflows usize"
)]
fn zeros_whose_element_count_overflows() {
    Tensor::zeros([1 << 40, 1 << 40]);
}

#[test]
#[should_panic(
    expected = "ones: shape [4611686018427387904] needs 18446744073709551616 bytes (4 per element), more than one allocation can hold (9223372036854775807 bytes)"
)]
fn ones_whose_byte_size_overflows() {
    Tensor::ones([1 << 62]);
}

#[test]
#[should_panic(expected = "full: shape [2305843009213693952] needs 9223372036854775808 bytes")]
fn full_whose_byte_size_exceeds_one_allocation() {
    Tensor::full([1 << 61], 1.0);
}

#[test]
#[should_panic(
    expected = "from_vec: shape [4294967296, 4294967296] is too large: the product of its sizes overflows usize"
)]
fn from_vec_with_a_shape_whose_size_wraps_to_zero() {
    Tensor::from_vec(Vec::new(), [1 << 32, 1 << 32]);
}

#[test]
#[should_panic(
    expected = "reshape: shape [4294967296, 4294967296] is too large: the product of its sizes overflows usize"
)]
fn reshape_to_a_shape_whose_size_wraps_to_zero() {
    Tensor::zeros([0]).reshape([1 << 32, 1 << 32]);
}

#[test]
#[should_panic(
    expected = "add: shapes [4294967296, 1, 0] and [1, 4294967296, 0] broadcast to [4294967296, 4294967296, 0], which is too large"
)]
fn broadcast_whose_strides_overflow() {
    Tensor::zeros([1 << 32, 1, 0]).add(&Tensor::zeros([1, 1 << 32, 0]));
}

#[test]
#[should_panic(
    expected = "matmul: shapes [4294967296, 0] and [0, 4294967296] give an output [4294967296, 4294967296] that is too large: the product of its sizes overflows usize"
)]
fn matmul_whose_output_size_wraps_to_zero() {
    Tensor::zeros([1 << 32, 0]).matmul(&Tensor::zeros([0, 1 << 32]));
}

#[test]
#[should_panic(
    expected = "matmul: shapes [2147483648, 0] and [0, 2147483648] give an output [2147483648, 2147483648] that needs 18446744073709551616 bytes"
)]
fn matmul_whose_output_byte_size_overflows() {
    Tensor::zeros([1 << 31, 0]).matmul(&Tensor::zeros([0, 1 << 31]));
}

#[test]
#[should_panic(
    expected = "conv2d: input [1, 1, 1, 1] and weight [1, 1, 1, 1]: padding 9223372036854775808 makes the padded input larger than usize can count"
)]
fn conv2d_whose_padding_overflows() {
    Tensor::zeros([1, 1, 1, 1]).conv2d(&Tensor::zeros([1, 1, 1, 1]), None, 1, 1 << 63);
}

#[test]
#[should_panic(
    expected = "conv2d: input [1, 1, 1, 1] and weight [1, 1, 1, 1]: the output [1, 1, 4294967297, 4294967297] is too large: the product of its sizes overflows usize"
)]
fn conv2d_whose_output_size_overflows() {
    Tensor::zeros([1, 1, 1, 1]).conv2d(&Tensor::zeros([1, 1, 1, 1]), None, 1, 1 << 31);
}

#[test]
#[should_panic(
    expected = "max_pool2d: input [1, 1, 1, 1]: kernel 1, stride 1, padding 9223372036854775808: need kernel, stride >= 1 and padding <= kernel / 2"
)]
fn max_pool2d_whose_padding_overflows() {
    Tensor::zeros([1, 1, 1, 1]).max_pool2d(1, 1, 1 << 63);
}

#[test]
#[should_panic(
    expected = "resize_bilinear: resizing [1, 1, 1, 1] to 4294967296x4294967296: the output [1, 1, 4294967296, 4294967296] is too large: the product of its sizes overflows usize"
)]
fn resize_whose_output_size_wraps_to_zero() {
    Tensor::zeros([1, 1, 1, 1]).resize_bilinear(1 << 32, 1 << 32);
}

#[test]
#[should_panic(
    expected = "conv2d: input [1, 1099511627776, 1, 1] and weight [1, 1099511627776, 1, 1]: the im2col matrix of one image ([C_in, kH, kW, H_out, W_out] = [1099511627776, 1, 1, 4097, 4097]) is too large"
)]
fn conv2d_whose_im2col_matrix_overflows() {
    let (input, weight) = (
        Shape::new([1, 1 << 40, 1, 1]),
        Shape::new([1, 1 << 40, 1, 1]),
    );
    tensor::Conv2dGeometry::from_shapes(&input, &weight, 1, 1 << 11);
}

#[test]
#[should_panic(
    expected = "zeros: shape [1152921504606846976] needs 4611686018427387904 bytes, which could not be allocated"
)]
fn zeros_larger_than_memory_is_a_panic_not_an_abort() {
    // Counts and bytes fit, but no machine has 4 EiB (x86-64 addresses 128 TiB).
    Tensor::zeros([1 << 60]);
}
