//! The CUDA backend (feature `cuda`): device buffers, and the [`Backend`] kernels as launches of
//! the `.cu` kernels in `kernels/` (compiled at run time by NVRTC) plus cuBLAS for GEMMs.
//!
//! Everything runs on one stream; nothing here waits for the GPU except `to_vec` (the caller
//! asked for the values). Memory comes from the stream-ordered pool (see `device.rs`).

mod device;
pub mod kernels;

pub use device::{device, set_tf32, CudaDevice};

use crate::backend::{
    AdamUpdate, AxisLayout, Backend, BinaryOp, Conv2dGeometry, GatherImages, GemmSpec,
    Pool2dGeometry, ReduceOp, ResizeGeometry, SgdStep, UnaryOp,
};
use crate::Shape;
use cudarc::cublas::{sys::cublasOperation_t, Gemm, GemmConfig, StridedBatchedConfig};
use cudarc::driver::{CudaSlice, DevicePtr, DevicePtrMut, DeviceRepr, LaunchArgs, PushKernelArg};
use std::sync::Arc;

/// A tensor's values in GPU memory.
pub struct CudaStorage {
    pub slice: CudaSlice<f32>,
    pub device: Arc<CudaDevice>,
}

/// Class labels and argmax positions in GPU memory.
pub struct CudaIndices {
    pub slice: CudaSlice<u32>,
    pub device: Arc<CudaDevice>,
}

/// Panics with the operation's name: inside a kernel call there is no caller to return to, and a
/// failing launch means a broken device or a bug, not bad input.
fn check<T>(result: Result<T, cudarc::driver::DriverError>, what: &str) -> T {
    result.unwrap_or_else(|e| panic!("CUDA {what} failed: {e}"))
}

/// Uninitialised device memory for `n` values (every caller overwrites all of it).
fn alloc<T: DeviceRepr>(device: &CudaDevice, n: usize) -> CudaSlice<T> {
    // Safety: callers write every element before anyone reads it.
    let result = unsafe { device.stream.alloc::<T>(n.max(1)) };
    result.unwrap_or_else(|e| {
        let mib = (n * std::mem::size_of::<T>()) as f64 / (1 << 20) as f64;
        panic!("CUDA out of memory allocating {mib:.0} MiB ({e}): reduce the batch size (--batch-size)")
    })
}

/// The argument list of one launch of `kernel`; add arguments in the `.cu` signature's order,
/// then [`run`] it.
fn kernel<'a>(device: &'a CudaDevice, kernel: &str) -> LaunchArgs<'a> {
    device.stream.launch_builder(device.function(kernel))
}

/// Launches over `n` elements (grid-stride loops cover any `n`).
fn run(mut args: LaunchArgs, n: usize, name: &str) {
    // Safety: each kernel's argument list is written next to its launch and matches its .cu
    // signature; buffer sizes are checked by the Tensor methods before any kernel runs.
    check(
        unsafe { args.launch(CudaDevice::grid(n)) }.map(|_| ()),
        name,
    );
}

/// One parameter tensor of a fused Adam step, read by the kernel from an array in device
/// memory (same layout as `struct AdamTensor` in kernels/optim.cu).
#[repr(C)]
#[derive(Clone, Copy)]
struct AdamTensor {
    param: u64,
    grad: u64,
    m: u64,
    v: u64,
    len: u64,
    beta1: f32,
    beta2: f32,
    eps: f32,
    weight_decay: f32,
    step_size: f32,
    bias_correction2_sqrt: f32,
}

// Safety: plain old data with the layout of the .cu struct (pointers as 64-bit addresses).
unsafe impl DeviceRepr for AdamTensor {}

/// Adam on every tensor in `updates` with one launch: grid row `y` updates tensor `y`.
fn adam_step_one_launch(updates: &mut [AdamUpdate<'_, CudaStorage>]) {
    let Some(first) = updates.first() else {
        return;
    };
    let device = Arc::clone(&first.param.device);
    let stream = &device.stream;
    let largest = updates.iter().map(|u| u.param.len()).max().unwrap_or(0);
    let count = updates.len() as u32;
    // The guards keep cudarc's read/write tracking right until the kernel is queued.
    let mut guards = Vec::with_capacity(4 * updates.len());
    let mut tensors = Vec::with_capacity(updates.len());
    for u in updates.iter_mut() {
        let (h, len) = (u.hyper, u.param.len() as u64);
        let (param, param_guard) = u.param.slice.device_ptr_mut(stream);
        let (grad, grad_guard) = u.grad.slice.device_ptr(stream);
        let (m, m_guard) = u.m.slice.device_ptr_mut(stream);
        let (v, v_guard) = u.v.slice.device_ptr_mut(stream);
        guards.extend([param_guard, grad_guard, m_guard, v_guard]);
        tensors.push(AdamTensor {
            param,
            grad,
            m,
            v,
            len,
            beta1: h.beta1,
            beta2: h.beta2,
            eps: h.eps,
            weight_decay: h.weight_decay,
            step_size: h.lr / (1.0 - h.beta1.powi(h.step as i32)),
            bias_correction2_sqrt: (1.0 - h.beta2.powi(h.step as i32)).sqrt(),
        });
    }
    let tensors = check(
        stream.clone_htod(&tensors),
        "upload of the Adam step's tensor list",
    );
    let mut config = CudaDevice::grid(largest);
    config.grid_dim.1 = count;
    let mut a = kernel(&device, "adam_step");
    a.arg(&tensors);
    // Safety: every pointer in `tensors` is a live buffer of `len` floats, borrowed above.
    check(unsafe { a.launch(config) }.map(|_| ()), "adam_step");
    drop(guards);
}

/// Up to six axes of sizes and two sets of strides, passed to a kernel by value.
#[repr(C)]
#[derive(Clone, Copy, Default)]
struct Strides6 {
    rank: u32,
    dims: [u32; 6],
    a: [u32; 6],
    b: [u32; 6],
}

// Safety: plain old data with the same layout as `struct Strides6` in kernels/common.cuh.
unsafe impl DeviceRepr for Strides6 {}

impl Strides6 {
    #[track_caller]
    fn new(dims: &[usize], a: &[usize], b: &[usize]) -> Self {
        assert!(
            dims.len() <= 6,
            "the CUDA backend handles at most 6 axes, got {}",
            dims.len()
        );
        let mut s = Strides6 {
            rank: dims.len() as u32,
            ..Default::default()
        };
        for axis in 0..dims.len() {
            s.dims[axis] = dims[axis] as u32;
            s.a[axis] = a[axis] as u32;
            s.b[axis] = b.get(axis).copied().unwrap_or(0) as u32;
        }
        s
    }
}

fn unary_code(op: UnaryOp) -> (u32, f32) {
    match op {
        UnaryOp::Neg => (0, 0.0),
        UnaryOp::Exp => (1, 0.0),
        UnaryOp::Log => (2, 0.0),
        UnaryOp::Sqrt => (3, 0.0),
        UnaryOp::Relu => (4, 0.0),
        UnaryOp::Step => (5, 0.0),
        UnaryOp::Powf(e) => (6, e),
        UnaryOp::AddScalar(s) => (7, s),
        UnaryOp::MulScalar(s) => (8, s),
    }
}

fn binary_code(op: BinaryOp) -> u32 {
    match op {
        BinaryOp::Add => 0,
        BinaryOp::Sub => 1,
        BinaryOp::Mul => 2,
        BinaryOp::Div => 3,
    }
}

/// Row-major `C[i] = op(A[i]) · op(B[i]) + beta · C[i]` through column-major cuBLAS: a row-major
/// matrix is its transpose in column-major order, so cuBLAS computes `Cᵀ = op(B)ᵀ · op(A)ᵀ`
/// with the operands swapped. `strides` are per-batch element offsets of A, B, C (0 = shared).
#[allow(clippy::too_many_arguments)]
fn gemm_row_major<A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>>(
    device: &CudaDevice,
    a: &A,
    b: &B,
    c: &mut C,
    spec: &GemmSpec,
    strides: (usize, usize, usize),
    beta: f32,
    tf32: bool,
) {
    let GemmSpec {
        batch,
        m,
        n,
        k,
        transpose_a,
        transpose_b,
    } = *spec;
    let op = |t: bool| {
        if t {
            cublasOperation_t::CUBLAS_OP_T
        } else {
            cublasOperation_t::CUBLAS_OP_N
        }
    };
    let gemm = GemmConfig {
        transa: op(transpose_b),
        transb: op(transpose_a),
        m: n as i32,
        n: m as i32,
        k: k as i32,
        alpha: 1.0f32,
        lda: if transpose_b { k } else { n } as i32,
        ldb: if transpose_a { m } else { k } as i32,
        beta,
        ldc: n as i32,
    };
    let config = StridedBatchedConfig {
        gemm,
        batch_size: batch as i32,
        stride_a: strides.1 as i64,
        stride_b: strides.0 as i64,
        stride_c: strides.2 as i64,
    };
    use cudarc::cublas::sys::{cublasMath_t, cublasSetMathMode};
    let math = if tf32 {
        cublasMath_t::CUBLAS_TF32_TENSOR_OP_MATH
    } else {
        cublasMath_t::CUBLAS_DEFAULT_MATH
    };
    // Safety: the handle is valid; the buffers hold the sizes the spec describes (checked by
    // the Tensor methods).
    unsafe {
        cublasSetMathMode(*device.blas.handle(), math);
        device.blas.gemm_strided_batched(config, b, a, c)
    }
    .unwrap_or_else(|e| panic!("cuBLAS GEMM {spec:?} failed: {e}"));
}

impl CudaStorage {
    pub fn from_host(values: &[f32], device: Arc<CudaDevice>) -> Self {
        let slice = check(device.stream.clone_htod(values), "upload");
        CudaStorage { slice, device }
    }

    fn wrap(&self, slice: CudaSlice<f32>) -> Self {
        CudaStorage {
            slice,
            device: Arc::clone(&self.device),
        }
    }

    fn alloc(&self, n: usize) -> CudaSlice<f32> {
        alloc(&self.device, n)
    }
}

impl CudaIndices {
    pub fn from_host(values: &[u32], device: Arc<CudaDevice>) -> Self {
        let slice = check(device.stream.clone_htod(values), "upload");
        CudaIndices { slice, device }
    }

    pub fn to_vec(&self) -> Vec<u32> {
        check(self.device.stream.clone_dtoh(&self.slice), "download")
    }
}

impl Clone for CudaStorage {
    fn clone(&self) -> Self {
        self.wrap(check(
            self.device.stream.clone_dtod(&self.slice),
            "device copy",
        ))
    }
}

impl Clone for CudaIndices {
    fn clone(&self) -> Self {
        let slice = check(self.device.stream.clone_dtod(&self.slice), "device copy");
        CudaIndices {
            slice,
            device: Arc::clone(&self.device),
        }
    }
}

impl std::fmt::Debug for CudaStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaStorage(cuda:{}, {} values)",
            self.device.ordinal,
            self.slice.len()
        )
    }
}

impl std::fmt::Debug for CudaIndices {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "CudaIndices(cuda:{}, {} values)",
            self.device.ordinal,
            self.slice.len()
        )
    }
}

impl PartialEq for CudaIndices {
    fn eq(&self, other: &Self) -> bool {
        self.to_vec() == other.to_vec()
    }
}

impl Eq for CudaIndices {}

/// Largest column matrix (in floats) one convolution chunk may use: 64 Mi floats = 256 MiB.
const MAX_COLUMN_FLOATS: usize = 64 << 20;

fn images_per_chunk(g: &Conv2dGeometry) -> usize {
    (MAX_COLUMN_FLOATS / (g.patch_len() * g.out_pixels()).max(1)).clamp(1, g.batch.max(1))
}

/// `struct ConvGeom` of kernels/common.cuh.
#[repr(C)]
#[derive(Clone, Copy)]
struct ConvGeom([u32; 9]);

// Safety: nine u32s, the layout of the C struct.
unsafe impl DeviceRepr for ConvGeom {}

impl ConvGeom {
    fn of(g: &Conv2dGeometry) -> Self {
        let v = [
            g.in_channels,
            g.in_h,
            g.in_w,
            g.kernel_h,
            g.kernel_w,
            g.stride,
            g.padding,
            g.out_h,
            g.out_w,
        ];
        ConvGeom(v.map(|x| x as u32))
    }
}

/// `struct PoolGeom` of kernels/common.cuh.
#[repr(C)]
#[derive(Clone, Copy)]
struct PoolGeom([u32; 8]);

// Safety: eight u32s, the layout of the C struct.
unsafe impl DeviceRepr for PoolGeom {}

impl PoolGeom {
    fn of(g: &Pool2dGeometry) -> Self {
        let v = [
            g.planes(),
            g.in_h,
            g.in_w,
            g.kernel,
            g.stride,
            g.padding,
            g.out_h,
            g.out_w,
        ];
        PoolGeom(v.map(|x| x as u32))
    }
}

impl Backend for CudaStorage {
    type Indices = CudaIndices;

    fn len(&self) -> usize {
        self.slice.len()
    }

    fn to_vec(&self) -> Vec<f32> {
        check(self.device.stream.clone_dtoh(&self.slice), "download")
    }

    fn unary(&self, op: UnaryOp) -> Self {
        let n = self.len();
        let mut out = self.alloc(n);
        let ((code, param), n64) = (unary_code(op), n as u64);
        let mut a = kernel(&self.device, "unary");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&n64)
            .arg(&code)
            .arg(&param);
        run(a, n, "unary");
        self.wrap(out)
    }

    fn binary(
        &self,
        rhs: &Self,
        op: BinaryOp,
        lhs_shape: &Shape,
        rhs_shape: &Shape,
        out_shape: &Shape,
    ) -> Self {
        let n = out_shape.numel();
        let mut out = self.alloc(n);
        let (code, n64) = (binary_code(op), n as u64);
        if lhs_shape == rhs_shape {
            let mut a = kernel(&self.device, "binary_same");
            a.arg(&mut out)
                .arg(&self.slice)
                .arg(&rhs.slice)
                .arg(&n64)
                .arg(&code);
            run(a, n, "binary_same");
        } else {
            let strides = Strides6::new(
                out_shape.dims(),
                &lhs_shape.broadcast_strides(out_shape),
                &rhs_shape.broadcast_strides(out_shape),
            );
            let mut a = kernel(&self.device, "binary_broadcast");
            a.arg(&mut out)
                .arg(&self.slice)
                .arg(&rhs.slice)
                .arg(&n64)
                .arg(&code)
                .arg(&strides);
            run(a, n, "binary_broadcast");
        }
        self.wrap(out)
    }

    fn bias_relu(&self, bias: &Self, l: AxisLayout) -> Self {
        let n = self.len();
        let mut out = self.alloc(n);
        let (n64, channels, inner) = (n as u64, l.len as u32, l.inner as u32);
        let mut a = kernel(&self.device, "bias_relu");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&bias.slice)
            .arg(&n64)
            .arg(&channels)
            .arg(&inner);
        run(a, n, "bias_relu");
        self.wrap(out)
    }

    fn permute(&self, shape: &Shape, axes: &[usize]) -> Self {
        let n = self.len();
        let in_strides = shape.strides();
        let dims: Vec<usize> = axes.iter().map(|&a| shape.dims()[a]).collect();
        let strides: Vec<usize> = axes.iter().map(|&a| in_strides[a]).collect();
        let s = Strides6::new(&dims, &strides, &[]);
        let mut out = self.alloc(n);
        let n64 = n as u64;
        let mut a = kernel(&self.device, "permute");
        a.arg(&mut out).arg(&self.slice).arg(&n64).arg(&s);
        run(a, n, "permute");
        self.wrap(out)
    }

    fn reduce(&self, op: ReduceOp, l: AxisLayout) -> Self {
        let mut out = self.alloc(l.outer * l.inner);
        let (outer, len, inner) = (l.outer as u32, l.len as u32, l.inner as u32);
        let code: u32 = if op == ReduceOp::Sum { 0 } else { 1 };
        let mut a = kernel(&self.device, "reduce_axis");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&outer)
            .arg(&len)
            .arg(&inner)
            .arg(&code);
        run(a, l.outer * l.inner, "reduce_axis");
        self.wrap(out)
    }

    fn argmax(&self, l: AxisLayout) -> CudaIndices {
        let mut out = alloc::<u32>(&self.device, l.outer * l.inner);
        let (outer, len, inner) = (l.outer as u32, l.len as u32, l.inner as u32);
        let mut a = kernel(&self.device, "argmax_axis");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&outer)
            .arg(&len)
            .arg(&inner);
        run(a, l.outer * l.inner, "argmax_axis");
        CudaIndices {
            slice: out,
            device: Arc::clone(&self.device),
        }
    }

    fn scatter_along_axis(&self, indices: &CudaIndices, l: AxisLayout) -> Self {
        let n = l.outer * l.len * l.inner;
        let mut out = self.alloc(n);
        let (outer, len, inner) = (l.outer as u32, l.len as u32, l.inner as u32);
        let mut a = kernel(&self.device, "scatter_axis");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&indices.slice)
            .arg(&outer)
            .arg(&len)
            .arg(&inner);
        run(a, n, "scatter_axis");
        self.wrap(out)
    }

    fn gemm(&self, rhs: &Self, spec: &GemmSpec) -> Self {
        let mut out = self.alloc(spec.batch * spec.m * spec.n);
        let strides = (spec.m * spec.k, spec.k * spec.n, spec.m * spec.n);
        gemm_row_major(
            &self.device,
            &self.slice,
            &rhs.slice,
            &mut out,
            spec,
            strides,
            0.0,
            device::matmul_tf32(),
        );
        self.wrap(out)
    }

    fn conv2d(&self, weight: &Self, bias: Option<&Self>, g: &Conv2dGeometry) -> Self {
        let (ckk, ohw, image_len) = (
            g.patch_len(),
            g.out_pixels(),
            g.in_channels * g.in_h * g.in_w,
        );
        let mut y = self.alloc(g.batch * g.out_channels * ohw);
        let chunk = images_per_chunk(g);
        let mut col = self.alloc(chunk * ckk * ohw);
        let geometry = ConvGeom::of(g);
        for first in (0..g.batch).step_by(chunk) {
            let images = chunk.min(g.batch - first);
            let x = self
                .slice
                .slice(first * image_len..(first + images) * image_len);
            let (images32, image_major) = (images as u32, 0u32);
            let mut a = kernel(&self.device, "im2col");
            a.arg(&mut col)
                .arg(&x)
                .arg(&images32)
                .arg(&geometry)
                .arg(&image_major);
            run(a, images * ckk * ohw, "im2col");
            // y[n] = W · col[n] for each image of the chunk; W is shared (stride 0).
            let spec = GemmSpec {
                batch: images,
                m: g.out_channels,
                n: ohw,
                k: ckk,
                transpose_a: false,
                transpose_b: false,
            };
            let mut y_chunk =
                y.slice_mut(first * g.out_channels * ohw..(first + images) * g.out_channels * ohw);
            let strides = (0, ckk * ohw, g.out_channels * ohw);
            gemm_row_major(
                &self.device,
                &weight.slice,
                &col,
                &mut y_chunk,
                &spec,
                strides,
                0.0,
                device::conv_tf32(),
            );
        }
        if let Some(bias) = bias {
            let (n, channels, pixels) = (
                (g.batch * g.out_channels * ohw) as u64,
                g.out_channels as u32,
                ohw as u32,
            );
            let mut a = kernel(&self.device, "add_channel_bias");
            a.arg(&mut y)
                .arg(&bias.slice)
                .arg(&n)
                .arg(&channels)
                .arg(&pixels);
            run(a, n as usize, "add_channel_bias");
        }
        self.wrap(y)
    }

    fn conv2d_input_grad(&self, weight: &Self, g: &Conv2dGeometry) -> Self {
        let (ckk, ohw, image_len) = (
            g.patch_len(),
            g.out_pixels(),
            g.in_channels * g.in_h * g.in_w,
        );
        let mut dx = self.alloc(g.batch * image_len);
        let chunk = images_per_chunk(g);
        let mut dcol = self.alloc(chunk * ckk * ohw);
        let geometry = ConvGeom::of(g);
        for first in (0..g.batch).step_by(chunk) {
            let images = chunk.min(g.batch - first);
            // dcol[n] = Wᵀ · dy[n], then col2im gathers each pixel's contributions.
            let dy = self
                .slice
                .slice(first * g.out_channels * ohw..(first + images) * g.out_channels * ohw);
            let spec = GemmSpec {
                batch: images,
                m: ckk,
                n: ohw,
                k: g.out_channels,
                transpose_a: true,
                transpose_b: false,
            };
            let strides = (0, g.out_channels * ohw, ckk * ohw);
            gemm_row_major(
                &self.device,
                &weight.slice,
                &dy,
                &mut dcol,
                &spec,
                strides,
                0.0,
                device::conv_tf32(),
            );
            let mut dx_chunk = dx.slice_mut(first * image_len..(first + images) * image_len);
            let images32 = images as u32;
            let mut a = kernel(&self.device, "col2im");
            a.arg(&mut dx_chunk)
                .arg(&dcol)
                .arg(&images32)
                .arg(&geometry);
            run(a, images * image_len, "col2im");
        }
        self.wrap(dx)
    }

    fn conv2d_weight_grad(&self, input: &Self, g: &Conv2dGeometry) -> Self {
        let (ckk, ohw, image_len) = (
            g.patch_len(),
            g.out_pixels(),
            g.in_channels * g.in_h * g.in_w,
        );
        let mut dw = self.alloc(g.out_channels * ckk);
        let chunk = images_per_chunk(g);
        let mut col = self.alloc(chunk * ckk * ohw);
        let mut dy_channel_major = self.alloc(chunk * g.out_channels * ohw);
        let geometry = ConvGeom::of(g);
        for first in (0..g.batch).step_by(chunk) {
            let images = chunk.min(g.batch - first);
            let x = input
                .slice
                .slice(first * image_len..(first + images) * image_len);
            let (images32, channel_major) = (images as u32, 1u32);
            let mut a = kernel(&self.device, "im2col");
            a.arg(&mut col)
                .arg(&x)
                .arg(&images32)
                .arg(&geometry)
                .arg(&channel_major);
            run(a, images * ckk * ohw, "im2col");
            // dy [n, Cout, OHW] → [Cout, n·OHW], so one GEMM sums over every image and pixel.
            let dy = self
                .slice
                .slice(first * g.out_channels * ohw..(first + images) * g.out_channels * ohw);
            let s = Strides6::new(
                &[g.out_channels, images, ohw],
                &[ohw, g.out_channels * ohw, 1],
                &[],
            );
            let n = (images * g.out_channels * ohw) as u64;
            let mut a = kernel(&self.device, "permute");
            a.arg(&mut dy_channel_major).arg(&dy).arg(&n).arg(&s);
            run(a, n as usize, "permute");
            let spec = GemmSpec {
                batch: 1,
                m: g.out_channels,
                n: ckk,
                k: images * ohw,
                transpose_a: false,
                transpose_b: true,
            };
            let beta = if first == 0 { 0.0 } else { 1.0 };
            gemm_row_major(
                &self.device,
                &dy_channel_major,
                &col,
                &mut dw,
                &spec,
                (0, 0, 0),
                beta,
                device::conv_tf32(),
            );
        }
        self.wrap(dw)
    }

    fn max_pool2d(&self, g: &Pool2dGeometry) -> (Self, CudaIndices) {
        let n = g.planes() * g.out_h * g.out_w;
        let mut out = self.alloc(n);
        let mut indices = alloc::<u32>(&self.device, n);
        let geometry = PoolGeom::of(g);
        let mut a = kernel(&self.device, "max_pool2d");
        a.arg(&mut out)
            .arg(&mut indices)
            .arg(&self.slice)
            .arg(&geometry);
        run(a, n, "max_pool2d");
        (
            self.wrap(out),
            CudaIndices {
                slice: indices,
                device: Arc::clone(&self.device),
            },
        )
    }

    fn max_pool2d_backward(&self, indices: &CudaIndices, g: &Pool2dGeometry) -> Self {
        let n = g.planes() * g.in_h * g.in_w;
        let mut dx = self.alloc(n);
        let geometry = PoolGeom::of(g);
        let mut a = kernel(&self.device, "max_pool2d_backward");
        a.arg(&mut dx)
            .arg(&self.slice)
            .arg(&indices.slice)
            .arg(&geometry);
        run(a, n, "max_pool2d_backward");
        self.wrap(dx)
    }

    fn softmax(&self, l: AxisLayout) -> Self {
        self.softmax_kind(l, 0)
    }

    fn log_softmax(&self, l: AxisLayout) -> Self {
        self.softmax_kind(l, 1)
    }

    fn cross_entropy(&self, labels: &CudaIndices, rows: usize, classes: usize) -> Self {
        let mut losses = self.alloc(rows);
        let (rows32, classes32) = (rows as u32, classes as u32);
        let mut a = kernel(&self.device, "cross_entropy_rows");
        a.arg(&mut losses)
            .arg(&self.slice)
            .arg(&labels.slice)
            .arg(&rows32)
            .arg(&classes32);
        run(a, rows, "cross_entropy_rows");
        let sum = self.wrap(losses).reduce(
            ReduceOp::Sum,
            AxisLayout {
                outer: 1,
                len: rows,
                inner: 1,
            },
        );
        sum.unary(UnaryOp::MulScalar(1.0 / rows as f32))
    }

    fn cross_entropy_backward(
        &self,
        labels: &CudaIndices,
        grad_loss: &Self,
        rows: usize,
        classes: usize,
    ) -> Self {
        let mut out = self.alloc(rows * classes);
        let (rows32, classes32) = (rows as u32, classes as u32);
        let mut a = kernel(&self.device, "cross_entropy_backward");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&labels.slice)
            .arg(&grad_loss.slice)
            .arg(&rows32)
            .arg(&classes32);
        run(a, rows * classes, "cross_entropy_backward");
        self.wrap(out)
    }

    fn adam_step(updates: &mut [AdamUpdate<'_, Self>]) {
        // A launch's grid has at most 65 535 rows (one per tensor); models have far fewer.
        for chunk in updates.chunks_mut(65_535) {
            adam_step_one_launch(chunk);
        }
    }

    fn sgd_step(&mut self, grad: &Self, momentum_buffer: Option<&mut Self>, h: &SgdStep) {
        let n = self.len() as u64;
        let (nesterov, first_step) = (h.nesterov as u32, h.first_step as u32);
        let device = Arc::clone(&self.device);
        let null: u64 = 0;
        let mut a = kernel(&device, "sgd_step");
        a.arg(&mut self.slice).arg(&grad.slice);
        match momentum_buffer {
            Some(buffer) => a.arg(&mut buffer.slice),
            None => a.arg(&null), // a null pointer: the kernel skips momentum
        };
        a.arg(&n)
            .arg(&h.lr)
            .arg(&h.momentum)
            .arg(&h.dampening)
            .arg(&h.weight_decay)
            .arg(&nesterov)
            .arg(&first_step);
        run(a, n as usize, "sgd_step");
    }

    fn resize_bilinear(&self, g: &ResizeGeometry) -> Self {
        let n = g.planes * g.out_h * g.out_w;
        let mut out = self.alloc(n);
        let sizes = [g.planes, g.in_h, g.in_w, g.out_h, g.out_w].map(|v| v as u32);
        let mut a = kernel(&self.device, "resize_bilinear");
        a.arg(&mut out).arg(&self.slice);
        for size in &sizes {
            a.arg(size);
        }
        run(a, n, "resize_bilinear");
        self.wrap(out)
    }

    fn gather_images(pixels: &CudaIndices, picks: &CudaIndices, g: &GatherImages) -> Self {
        let device = Arc::clone(&pixels.device);
        let n = g.count * g.out_h * g.out_w;
        let mut out = alloc::<f32>(&device, n);
        let sizes = [g.count, g.in_h, g.in_w, g.out_h, g.out_w].map(|v| v as u32);
        let mut a = kernel(&device, "gather_images");
        a.arg(&mut out).arg(&pixels.slice).arg(&picks.slice);
        for size in &sizes {
            a.arg(size);
        }
        run(a, n, "gather_images");
        CudaStorage { slice: out, device }
    }

    fn dropout_mask_like(&self, p: f32, seed: u64) -> Self {
        let n = self.len();
        let mut mask = self.alloc(n);
        let n64 = n as u64;
        let mut a = kernel(&self.device, "dropout_mask");
        a.arg(&mut mask).arg(&n64).arg(&p).arg(&seed);
        run(a, n, "dropout_mask");
        self.wrap(mask)
    }
}

impl CudaStorage {
    fn softmax_kind(&self, l: AxisLayout, log: u32) -> Self {
        let mut out = self.alloc(self.len());
        let (outer, len, inner) = (l.outer as u32, l.len as u32, l.inner as u32);
        let mut a = kernel(&self.device, "softmax_axis");
        a.arg(&mut out)
            .arg(&self.slice)
            .arg(&outer)
            .arg(&len)
            .arg(&inner)
            .arg(&log);
        run(a, l.outer * l.inner, "softmax_axis");
        self.wrap(out)
    }

    /// `n` copies of `value` on `device`.
    pub fn full(n: usize, value: f32, device: Arc<CudaDevice>) -> Self {
        let mut out = alloc::<f32>(&device, n);
        let n64 = n as u64;
        let mut a = kernel(&device, "fill");
        a.arg(&mut out).arg(&n64).arg(&value);
        run(a, n, "fill");
        CudaStorage { slice: out, device }
    }
}
