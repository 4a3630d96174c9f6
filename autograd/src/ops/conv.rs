//! 2-D convolution and its backward rule.
//!
//! The forward pass and both big gradients are tensor ops, so this rule only wires them up:
//! - input gradient: `dy.conv2d_input_grad(W)` (the forward's adjoint: each output gradient
//!   flows back, weighted by W, to the input pixels it read);
//! - weight gradient: `dy.conv2d_weight_grad(x)` (each weight collects `dy · x` over every
//!   place it was applied, summed over the batch);
//! - bias gradient: `dy` summed over batch and pixels, here.
//!
//! How each tensor op computes its pass is the backend's choice. On the CPU,
//! `tensor/src/cpu/conv_algorithm.rs` picks per layer and per pass from measurements: Winograd
//! for wide 3×3 and 5×5 stride-1 layers, im2col + GEMM for the rest (the input gradient as
//! `Wᵀ · dy` scattered back by col2im, the weight gradient as `dy · im2col(x)ᵀ`). The CUDA
//! backend runs im2col + cuBLAS GEMM for every pass.

use crate::var::rule;
use crate::Var;
use tensor::Conv2dGeometry;

impl Var {
    /// `conv2d(x, W) + b` with square stride and zero padding, like `torch.nn.functional.conv2d`.
    #[track_caller]
    pub fn conv2d(&self, weight: &Var, bias: Option<&Var>, stride: usize, padding: usize) -> Var {
        let (x, w) = (self.value().clone(), weight.value().clone());
        let out = x.conv2d(&w, bias.map(Var::value), stride, padding);
        let geometry = Conv2dGeometry::from_shapes(x.shape(), w.shape(), stride, padding);
        let input_rule = rule(move |g| g.conv2d_input_grad(&w, &geometry));
        let weight_rule = rule(move |g| g.conv2d_weight_grad(&x, &geometry));
        match bias {
            None => Var::record("conv2d", out, [(self, input_rule), (weight, weight_rule)]),
            Some(bias) => {
                // Each bias value was added at every (n, y, x): sum over those axes.
                let bias_rule = rule(conv2d_bias_grad);
                Var::record(
                    "conv2d",
                    out,
                    [(self, input_rule), (weight, weight_rule), (bias, bias_rule)],
                )
            }
        }
    }
}

/// `Σ_{n,y,x} g[n, c, y, x]`: viewing g as `[N, C, H·W]` makes the inner sum run over
/// contiguous memory.
fn conv2d_bias_grad(g: &tensor::Tensor) -> tensor::Tensor {
    let [n, c, h, w] = g.dims().try_into().expect("conv2d output is 4-D");
    g.reshape([n, c, h * w])
        .sum_axis(2, false)
        .sum_axis(0, false)
}
