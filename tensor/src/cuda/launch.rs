//! Launching a kernel: its launch shape, then its arguments in the order of its `.cu` signature.
//!
//! Every kernel has one typed launch function in the launch file of its family (`conv.rs`,
//! `reduce.rs`, ...), the only place where its argument list is written:
//!
//! ```ignore
//! Launch::grid_stride(device, "fill", n).arg(&out).arg(&n64).arg(&value).run();
//! ```
//!
//! The driver copies the argument values when the launch is queued, so they only need to live
//! until [`Launch::run`] returns. Nothing checks the argument list against the kernel here (the
//! driver cannot either); the emulated device in CI does, against the compiled kernel.

use super::device::CudaDevice;
use super::error::{kernel_failed, to_u32};
use cudarc::driver::result;
use std::ffi::c_void;
use std::marker::PhantomData;

/// Threads per block of grid-stride launches.
pub const THREADS: u32 = 256;

/// Most blocks a grid-stride launch uses: 524 280 × 256 threads ≈ 2²⁷; longer tensors make each
/// thread take several elements (the kernels' `FOR_EACH_INDEX` loop).
pub const MAX_BLOCKS: u32 = 65_535 * 8;

/// A value a kernel takes as a parameter.
///
/// # Safety
/// The type's bytes must be what the kernel's parameter type expects: same size and layout
/// (`#[repr(C)]` structs and `#[repr(u32)]` enums mirroring `common.cuh`, plain numbers, and
/// device addresses for pointer parameters).
pub unsafe trait KernelArg {
    /// Where the parameter's bytes are, for `cuLaunchKernel`.
    fn as_kernel_param(&self) -> *mut c_void {
        self as *const Self as *mut c_void
    }
}

// Safety: the kernels' u32, u64 and float parameters.
unsafe impl KernelArg for u32 {}
unsafe impl KernelArg for u64 {}
unsafe impl KernelArg for f32 {}

/// A kernel's struct of `N` sizes passed by value (`ConvGeom`, `PoolGeom` and `ResizeGeom` of
/// kernels/common.cuh), in the order of the C struct's fields.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct Sizes<const N: usize>([u32; N]);

// Safety: N u32s, the layout of a C struct of N u32 fields.
unsafe impl<const N: usize> KernelArg for Sizes<N> {}

impl<const N: usize> Sizes<N> {
    /// Panics, naming `what` sizes, if one of them does not fit a u32.
    #[track_caller]
    pub fn new(sizes: [usize; N], what: &str) -> Self {
        Sizes(sizes.map(|size| to_u32(size, what)))
    }
}

/// One launch being put together.
pub struct Launch<'a> {
    device: &'a CudaDevice,
    kernel: &'static str,
    grid: (u32, u32, u32),
    block: (u32, u32, u32),
    params: Vec<*mut c_void>,
    /// The arguments are borrowed until the launch is queued.
    arguments: PhantomData<&'a ()>,
}

impl<'a> Launch<'a> {
    /// `kernel` over `n` elements, as a grid-stride loop; with `n == 0` nothing is launched.
    pub fn grid_stride(device: &'a CudaDevice, kernel: &'static str, n: usize) -> Self {
        let blocks = n.div_ceil(THREADS as usize).min(MAX_BLOCKS as usize) as u32;
        Self::with_shape(device, kernel, (blocks, 1, 1), (THREADS, 1, 1))
    }

    /// `kernel` with an explicit grid and block shape.
    pub fn with_shape(
        device: &'a CudaDevice,
        kernel: &'static str,
        grid: (u32, u32, u32),
        block: (u32, u32, u32),
    ) -> Self {
        Launch {
            device,
            kernel,
            grid,
            block,
            params: Vec::with_capacity(12),
            arguments: PhantomData,
        }
    }

    /// Sets the grid's second dimension (kernels that read `blockIdx.y`).
    pub fn grid_rows(mut self, rows: u32) -> Self {
        self.grid.1 = rows;
        self
    }

    /// The next argument of the kernel's signature.
    pub fn arg<A: KernelArg>(mut self, value: &'a A) -> Self {
        self.params.push(value.as_kernel_param());
        self
    }

    /// Queues the kernel on the device's stream (with `RUSTGRAD_CUDA_SYNC=1`, also waits for it).
    pub fn run(mut self) {
        if self.grid.0 == 0 || self.grid.1 == 0 {
            return; // no elements: nothing to do, and CUDA refuses empty grids
        }
        let device = self.device;
        device.bind();
        let function = device.function(self.kernel);
        // Safety: the typed launch function that built this launch passed the kernel's
        // parameters in its signature's order, with the types `KernelArg` describes, and
        // buffers large enough for the sizes it passed (the Tensor methods check shapes first).
        let launched = unsafe {
            result::launch_kernel(
                function,
                self.grid,
                self.block,
                0,
                device.stream(),
                &mut self.params,
            )
        };
        launched.unwrap_or_else(|e| kernel_failed(self.kernel, e));
        if super::error::sync_after_every_launch() {
            device
                .synchronize()
                .unwrap_or_else(|e| kernel_failed(self.kernel, e));
        }
    }
}
