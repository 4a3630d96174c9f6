//! Which convolution algorithm the CPU runs for a layer — chosen from measurements.
//!
//! `cargo bench --bench conv` times each algorithm on AlexNet's layers. On the 2-core AVX-512
//! build VM (batch 32, 2 threads, best of 15 runs, ms):
//!
//! | layer (3×3, stride 1, pad 1, 12×12) | forward: im2col / Winograd | input grad: im2col / Winograd |
//! |-------------------------------------|----------------------------|-------------------------------|
//! | conv3 256→384                       | 36 / 27                    | 35 / 30                       |
//! | conv4 384→384                       | 54 / 40                    | 53 / 40                       |
//! | conv5 384→256                       | 38 / 29                    | 37 / 28                       |
//!
//! So: Winograd F(2×2, 3×3) for the forward pass and input gradient of 3×3 stride-1 layers with
//! at least [`WINOGRAD_MIN_CHANNELS`] channels on both sides (the range measured; with few
//! channels the tile transforms weigh more than the GEMMs they shrink). Everything else —
//! conv1's 11×11 stride 4, conv2's 5×5, every weight gradient — runs im2col + GEMM.
//! The naive direct loops in `conv.rs` are the reference both are tested against.

use super::{conv, winograd};
use crate::backend::Conv2dGeometry;

/// Channels (in and out) from which Winograd is chosen; AlexNet's 3×3 layers have 256 or more.
pub const WINOGRAD_MIN_CHANNELS: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConvAlgorithm {
    /// Direct loops: the reference, far too slow for training.
    Naive,
    /// Each receptive field copied into a column, then one GEMM per image.
    Im2colGemm,
    /// Winograd F(2×2, 3×3): 3×3 stride-1 kernels only, forward and input gradient.
    Winograd,
}

impl ConvAlgorithm {
    /// The algorithm for the forward pass and the input gradient of `g`.
    pub fn for_forward(g: &Conv2dGeometry) -> Self {
        let wide =
            g.in_channels >= WINOGRAD_MIN_CHANNELS && g.out_channels >= WINOGRAD_MIN_CHANNELS;
        if winograd::supports(g) && wide {
            ConvAlgorithm::Winograd
        } else {
            ConvAlgorithm::Im2colGemm
        }
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

    /// `dW` from `dy` and `x`; Winograd has no weight-gradient kernel here, so it means im2col.
    pub fn weight_grad(self, grad_out: &[f32], x: &[f32], g: &Conv2dGeometry) -> Vec<f32> {
        match self {
            ConvAlgorithm::Naive => conv::conv2d_weight_grad_naive(grad_out, x, g),
            ConvAlgorithm::Im2colGemm | ConvAlgorithm::Winograd => {
                conv::conv2d_weight_grad(grad_out, x, g)
            }
        }
    }
}
