//! `nn.MaxPool2d`: the largest value of each window.

use crate::{ForwardContext, Module};
use autograd::Var;

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

impl Module for MaxPool2d {
    fn forward(&self, input: &Var, _: &mut ForwardContext) -> Var {
        input.max_pool2d(self.kernel, self.stride, self.padding)
    }
}
