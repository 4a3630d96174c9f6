//! The CPU backend: plain `Vec<f32>` buffers, rayon for parallelism, matrixmultiply for GEMM.
//!
//! Each kernel family has its own file, with the optimized kernel and its naive reference side
//! by side (the `*_naive` functions, used by tests and benches).

pub mod allocator;
pub mod conv;
pub mod conv_algorithm;
pub mod elementwise;
pub mod gemm;
pub mod layout;
pub mod optim;
pub mod pool;
pub mod reduce;
pub mod resize;
pub mod softmax;
pub mod threads;
pub mod winograd;

use crate::backend::{
    AdamUpdate, AdaptivePool2dGeometry, AxisLayout, Backend, BinaryOp, BroadcastShapes,
    Conv2dGeometry, GatherImages, GemmSpec, Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep,
    UnaryOp,
};
use crate::Shape;
use conv_algorithm::ConvAlgorithm;

/// A tensor's values in host memory.
#[derive(Clone, Debug, PartialEq)]
pub struct CpuStorage(pub Vec<f32>);

impl Backend for CpuStorage {
    type Indices = Vec<u32>;

    fn len(&self) -> usize {
        self.0.len()
    }

    fn to_vec(&self) -> Vec<f32> {
        self.0.clone()
    }

    fn unary(&self, op: UnaryOp) -> Self {
        CpuStorage(elementwise::unary(&self.0, op))
    }

    fn binary(&self, rhs: &Self, op: BinaryOp, shapes: &BroadcastShapes) -> Self {
        CpuStorage(elementwise::binary(&self.0, &rhs.0, op, shapes))
    }

    fn binary_assign(&mut self, rhs: &Self, op: BinaryOp, _shape: &Shape) {
        elementwise::binary_assign(&mut self.0, &rhs.0, op);
    }

    fn bias_relu(&self, bias: &Self, layout: AxisLayout) -> Self {
        CpuStorage(elementwise::bias_relu(&self.0, &bias.0, layout))
    }

    fn bias_relu_assign(&mut self, bias: &Self, layout: AxisLayout) {
        elementwise::bias_relu_assign(&mut self.0, &bias.0, layout);
    }

    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self {
        CpuStorage(layout::permute(&self.0, shape, axes))
    }

    fn cat(parts: &[&Self], lens: &[usize], outer: usize, inner: usize) -> Self {
        let parts: Vec<&[f32]> = parts.iter().map(|p| p.0.as_slice()).collect();
        CpuStorage(layout::cat(&parts, lens, outer, inner))
    }

    fn narrow(&self, layout: AxisLayout, start: usize, len: usize) -> Self {
        CpuStorage(layout::narrow(&self.0, layout, start, len))
    }

    fn reduce(&self, op: ReduceOp, layout: AxisLayout) -> Self {
        CpuStorage(reduce::reduce(&self.0, op, layout))
    }

    fn argmax(&self, layout: AxisLayout) -> Vec<u32> {
        reduce::argmax(&self.0, layout)
    }

    fn scatter_along_axis(&self, indices: &Vec<u32>, layout: AxisLayout) -> Self {
        CpuStorage(reduce::scatter_along_axis(&self.0, indices, layout))
    }

    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self {
        CpuStorage(gemm::gemm(&self.0, &rhs.0, spec))
    }

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, geometry: &Conv2dGeometry) -> Self {
        let bias = bias.map(|b| b.0.as_slice());
        let algorithm = ConvAlgorithm::for_forward(geometry);
        CpuStorage(algorithm.forward(&self.0, &weight.0, bias, geometry))
    }

    fn conv2d_input_grad(&self, weight: &Self, geometry: &Conv2dGeometry) -> Self {
        let algorithm = ConvAlgorithm::for_input_grad(geometry);
        CpuStorage(algorithm.input_grad(&self.0, &weight.0, geometry))
    }

    fn conv2d_weight_grad(&self, input: &Self, geometry: &Conv2dGeometry) -> Self {
        let algorithm = ConvAlgorithm::for_weight_grad(geometry);
        CpuStorage(algorithm.weight_grad(&self.0, &input.0, geometry))
    }

    fn max_pool2d(&self, geometry: &Pool2dGeometry) -> (Self, Vec<u32>) {
        let (out, indices) = pool::max_pool2d(&self.0, geometry);
        (CpuStorage(out), indices)
    }

    fn max_pool2d_backward(&self, indices: &Vec<u32>, geometry: &Pool2dGeometry) -> Self {
        CpuStorage(pool::max_pool2d_backward(&self.0, indices, geometry))
    }

    fn avg_pool2d(&self, geometry: &Pool2dGeometry) -> Self {
        CpuStorage(pool::avg_pool2d(&self.0, geometry))
    }

    fn avg_pool2d_backward(&self, geometry: &Pool2dGeometry) -> Self {
        CpuStorage(pool::avg_pool2d_backward(&self.0, geometry))
    }

    fn adaptive_avg_pool2d(&self, geometry: &AdaptivePool2dGeometry) -> Self {
        CpuStorage(pool::adaptive_avg_pool2d(&self.0, geometry))
    }

    fn adaptive_avg_pool2d_backward(&self, geometry: &AdaptivePool2dGeometry) -> Self {
        CpuStorage(pool::adaptive_avg_pool2d_backward(&self.0, geometry))
    }

    fn softmax(&self, layout: AxisLayout) -> Self {
        CpuStorage(softmax::softmax(&self.0, layout))
    }

    fn log_softmax(&self, layout: AxisLayout) -> Self {
        CpuStorage(softmax::log_softmax(&self.0, layout))
    }

    fn cross_entropy(&self, labels: &Vec<u32>, rows: usize, classes: usize) -> Self {
        CpuStorage(vec![softmax::cross_entropy(&self.0, labels, rows, classes)])
    }

    fn cross_entropy_backward(
        &self,
        labels: &Vec<u32>,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self {
        let grad = grad_loss.0[0];
        CpuStorage(softmax::cross_entropy_backward(
            &self.0, labels, grad, rows, classes,
        ))
    }

    fn adam_step(updates: &mut [AdamUpdate<'_, Self>]) {
        for u in updates {
            optim::adam_step(&mut u.param.0, &u.grad.0, &mut u.m.0, &mut u.v.0, &u.hyper);
        }
    }

    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, hyper: &SgdStep) {
        let buffer = momentum_buffer.map(|b| b.0.as_mut_slice());
        optim::sgd_step(&mut self.0, &grad.0, buffer, hyper);
    }

    fn resize_bilinear(&self, geometry: &ResizeGeometry) -> Self {
        CpuStorage(resize::resize_bilinear(&self.0, geometry))
    }

    fn gather_images(pixels: &Vec<u32>, picks: &Vec<u32>, geometry: &GatherImages) -> Self {
        CpuStorage(resize::gather_images(pixels, picks, geometry))
    }

    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self {
        CpuStorage(elementwise::dropout_mask(self.0.len(), p, seed))
    }
}
