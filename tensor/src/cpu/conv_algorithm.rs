//! Which convolution algorithm the CPU runs for a layer — chosen from measurements.
//!
//! `cargo bench --bench conv` times each algorithm on AlexNet's layers. On the 2-core AVX-512
//! build VM (batch 32, 2 threads; fastest of 8 interleaved runs, ms; im2col / Winograd):
//!
//! | layer                        | forward  | input grad | weight grad |
//! |------------------------------|----------|------------|-------------|
//! | conv2 96→256, 5×5, 26×26     | 120 / 74 | 110 / 98   | 119 / 78    |
//! | conv3 256→384, 3×3, 12×12    | 41 / 27  | 37 / 31    | 37 / 30     |
//! | conv4 384→384, 3×3, 12×12    | 57 / 40  | 57 / 41    | 59 / 42     |
//! | conv5 384→256, 3×3, 12×12    | 40 / 31  | 39 / 30    | 42 / 30     |
//!
//! So: Winograd (`winograd.rs`) for all three passes of square 3×3 and 5×5 stride-1 layers
//! (padding below the kernel size) with at least [`WINOGRAD_MIN_CHANNELS`] channels on both
//! sides (the range measured; with few channels the tile transforms weigh more than the GEMMs
//! they shrink). Everything else — conv1's 11×11 stride 4 above all — runs im2col + GEMM
//! (`conv.rs`). The naive direct loops in `conv.rs` are the reference both are tested against.
//!
//! This table is the CPU's only: the CUDA backend runs im2col + cuBLAS GEMM for every layer
//! and pass (`cuda/conv.rs`).

use super::{conv, winograd};
use crate::backend::Conv2dGeometry;

/// Many channels on both sides: the GEMMs, which Winograd shrinks, dominate its transforms.
fn wide(g: &Conv2dGeometry) -> bool {
    g.in_channels >= WINOGRAD_MIN_CHANNELS && g.out_channels >= WINOGRAD_MIN_CHANNELS
}

/// Channels (in and out) from which Winograd is chosen; AlexNet's 3×3 layers have 256 or more.
pub const WINOGRAD_MIN_CHANNELS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvAlgorithm {
    /// Direct loops: the reference, far too slow for training.
    Naive,
    /// Each receptive field copied into a column, then one GEMM per image (`conv.rs`); any
    /// geometry.
    Im2colGemm,
    /// Winograd's minimal filtering (`winograd.rs`), for square 3×3 and 5×5 kernels at stride 1
    /// with padding below the kernel size, in all three passes:
    /// - forward: F(4×4, 3×3) or F(3×3, 5×5) (4× and 4.6× fewer multiplications than direct);
    /// - input gradient: the same transforms, run as the forward convolution of dy with the
    ///   kernels flipped and their channel axes swapped;
    /// - weight gradient: F(3×3, 4×4) or F(5×5, 4×4), with 4×4 blocks of dy as the "kernel".
    Winograd,
}

impl ConvAlgorithm {
    /// The algorithm for the forward pass of `g`.
    pub fn for_forward(g: &Conv2dGeometry) -> Self {
        if winograd::supports(g) && wide(g) {
            ConvAlgorithm::Winograd
        } else {
            ConvAlgorithm::Im2colGemm
        }
    }

    /// The algorithm for the input gradient of `g`: the forward's (in the table above, the
    /// forward's choice also wins this pass on every layer).
    pub fn for_input_grad(g: &Conv2dGeometry) -> Self {
        ConvAlgorithm::for_forward(g)
    }

    /// The algorithm for the weight gradient of `g`: the forward's too (likewise measured).
    pub fn for_weight_grad(g: &Conv2dGeometry) -> Self {
        ConvAlgorithm::for_forward(g)
    }

    /// `y = conv(x, W) + bias`.
    pub fn forward(
        self,
        x: &[f32],
        weight: &[f32],
        bias: Option<&[f32]>,
        g: &Conv2dGeometry,
    ) -> Vec<f32> {
        match self {
            ConvAlgorithm::Naive => conv::conv2d_naive(x, weight, bias, g),
            ConvAlgorithm::Im2colGemm => conv::conv2d(x, weight, bias, g),
            ConvAlgorithm::Winograd => winograd::conv2d(x, weight, bias, g),
        }
    }

    /// `dx` from `dy`.
    pub fn input_grad(self, grad_out: &[f32], weight: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
        match self {
            ConvAlgorithm::Naive => conv::conv2d_input_grad_naive(grad_out, weight, g),
            ConvAlgorithm::Im2colGemm => conv::conv2d_input_grad(grad_out, weight, g),
            ConvAlgorithm::Winograd => winograd::conv2d_input_grad(grad_out, weight, g),
        }
    }

    /// `dW` from `dy` and `x`.
    pub fn weight_grad(self, grad_out: &[f32], x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
        match self {
            ConvAlgorithm::Naive => conv::conv2d_weight_grad_naive(grad_out, x, g),
            ConvAlgorithm::Im2colGemm => conv::conv2d_weight_grad(grad_out, x, g),
            ConvAlgorithm::Winograd => winograd::conv2d_weight_grad(grad_out, x, g),
        }
    }
}
