//! `nn.AvgPool2d`: the mean of each window.

use super::pooling_layer;

/// `torch.nn.AvgPool2d(kernel, stride, padding)` with PyTorch's defaults
/// (`count_include_pad=True`, `ceil_mode=False`): padded zeros count, so every window's sum is
/// divided by kernel².
pub struct AvgPool2d {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl AvgPool2d {
    pub fn new(kernel: usize, stride: usize, padding: usize) -> Self {
        AvgPool2d {
            kernel,
            stride,
            padding,
        }
    }
}

// `Display` (`AvgPool2d(kernel 2, stride 2, padding 0)`) and `Module`: the input check, then
// `Var::avg_pool2d`.
pooling_layer!(AvgPool2d, avg_pool2d);
