//! A tensor's buffer on whichever device holds it, and the dispatch from the device-independent
//! [`Backend`] calls to the backend of that device.
//!
//! `Storage` implements [`Backend`] itself by forwarding each kernel to the variant's backend,
//! so [`Tensor`](crate::Tensor) talks to one type. The forwarding is one macro, [`dispatch!`]:
//! a new kernel costs one line here.

use crate::backend::{
    AdamUpdate, AdaptivePool2dGeometry, AxisLayout, Backend, BinaryOp, BroadcastShapes,
    Conv2dGeometry, GatherImages, GemmSpec, Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep,
    UnaryOp,
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
    /// CPU storage holding `values` from the host: the one place where CPU buffers come from
    /// outside the kernels, so the one place that tunes malloc for them (see
    /// [`keep_freed_memory`](crate::cpu::allocator::keep_freed_memory)). That is enough: a CPU
    /// kernel only runs on CPU tensors that exist, which all start here (`gather_images` starts
    /// from a byte dataset, but a model's parameters are made here before its first batch).
    /// CUDA tensors never pay for it.
    pub fn cpu(values: Vec<f32>) -> Self {
        crate::cpu::allocator::keep_freed_memory();
        Storage::Cpu(CpuStorage(values))
    }

    pub fn from_vec(values: Vec<f32>, device: Device) -> crate::Result<Self> {
        match device {
            Device::Cpu => Ok(Storage::cpu(values)),
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

/// The one dispatch: unwraps the operands (`Storage` or `IndexStorage`) into the buffers of
/// their device, runs the kernel there, and wraps the result as that device's variant. Operands
/// on different devices end in `mixed_devices()`.
///
/// ```ignore
/// dispatch!(Storage(dy) = self, IndexStorage(i) = indices
///     => Storage(dy.max_pool2d_backward(i, g)))
/// ```
/// expands to
/// ```ignore
/// match (self, indices) {
///     (Storage::Cpu(dy), IndexStorage::Cpu(i)) => Storage::Cpu(dy.max_pool2d_backward(i, g)),
///     #[cfg(feature = "cuda")]
///     (Storage::Cuda(dy), IndexStorage::Cuda(i)) => Storage::Cuda(dy.max_pool2d_backward(i, g)),
///     _ => mixed_devices(),
/// }
/// ```
/// The result may also be a pair, `=> (Storage, IndexStorage)(x.max_pool2d(g))`, or left as the
/// backend returns it, `=> x.len()` (a method call on a buffer).
macro_rules! dispatch {
    ($($kind:ident($buffer:ident) = $operand:expr),+
        => ($first:ident, $second:ident)($call:expr)) => {
        match ($($operand,)+) {
            ($($kind::Cpu($buffer),)+) => {
                let (a, b) = $call;
                ($first::Cpu(a), $second::Cpu(b))
            }
            #[cfg(feature = "cuda")]
            ($($kind::Cuda($buffer),)+) => {
                let (a, b) = $call;
                ($first::Cuda(a), $second::Cuda(b))
            }
            #[allow(unreachable_patterns)] // one operand, or no `cuda` feature: one device only
            _ => mixed_devices(),
        }
    };
    ($($kind:ident($buffer:ident) = $operand:expr),+ => $wrap:ident($call:expr)) => {
        match ($($operand,)+) {
            ($($kind::Cpu($buffer),)+) => $wrap::Cpu($call),
            #[cfg(feature = "cuda")]
            ($($kind::Cuda($buffer),)+) => $wrap::Cuda($call),
            #[allow(unreachable_patterns)]
            _ => mixed_devices(),
        }
    };
    ($($kind:ident($buffer:ident) = $operand:expr),+ => $call:expr) => {
        match ($($operand,)+) {
            ($($kind::Cpu($buffer),)+) => $call,
            #[cfg(feature = "cuda")]
            ($($kind::Cuda($buffer),)+) => $call,
            #[allow(unreachable_patterns)]
            _ => mixed_devices(),
        }
    };
}

impl Backend for Storage {
    type Indices = IndexStorage;

    fn len(&self) -> usize {
        dispatch!(Storage(s) = self => s.len())
    }

    fn to_vec(&self) -> Vec<f32> {
        dispatch!(Storage(s) = self => s.to_vec())
    }

    fn unary(&self, op: UnaryOp) -> Self {
        dispatch!(Storage(s) = self => Storage(s.unary(op)))
    }

    fn binary(&self, rhs: &Self, op: BinaryOp, shapes: &BroadcastShapes) -> Self {
        dispatch!(Storage(a) = self, Storage(b) = rhs => Storage(a.binary(b, op, shapes)))
    }

    fn binary_assign(&mut self, rhs: &Self, op: BinaryOp, shape: &Shape) {
        dispatch!(Storage(a) = self, Storage(b) = rhs => a.binary_assign(b, op, shape))
    }

    fn bias_relu(&self, bias: &Self, layout: AxisLayout) -> Self {
        dispatch!(Storage(x) = self, Storage(b) = bias => Storage(x.bias_relu(b, layout)))
    }

    fn bias_relu_assign(&mut self, bias: &Self, layout: AxisLayout) {
        dispatch!(Storage(x) = self, Storage(b) = bias => x.bias_relu_assign(b, layout))
    }

    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self {
        dispatch!(Storage(s) = self => Storage(s.permute(shape, axes)))
    }

    fn cat(parts: &[&Self], lens: &[usize], outer: usize, inner: usize) -> Self {
        // Any number of operands, so not `dispatch!`: unwrap them into one list of the first
        // part's device (`Tensor::cat` has checked that they share it).
        match parts[0] {
            Storage::Cpu(_) => {
                let cpu: Vec<&CpuStorage> = parts
                    .iter()
                    .map(|part| match part {
                        Storage::Cpu(buffer) => buffer,
                        #[allow(unreachable_patterns)]
                        _ => mixed_devices(),
                    })
                    .collect();
                Storage::Cpu(CpuStorage::cat(&cpu, lens, outer, inner))
            }
            #[cfg(feature = "cuda")]
            Storage::Cuda(_) => {
                let cuda: Vec<&CudaStorage> = parts
                    .iter()
                    .map(|part| match part {
                        Storage::Cuda(buffer) => buffer,
                        _ => mixed_devices(),
                    })
                    .collect();
                Storage::Cuda(CudaStorage::cat(&cuda, lens, outer, inner))
            }
        }
    }

    fn narrow(&self, layout: AxisLayout, start: usize, len: usize) -> Self {
        dispatch!(Storage(s) = self => Storage(s.narrow(layout, start, len)))
    }

    fn reduce(&self, op: ReduceOp, layout: AxisLayout) -> Self {
        dispatch!(Storage(s) = self => Storage(s.reduce(op, layout)))
    }

    fn argmax(&self, layout: AxisLayout) -> IndexStorage {
        dispatch!(Storage(s) = self => IndexStorage(s.argmax(layout)))
    }

    fn scatter_along_axis(&self, indices: &IndexStorage, layout: AxisLayout) -> Self {
        dispatch!(Storage(s) = self, IndexStorage(i) = indices
            => Storage(s.scatter_along_axis(i, layout)))
    }

    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self {
        dispatch!(Storage(a) = self, Storage(b) = rhs => Storage(a.gemm(b, spec)))
    }

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, g: &Conv2dGeometry) -> Self {
        match bias {
            None => {
                dispatch!(Storage(x) = self, Storage(w) = weight => Storage(x.conv2d(w, None, g)))
            }
            Some(bias) => {
                dispatch!(Storage(x) = self, Storage(w) = weight, Storage(b) = bias
                    => Storage(x.conv2d(w, Some(b), g)))
            }
        }
    }

    fn conv2d_input_grad(&self, weight: &Self, g: &Conv2dGeometry) -> Self {
        dispatch!(Storage(dy) = self, Storage(w) = weight => Storage(dy.conv2d_input_grad(w, g)))
    }

    fn conv2d_weight_grad(&self, input: &Self, g: &Conv2dGeometry) -> Self {
        dispatch!(Storage(dy) = self, Storage(x) = input => Storage(dy.conv2d_weight_grad(x, g)))
    }

    fn max_pool2d(&self, g: &Pool2dGeometry) -> (Self, IndexStorage) {
        dispatch!(Storage(x) = self => (Storage, IndexStorage)(x.max_pool2d(g)))
    }

    fn max_pool2d_backward(&self, indices: &IndexStorage, g: &Pool2dGeometry) -> Self {
        dispatch!(Storage(dy) = self, IndexStorage(i) = indices
            => Storage(dy.max_pool2d_backward(i, g)))
    }

    fn avg_pool2d(&self, g: &Pool2dGeometry) -> Self {
        dispatch!(Storage(x) = self => Storage(x.avg_pool2d(g)))
    }

    fn avg_pool2d_backward(&self, g: &Pool2dGeometry) -> Self {
        dispatch!(Storage(dy) = self => Storage(dy.avg_pool2d_backward(g)))
    }

    fn adaptive_avg_pool2d(&self, g: &AdaptivePool2dGeometry) -> Self {
        dispatch!(Storage(x) = self => Storage(x.adaptive_avg_pool2d(g)))
    }

    fn adaptive_avg_pool2d_backward(&self, g: &AdaptivePool2dGeometry) -> Self {
        dispatch!(Storage(dy) = self => Storage(dy.adaptive_avg_pool2d_backward(g)))
    }

    fn softmax(&self, layout: AxisLayout) -> Self {
        dispatch!(Storage(s) = self => Storage(s.softmax(layout)))
    }

    fn log_softmax(&self, layout: AxisLayout) -> Self {
        dispatch!(Storage(s) = self => Storage(s.log_softmax(layout)))
    }

    fn cross_entropy(&self, labels: &IndexStorage, rows: usize, classes: usize) -> Self {
        dispatch!(Storage(s) = self, IndexStorage(l) = labels
            => Storage(s.cross_entropy(l, rows, classes)))
    }

    fn cross_entropy_backward(
        &self,
        labels: &IndexStorage,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self {
        dispatch!(Storage(s) = self, IndexStorage(l) = labels, Storage(g) = grad_loss
            => Storage(s.cross_entropy_backward(l, g, rows, classes)))
    }

    fn adam_step(updates: &mut [AdamUpdate<'_, Self>]) {
        // One call for all tensors (one launch on a GPU), so the updates are unwrapped into one
        // list per backend first; `Tensor::adam_steps_` puts them all on one device.
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
                #[allow(unreachable_patterns)]
                _ => mixed_devices(),
            }
        }
        CpuStorage::adam_step(&mut cpu);
        #[cfg(feature = "cuda")]
        CudaStorage::adam_step(&mut cuda);
    }

    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, hyper: &SgdStep) {
        match momentum_buffer {
            None => dispatch!(Storage(p) = self, Storage(g) = grad => p.sgd_step(g, None, hyper)),
            Some(buffer) => {
                dispatch!(Storage(p) = self, Storage(g) = grad, Storage(b) = buffer
                    => p.sgd_step(g, Some(b), hyper))
            }
        }
    }

    fn resize_bilinear(&self, g: &ResizeGeometry) -> Self {
        dispatch!(Storage(s) = self => Storage(s.resize_bilinear(g)))
    }

    fn gather_images(pixels: &IndexStorage, picks: &IndexStorage, g: &GatherImages) -> Self {
        // No buffer to call a method on: the result's variant tells `Backend` which backend.
        dispatch!(IndexStorage(p) = pixels, IndexStorage(i) = picks
            => Storage(Backend::gather_images(p, i, g)))
    }

    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self {
        dispatch!(Storage(s) = self => Storage(s.dropout_mask_like(p, seed)))
    }
}
