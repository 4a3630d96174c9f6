//! `nn.MaxPool2d`: the largest value of each window.

use super::pooling_layer;

pub struct MaxPool2d {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl MaxPool2d {
    pub fn new(kernel: usize, stride: usize) -> Self {
        MaxPool2d {
            kernel,
            stride,
            padding: 0,
        }
    }
}

// `Display` (`MaxPool2d(kernel 3, stride 2, padding 0)`) and `Module`: the input check, then
// `Var::max_pool2d`.
pooling_layer!(MaxPool2d, max_pool2d);
