//! `nn.MaxPool2d`: the largest value of each window.

use super::pooling_layer;

pub struct MaxPool2d {
    pub kernel: usize,
    pub stride: usize,
    pub padding: usize,
}

impl MaxPool2d {
    /// `nn.MaxPool2d(kernel, stride)`: no padding (AlexNet's kernel 3, stride 2).
    pub fn new(kernel: usize, stride: usize) -> Self {
        MaxPool2d::with_padding(kernel, stride, 0)
    }

    /// `nn.MaxPool2d(kernel, stride, padding)`: the input is padded with −∞ (padding never
    /// wins), as GoogLeNet's and ResNet's kernel 3, stride 2, padding 1.
    pub fn with_padding(kernel: usize, stride: usize, padding: usize) -> Self {
        MaxPool2d {
            kernel,
            stride,
            padding,
        }
    }
}

// `Display` (`MaxPool2d(kernel 3, stride 2, padding 0)`) and `Module`: the input check, then
// `Var::max_pool2d`; after a ReLU, `Var::relu_max_pool2d` (the ReLU taken in).
pooling_layer!(MaxPool2d, max_pool2d, after_relu: relu_max_pool2d);
