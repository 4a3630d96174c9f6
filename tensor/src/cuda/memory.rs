//! Device memory: where allocations come from, and [`DeviceBuffer`], a typed buffer of GPU
//! memory that frees itself when dropped.
//!
//! Allocations come from the device's stream-ordered pool (`cuMemAllocAsync`), which keeps freed
//! memory for the next allocation, so a training step allocates without calling into the driver
//! once the first step has run. Where pools are unsupported (some virtualised GPUs and sandboxes
//! report support and then refuse the call), plain `cuMemAlloc` takes over, with a notice.
//!
//! Nothing here tracks which stream used a buffer: rustgrad queues all work on one stream, in
//! order, so a buffer freed on that stream is never freed before the kernels that read it.

use super::device::CudaDevice;
use super::error::{allocation_failed, driver_failed};
use super::launch::KernelArg;
use cudarc::driver::{result, sys, DriverError};
use std::ffi::c_void;
use std::marker::PhantomData;
use std::ops::Range;
use std::sync::Arc;

/// How a device allocates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemorySource {
    /// `cuMemAllocAsync` from the default pool, which keeps freed memory.
    Pool,
    /// `cuMemAlloc` / `cuMemFree`: where pools are unsupported.
    Plain,
}

impl std::fmt::Display for MemorySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MemorySource::Pool => write!(f, "memory from the stream-ordered pool"),
            MemorySource::Plain => write!(f, "memory from cuMemAlloc (no pool)"),
        }
    }
}

impl MemorySource {
    /// Tries the pool once; falls back to plain allocation (with a one-line notice) if the driver
    /// refuses it. `context` must be current on this thread.
    pub fn choose(cu_device: sys::CUdevice, stream: sys::CUstream, ordinal: usize) -> Self {
        // Safety: a 256-byte allocation, freed at once on the same stream.
        let probe = unsafe { result::malloc_async(stream, 256) }
            .and_then(|address| unsafe { result::free_async(address, stream) });
        match probe {
            Ok(()) => {
                keep_freed_memory_in_pool(cu_device);
                MemorySource::Pool
            }
            Err(error) => {
                eprintln!(
                    "cuda:{ordinal}: stream-ordered memory pools are unavailable ({}); allocating with cuMemAlloc instead",
                    super::error::describe(&error)
                );
                MemorySource::Plain
            }
        }
    }

    fn allocate(
        self,
        bytes: usize,
        stream: sys::CUstream,
    ) -> Result<sys::CUdeviceptr, DriverError> {
        // Safety: plain allocation calls; the caller owns the returned memory.
        unsafe {
            match self {
                MemorySource::Pool => result::malloc_async(stream, bytes),
                MemorySource::Plain => result::malloc_sync(bytes),
            }
        }
    }

    fn free(self, address: sys::CUdeviceptr, stream: sys::CUstream) -> Result<(), DriverError> {
        // Safety: `address` came from `allocate` with the same source and is freed once; the
        // stream orders the free after every kernel queued before it.
        unsafe {
            match self {
                MemorySource::Pool => result::free_async(address, stream),
                MemorySource::Plain => result::free_sync(address),
            }
        }
    }
}

/// Freed memory stays in the pool instead of going back to the driver (by default the pool
/// returns everything at each synchronisation).
fn keep_freed_memory_in_pool(cu_device: sys::CUdevice) {
    let mut pool = std::ptr::null_mut();
    // Safety: plain driver calls on a valid device; failure only means the default applies.
    unsafe {
        if sys::cuDeviceGetDefaultMemPool(&mut pool, cu_device) == sys::CUresult::CUDA_SUCCESS {
            let mut threshold = u64::MAX;
            let attribute = sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD;
            sys::cuMemPoolSetAttribute(pool, attribute, &mut threshold as *mut u64 as *mut _);
        }
    }
}

/// `len` values of type `T` in GPU memory. An empty buffer allocates nothing (CUDA refuses
/// zero-byte allocations) and has address 0; kernels are never launched over it.
pub struct DeviceBuffer<T> {
    address: sys::CUdeviceptr,
    len: usize,
    device: Arc<CudaDevice>,
    values: PhantomData<T>,
}

// Safety: the buffer is an address and a length; the device serialises its use through its
// one stream.
unsafe impl<T: Send> Send for DeviceBuffer<T> {}
unsafe impl<T: Sync> Sync for DeviceBuffer<T> {}

impl<T: Copy> DeviceBuffer<T> {
    /// `len` values of unset memory: every caller writes all of it before anything reads it.
    pub fn uninit(device: &Arc<CudaDevice>, len: usize) -> Self {
        let bytes = len
            .checked_mul(std::mem::size_of::<T>())
            .unwrap_or_else(|| panic!("CUDA: a buffer of {len} values does not fit in memory"));
        let address = if bytes == 0 {
            0
        } else {
            device.bind();
            device
                .memory
                .allocate(bytes, device.stream())
                .unwrap_or_else(|e| allocation_failed(bytes, e))
        };
        DeviceBuffer {
            address,
            len,
            device: Arc::clone(device),
            values: PhantomData,
        }
    }

    /// A copy of `values` on `device`.
    pub fn from_host(values: &[T], device: Arc<CudaDevice>) -> Self {
        let buffer = Self::uninit(&device, values.len());
        if !values.is_empty() {
            // Safety: the buffer holds `values.len()` values; from pageable host memory the copy
            // has read `values` when the call returns.
            unsafe { result::memcpy_htod_async(buffer.address, values, device.stream()) }
                .unwrap_or_else(|e| driver_failed("upload to the GPU", e));
        }
        buffer
    }

    /// The values, copied to host memory (waits for the kernels that write them).
    pub fn to_vec(&self) -> Vec<T>
    where
        T: Default,
    {
        let mut values = vec![T::default(); self.len];
        if self.len == 0 {
            return values;
        }
        self.device.bind();
        // Safety: `values` holds `len` values; the stream is synchronised before they are read.
        unsafe { result::memcpy_dtoh_async(&mut values, self.address, self.device.stream()) }
            .unwrap_or_else(|e| driver_failed("download from the GPU", e));
        self.device.synchronize_or_panic("download from the GPU");
        values
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn device(&self) -> &Arc<CudaDevice> {
        &self.device
    }

    /// The whole buffer, as a kernel or cuBLAS argument.
    pub fn all(&self) -> Span<'_, T> {
        self.range(0..self.len)
    }

    /// Values `range` of the buffer, as a kernel or cuBLAS argument.
    #[track_caller]
    pub fn range(&self, range: Range<usize>) -> Span<'_, T> {
        assert!(
            range.start <= range.end && range.end <= self.len,
            "CUDA: range {range:?} outside a buffer of {} values",
            self.len
        );
        Span {
            address: self.address + (range.start * std::mem::size_of::<T>()) as u64,
            len: range.len(),
            buffer: PhantomData,
        }
    }
}

impl<T: Copy> Clone for DeviceBuffer<T> {
    fn clone(&self) -> Self {
        let copy = Self::uninit(&self.device, self.len);
        if self.len > 0 {
            let bytes = self.len * std::mem::size_of::<T>();
            // Safety: both buffers hold `len` values.
            unsafe {
                result::memcpy_dtod_async(copy.address, self.address, bytes, self.device.stream())
            }
            .unwrap_or_else(|e| driver_failed("copy on the GPU", e));
        }
        copy
    }
}

impl<T> Drop for DeviceBuffer<T> {
    fn drop(&mut self) {
        if self.address == 0 {
            return;
        }
        // A failed free means the context has already failed; that error is sticky and the next
        // call that can report it will (a panic here could abort an unwinding thread).
        if self.device.try_bind().is_ok() {
            let _ = self.device.memory.free(self.address, self.device.stream());
        }
    }
}

impl<T> std::fmt::Debug for DeviceBuffer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = std::any::type_name::<T>();
        write!(
            f,
            "DeviceBuffer<{kind}>(cuda:{}, {} values)",
            self.device.ordinal, self.len
        )
    }
}

impl<T: Copy + Default + PartialEq> PartialEq for DeviceBuffer<T> {
    fn eq(&self, other: &Self) -> bool {
        self.to_vec() == other.to_vec()
    }
}

impl<T: Copy + Default + Eq> Eq for DeviceBuffer<T> {}

/// A range of a [`DeviceBuffer`], as a kernel or cuBLAS argument: the address of its first value
/// (the borrow keeps the buffer alive while the span exists).
#[derive(Clone, Copy)]
pub struct Span<'a, T> {
    address: sys::CUdeviceptr,
    len: usize,
    buffer: PhantomData<&'a T>,
}

impl<T> Span<'_, T> {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn address(&self) -> sys::CUdeviceptr {
        self.address
    }
}

// Safety: a kernel's pointer parameter is the 64-bit address a span holds.
unsafe impl<T> KernelArg for Span<'_, T> {
    fn as_kernel_param(&self) -> *mut c_void {
        &self.address as *const sys::CUdeviceptr as *mut c_void
    }
}
