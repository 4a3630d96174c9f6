//! A tensor's buffer on whichever device holds it, and the dispatch from the device-independent
//! [`Backend`] calls to the backend of that device.
//!
//! `Storage` implements [`Backend`] itself by forwarding each kernel to the variant's backend,
//! so [`Tensor`](crate::Tensor) talks to one type and each kernel's dispatch is written once.
//! The CUDA backend adds one variant here and one arm per kernel.

use crate::backend::{
    AdamUpdate, AxisLayout, Backend, BinaryOp, Conv2dGeometry, GatherImages, GemmSpec,
    Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep, UnaryOp,
};
use crate::cpu::CpuStorage;
#[cfg(feature = "cuda")]
use crate::cuda::{device as cuda_device, CudaIndices, CudaStorage};
use crate::{Device, Shape};

/// Two buffers of one op on different devices: `Tensor`'s methods check devices first, so this
/// is a bug in rustgrad, not in the caller's code.
fn mixed_devices() -> ! {
    unreachable!("buffers of one kernel call are on different devices")
}

#[derive(Clone, Debug)]
pub enum Storage {
    Cpu(CpuStorage),
    #[cfg(feature = "cuda")]
    Cuda(CudaStorage),
}

/// Integer buffers (class labels, argmax positions) on a device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexStorage {
    Cpu(Vec<u32>),
    #[cfg(feature = "cuda")]
    Cuda(CudaIndices),
}

impl Storage {
    pub fn from_vec(values: Vec<f32>, device: Device) -> crate::Result<Self> {
        match device {
            Device::Cpu => Ok(Storage::Cpu(CpuStorage(values))),
            #[cfg(feature = "cuda")]
            Device::Cuda(ordinal) => Ok(Storage::Cuda(CudaStorage::from_host(
                &values,
                cuda_device(ordinal)?,
            ))),
            #[cfg(not(feature = "cuda"))]
            Device::Cuda(_) => Err(crate::Error::DeviceUnavailable(cuda_unavailable())),
        }
    }

    /// `n` copies of `value` on `device` (filled there, not uploaded).
    pub fn full(n: usize, value: f32, device: Device) -> crate::Result<Self> {
        match device {
            #[cfg(feature = "cuda")]
            Device::Cuda(ordinal) => Ok(Storage::Cuda(CudaStorage::full(
                n,
                value,
                cuda_device(ordinal)?,
            ))),
            _ => Storage::from_vec(vec![value; n], device),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            Storage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Device::Cuda(s.device().ordinal),
        }
    }
}

impl IndexStorage {
    pub fn from_vec(values: Vec<u32>, device: Device) -> crate::Result<Self> {
        match device {
            Device::Cpu => Ok(IndexStorage::Cpu(values)),
            #[cfg(feature = "cuda")]
            Device::Cuda(ordinal) => Ok(IndexStorage::Cuda(CudaIndices::from_host(
                &values,
                cuda_device(ordinal)?,
            ))),
            #[cfg(not(feature = "cuda"))]
            Device::Cuda(_) => Err(crate::Error::DeviceUnavailable(cuda_unavailable())),
        }
    }

    pub fn device(&self) -> Device {
        match self {
            IndexStorage::Cpu(_) => Device::Cpu,
            #[cfg(feature = "cuda")]
            IndexStorage::Cuda(s) => Device::Cuda(s.device().ordinal),
        }
    }

    pub fn to_vec(&self) -> Vec<u32> {
        match self {
            IndexStorage::Cpu(values) => values.clone(),
            #[cfg(feature = "cuda")]
            IndexStorage::Cuda(s) => s.to_vec(),
        }
    }
}

/// Waits until every kernel queued on `device` has run (timing needs it; reading values back
/// waits by itself).
pub fn synchronize(device: Device) -> crate::Result<()> {
    match device {
        Device::Cpu => Ok(()),
        #[cfg(feature = "cuda")]
        Device::Cuda(ordinal) => cuda_device(ordinal)?.synchronize().map_err(|e| {
            crate::Error::DeviceUnavailable(format!(
                "cuda:{ordinal}: {}",
                crate::cuda::describe_error(&e)
            ))
        }),
        #[cfg(not(feature = "cuda"))]
        Device::Cuda(_) => Err(crate::Error::DeviceUnavailable(cuda_unavailable())),
    }
}

#[cfg(not(feature = "cuda"))]
fn cuda_unavailable() -> String {
    "rustgrad was built without the `cuda` feature; rebuild with `--features cuda` or use --device cpu".to_string()
}

// With the `cuda` feature off, the `_ => mixed_devices()` arms cannot be reached.
#[allow(unreachable_patterns)]
impl Backend for Storage {
    type Indices = IndexStorage;

    fn len(&self) -> usize {
        match self {
            Storage::Cpu(s) => s.len(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.len(),
        }
    }

    fn to_vec(&self) -> Vec<f32> {
        match self {
            Storage::Cpu(s) => s.to_vec(),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => s.to_vec(),
        }
    }

    fn unary(&self, op: UnaryOp) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.unary(op)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.unary(op)),
        }
    }

    fn binary(
        &self,
        rhs: &Self,
        op: BinaryOp,
        lhs_shape: &Shape,
        rhs_shape: &Shape,
        out_shape: &Shape,
    ) -> Self {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => {
                Storage::Cpu(a.binary(b, op, lhs_shape, rhs_shape, out_shape))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => {
                Storage::Cuda(a.binary(b, op, lhs_shape, rhs_shape, out_shape))
            }
            _ => mixed_devices(),
        }
    }

    fn bias_relu(&self, bias: &Self, layout: AxisLayout) -> Self {
        match (self, bias) {
            (Storage::Cpu(x), Storage::Cpu(b)) => Storage::Cpu(x.bias_relu(b, layout)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(x), Storage::Cuda(b)) => Storage::Cuda(x.bias_relu(b, layout)),
            _ => mixed_devices(),
        }
    }

    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.permute(shape, axes)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.permute(shape, axes)),
        }
    }

    fn reduce(&self, op: ReduceOp, layout: AxisLayout) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.reduce(op, layout)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.reduce(op, layout)),
        }
    }

    fn argmax(&self, layout: AxisLayout) -> IndexStorage {
        match self {
            Storage::Cpu(s) => IndexStorage::Cpu(s.argmax(layout)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => IndexStorage::Cuda(s.argmax(layout)),
        }
    }

    fn scatter_along_axis(&self, indices: &IndexStorage, layout: AxisLayout) -> Self {
        match (self, indices) {
            (Storage::Cpu(s), IndexStorage::Cpu(i)) => {
                Storage::Cpu(s.scatter_along_axis(i, layout))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), IndexStorage::Cuda(i)) => {
                Storage::Cuda(s.scatter_along_axis(i, layout))
            }
            _ => mixed_devices(),
        }
    }

    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self {
        match (self, rhs) {
            (Storage::Cpu(a), Storage::Cpu(b)) => Storage::Cpu(a.gemm(b, spec)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(a), Storage::Cuda(b)) => Storage::Cuda(a.gemm(b, spec)),
            _ => mixed_devices(),
        }
    }

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, geometry: &Conv2dGeometry) -> Self {
        match (self, weight, bias) {
            (Storage::Cpu(x), Storage::Cpu(w), None) => Storage::Cpu(x.conv2d(w, None, geometry)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(x), Storage::Cuda(w), None) => {
                Storage::Cuda(x.conv2d(w, None, geometry))
            }
            (Storage::Cpu(x), Storage::Cpu(w), Some(Storage::Cpu(b))) => {
                Storage::Cpu(x.conv2d(w, Some(b), geometry))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(x), Storage::Cuda(w), Some(Storage::Cuda(b))) => {
                Storage::Cuda(x.conv2d(w, Some(b), geometry))
            }
            _ => mixed_devices(),
        }
    }

    fn conv2d_input_grad(&self, weight: &Self, geometry: &Conv2dGeometry) -> Self {
        match (self, weight) {
            (Storage::Cpu(dy), Storage::Cpu(w)) => Storage::Cpu(dy.conv2d_input_grad(w, geometry)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(dy), Storage::Cuda(w)) => {
                Storage::Cuda(dy.conv2d_input_grad(w, geometry))
            }
            _ => mixed_devices(),
        }
    }

    fn conv2d_weight_grad(&self, input: &Self, geometry: &Conv2dGeometry) -> Self {
        match (self, input) {
            (Storage::Cpu(dy), Storage::Cpu(x)) => Storage::Cpu(dy.conv2d_weight_grad(x, geometry)),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(dy), Storage::Cuda(x)) => {
                Storage::Cuda(dy.conv2d_weight_grad(x, geometry))
            }
            _ => mixed_devices(),
        }
    }

    fn max_pool2d(&self, geometry: &Pool2dGeometry) -> (Self, IndexStorage) {
        match self {
            Storage::Cpu(s) => {
                let (out, indices) = s.max_pool2d(geometry);
                (Storage::Cpu(out), IndexStorage::Cpu(indices))
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => {
                let (out, indices) = s.max_pool2d(geometry);
                (Storage::Cuda(out), IndexStorage::Cuda(indices))
            }
        }
    }

    fn max_pool2d_backward(&self, indices: &IndexStorage, geometry: &Pool2dGeometry) -> Self {
        match (self, indices) {
            (Storage::Cpu(dy), IndexStorage::Cpu(i)) => {
                Storage::Cpu(dy.max_pool2d_backward(i, geometry))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(dy), IndexStorage::Cuda(i)) => {
                Storage::Cuda(dy.max_pool2d_backward(i, geometry))
            }
            _ => mixed_devices(),
        }
    }

    fn softmax(&self, layout: AxisLayout) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.softmax(layout)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.softmax(layout)),
        }
    }

    fn log_softmax(&self, layout: AxisLayout) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.log_softmax(layout)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.log_softmax(layout)),
        }
    }

    fn cross_entropy(&self, labels: &IndexStorage, rows: usize, classes: usize) -> Self {
        match (self, labels) {
            (Storage::Cpu(s), IndexStorage::Cpu(l)) => {
                Storage::Cpu(s.cross_entropy(l, rows, classes))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), IndexStorage::Cuda(l)) => {
                Storage::Cuda(s.cross_entropy(l, rows, classes))
            }
            _ => mixed_devices(),
        }
    }

    fn cross_entropy_backward(
        &self,
        labels: &IndexStorage,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self {
        match (self, labels, grad_loss) {
            (Storage::Cpu(s), IndexStorage::Cpu(l), Storage::Cpu(g)) => {
                Storage::Cpu(s.cross_entropy_backward(l, g, rows, classes))
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(s), IndexStorage::Cuda(l), Storage::Cuda(g)) => {
                Storage::Cuda(s.cross_entropy_backward(l, g, rows, classes))
            }
            _ => mixed_devices(),
        }
    }

    fn adam_step(updates: &mut [AdamUpdate<'_, Self>]) {
        // `Tensor::adam_steps_` puts every tensor on one device, so one of these stays empty.
        let mut cpu = Vec::new();
        #[cfg(feature = "cuda")]
        let mut cuda = Vec::new();
        for u in updates.iter_mut() {
            let hyper = u.hyper;
            match (&mut *u.param, u.grad, &mut *u.m, &mut *u.v) {
                (Storage::Cpu(param), Storage::Cpu(grad), Storage::Cpu(m), Storage::Cpu(v)) => cpu
                    .push(AdamUpdate {
                        param,
                        grad,
                        m,
                        v,
                        hyper,
                    }),
                #[cfg(feature = "cuda")]
                (Storage::Cuda(param), Storage::Cuda(grad), Storage::Cuda(m), Storage::Cuda(v)) => {
                    cuda.push(AdamUpdate {
                        param,
                        grad,
                        m,
                        v,
                        hyper,
                    })
                }
                _ => mixed_devices(),
            }
        }
        CpuStorage::adam_step(&mut cpu);
        #[cfg(feature = "cuda")]
        CudaStorage::adam_step(&mut cuda);
    }

    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, hyper: &SgdStep) {
        match (self, grad, momentum_buffer) {
            (Storage::Cpu(p), Storage::Cpu(g), None) => p.sgd_step(g, None, hyper),
            #[cfg(feature = "cuda")]
            (Storage::Cuda(p), Storage::Cuda(g), None) => p.sgd_step(g, None, hyper),
            (Storage::Cpu(p), Storage::Cpu(g), Some(Storage::Cpu(b))) => {
                p.sgd_step(g, Some(b), hyper)
            }
            #[cfg(feature = "cuda")]
            (Storage::Cuda(p), Storage::Cuda(g), Some(Storage::Cuda(b))) => {
                p.sgd_step(g, Some(b), hyper)
            }
            _ => mixed_devices(),
        }
    }

    fn resize_bilinear(&self, geometry: &ResizeGeometry) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.resize_bilinear(geometry)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.resize_bilinear(geometry)),
        }
    }

    fn gather_images(pixels: &IndexStorage, picks: &IndexStorage, geometry: &GatherImages) -> Self {
        match (pixels, picks) {
            (IndexStorage::Cpu(p), IndexStorage::Cpu(i)) => {
                Storage::Cpu(CpuStorage::gather_images(p, i, geometry))
            }
            #[cfg(feature = "cuda")]
            (IndexStorage::Cuda(p), IndexStorage::Cuda(i)) => {
                Storage::Cuda(CudaStorage::gather_images(p, i, geometry))
            }
            _ => mixed_devices(),
        }
    }

    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self {
        match self {
            Storage::Cpu(s) => Storage::Cpu(s.dropout_mask_like(p, seed)),
            #[cfg(feature = "cuda")]
            Storage::Cuda(s) => Storage::Cuda(s.dropout_mask_like(p, seed)),
        }
    }
}
