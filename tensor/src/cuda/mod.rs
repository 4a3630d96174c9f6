//! The CUDA backend (feature `cuda`): the [`Backend`] kernels as launches of the `.cu` kernels in
//! `kernels/` (compiled at run time by NVRTC) plus cuBLAS for GEMMs.
//!
//! This file is only the forwarding table; it mirrors `cpu/mod.rs`. Each kernel family has its
//! launch code in a file named like the CPU's and like its `.cu` file (`conv.rs` ↔
//! `cpu/conv.rs` ↔ `kernels/conv.cu`). Around them:
//! - `device.rs`: opening a GPU (context, stream, kernels, cuBLAS), `memory.rs`: device buffers,
//! - `launch.rs`: how a kernel is launched, `blas.rs`: GEMM through cuBLAS and the TF32 switches,
//! - `kernels.rs`: compiling the `.cu` files with NVRTC, `error.rs`: what a failed call says.
//!
//! Everything runs on one stream, in order; nothing waits for the GPU except reading values back
//! (`to_vec`), unless `RUSTGRAD_CUDA_SYNC=1` asks to wait after every kernel.

mod blas;
mod conv;
mod device;
mod elementwise;
mod error;
pub mod kernels;
mod launch;
mod layout;
mod memory;
mod optim;
mod pool;
mod reduce;
mod resize;
mod softmax;

pub use blas::set_tf32;
pub use conv::images_per_chunk as conv_images_per_chunk;
pub use device::{device, gpu_for_tests, CudaDevice};
pub use error::describe as describe_error;
pub use memory::{DeviceBuffer, Span};

use crate::backend::{
    AdamUpdate, AdaptivePool2dGeometry, AxisLayout, Backend, BinaryOp, BroadcastShapes,
    Conv2dGeometry, GatherImages, GemmSpec, Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep,
    UnaryOp,
};
use crate::Shape;
use std::sync::Arc;

/// A tensor's values in GPU memory.
pub type CudaStorage = DeviceBuffer<f32>;

/// Class labels and argmax positions in GPU memory.
pub type CudaIndices = DeviceBuffer<u32>;

impl CudaStorage {
    /// `n` copies of `value` on `device`, filled there.
    pub fn full(n: usize, value: f32, device: Arc<CudaDevice>) -> Self {
        let out = CudaStorage::uninit(&device, n);
        elementwise::fill(&out, value);
        out
    }
}

impl Backend for CudaStorage {
    type Indices = CudaIndices;

    fn len(&self) -> usize {
        DeviceBuffer::len(self)
    }

    fn to_vec(&self) -> Vec<f32> {
        DeviceBuffer::to_vec(self)
    }

    fn unary(&self, op: UnaryOp) -> Self {
        elementwise::unary(self, op)
    }

    fn binary(&self, rhs: &Self, op: BinaryOp, shapes: &BroadcastShapes) -> Self {
        elementwise::binary(self, rhs, op, shapes)
    }

    fn bias_relu(&self, bias: &Self, layout: AxisLayout) -> Self {
        elementwise::bias_relu(self, bias, layout)
    }

    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self {
        layout::permute(self, shape, axes)
    }

    fn cat(parts: &[&Self], lens: &[usize], outer: usize, inner: usize) -> Self {
        layout::cat(parts, lens, outer, inner)
    }

    fn narrow(&self, layout: AxisLayout, start: usize, len: usize) -> Self {
        layout::narrow(self, layout, start, len)
    }

    fn reduce(&self, op: ReduceOp, layout: AxisLayout) -> Self {
        reduce::reduce(self, op, layout)
    }

    fn argmax(&self, layout: AxisLayout) -> CudaIndices {
        reduce::argmax(self, layout)
    }

    fn scatter_along_axis(&self, indices: &CudaIndices, layout: AxisLayout) -> Self {
        reduce::scatter_along_axis(self, indices, layout)
    }

    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self {
        let out = CudaStorage::uninit(self.device(), spec.batch * spec.m * spec.n);
        if spec.k == 0 {
            elementwise::fill(&out, 0.0); // a sum of no products
        } else if !out.is_empty() {
            let strides = blas::BatchStrides::packed(spec);
            let math = blas::matmul_math();
            let (a, b, c) = (self.all(), rhs.all(), out.all());
            self.device().blas.gemm(a, b, c, spec, strides, 0.0, math);
        }
        out
    }

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, geometry: &Conv2dGeometry) -> Self {
        conv::conv2d(self, weight, bias, geometry)
    }

    fn conv2d_input_grad(&self, weight: &Self, geometry: &Conv2dGeometry) -> Self {
        conv::conv2d_input_grad(self, weight, geometry)
    }

    fn conv2d_weight_grad(&self, input: &Self, geometry: &Conv2dGeometry) -> Self {
        conv::conv2d_weight_grad(self, input, geometry)
    }

    fn max_pool2d(&self, geometry: &Pool2dGeometry) -> (Self, CudaIndices) {
        pool::max_pool2d(self, geometry)
    }

    fn max_pool2d_backward(&self, indices: &CudaIndices, geometry: &Pool2dGeometry) -> Self {
        pool::max_pool2d_backward(self, indices, geometry)
    }

    fn avg_pool2d(&self, geometry: &Pool2dGeometry) -> Self {
        pool::avg_pool2d(self, geometry)
    }

    fn avg_pool2d_backward(&self, geometry: &Pool2dGeometry) -> Self {
        pool::avg_pool2d_backward(self, geometry)
    }

    fn adaptive_avg_pool2d(&self, geometry: &AdaptivePool2dGeometry) -> Self {
        pool::adaptive_avg_pool2d(self, geometry)
    }

    fn adaptive_avg_pool2d_backward(&self, geometry: &AdaptivePool2dGeometry) -> Self {
        pool::adaptive_avg_pool2d_backward(self, geometry)
    }

    fn softmax(&self, layout: AxisLayout) -> Self {
        softmax::softmax(self, layout, softmax::SoftmaxKind::Softmax)
    }

    fn log_softmax(&self, layout: AxisLayout) -> Self {
        softmax::softmax(self, layout, softmax::SoftmaxKind::LogSoftmax)
    }

    fn cross_entropy(&self, labels: &CudaIndices, rows: usize, classes: usize) -> Self {
        softmax::cross_entropy(self, labels, rows, classes)
    }

    fn cross_entropy_backward(
        &self,
        labels: &CudaIndices,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self {
        softmax::cross_entropy_backward(self, labels, grad_loss, rows, classes)
    }

    fn adam_step(updates: &mut [AdamUpdate<'_, Self>]) {
        optim::adam_step(updates)
    }

    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, hyper: &SgdStep) {
        optim::sgd_step(self, grad, momentum_buffer, hyper)
    }

    fn resize_bilinear(&self, geometry: &ResizeGeometry) -> Self {
        resize::resize_bilinear(self, geometry)
    }

    fn gather_images(pixels: &CudaIndices, picks: &CudaIndices, geometry: &GatherImages) -> Self {
        resize::gather_images(pixels, picks, geometry)
    }

    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self {
        elementwise::dropout_mask_like(self, p, seed)
    }
}

#[cfg(test)]
mod tests {
    use super::conv::ColumnLayout;
    use super::elementwise::{BinaryCode, UnaryCode};
    use super::reduce::ReduceCode;
    use super::softmax::SoftmaxKind;

    /// `Variant = value` of every Rust variant appears in `enum class name : u32 { ... }` of
    /// common.cuh, and the C enum has no other variant.
    fn assert_mirrored<T: std::fmt::Debug + Copy>(name: &str, variants: &[T], value: fn(T) -> u32) {
        let header = include_str!("kernels/common.cuh");
        let start = header
            .find(&format!("enum class {name} : u32 {{"))
            .unwrap_or_else(|| panic!("common.cuh has no `enum class {name} : u32`"));
        let body = &header[start..];
        let body = &body[body.find('{').unwrap() + 1..body.find('}').unwrap()];
        let c_variants: Vec<String> = body.split(',').map(|v| v.trim().to_string()).collect();
        let rust_variants: Vec<String> = variants
            .iter()
            .map(|&v| format!("{v:?} = {}", value(v)))
            .collect();
        assert_eq!(c_variants, rust_variants, "{name}: common.cuh vs Rust");
    }

    #[test]
    fn kernel_enums_mirror_common_cuh() {
        assert_mirrored("UnaryCode", &UnaryCode::ALL, |v| v as u32);
        assert_mirrored("BinaryCode", &BinaryCode::ALL, |v| v as u32);
        assert_mirrored("ReduceCode", &ReduceCode::ALL, |v| v as u32);
        assert_mirrored("SoftmaxKind", &SoftmaxKind::ALL, |v| v as u32);
        assert_mirrored("ColumnLayout", &ColumnLayout::ALL, |v| v as u32);
    }
}
