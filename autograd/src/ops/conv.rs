//! 2-D convolution. Its gradients are themselves convolution-shaped GEMMs (see the CPU
//! kernels): the input gradient scatters `Wᵀ · G` back through col2im, the weight gradient is
//! `G · im2colᵀ`, and the bias gradient sums G over batch and pixels.

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
