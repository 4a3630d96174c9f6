//! What a failed CUDA call says.
//!
//! Kernels run asynchronously: a kernel that faults (an illegal address, say) does not fail its
//! own launch but leaves the context broken, and every later call returns that error — usually
//! the next allocation. So an error is only called "out of memory" when the driver says exactly
//! `CUDA_ERROR_OUT_OF_MEMORY`; any other error names itself and how to find the kernel behind it:
//! `RUSTGRAD_CUDA_SYNC=1` waits for every kernel right after its launch (what
//! `CUDA_LAUNCH_BLOCKING=1` does for PyTorch), so the failing kernel reports under its own name.
//!
//! Inside a kernel call there is no caller to return an error to (the [`Backend`] methods return
//! tensors), so these end the operation with a panic. `nn::training` turns the out-of-memory
//! panic into an error that names the batch size; it looks for the words "CUDA out of memory".
//!
//! [`Backend`]: crate::Backend

use cudarc::driver::{sys::CUresult, DriverError};
use std::sync::OnceLock;

/// Whether `RUSTGRAD_CUDA_SYNC=1` asks to wait for every kernel after its launch.
pub fn sync_after_every_launch() -> bool {
    static SYNC: OnceLock<bool> = OnceLock::new();
    *SYNC.get_or_init(|| std::env::var("RUSTGRAD_CUDA_SYNC").is_ok_and(|v| v == "1"))
}

/// `CUDA_ERROR_ILLEGAL_ADDRESS: an illegal memory access was encountered` (the explanation
/// comes from the driver, when one is loaded).
pub fn describe(error: &DriverError) -> String {
    let name = format!("{:?}", error.0);
    // Safety: only tries to load the driver library.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return name;
    }
    match error.error_string() {
        Ok(text) => format!("{name}: {}", text.to_string_lossy()),
        Err(_) => name,
    }
}

/// Ends the operation after a failed driver call (`what` names the call).
pub fn driver_failed(what: &str, error: DriverError) -> ! {
    let hint = if sync_after_every_launch() {
        ""
    } else {
        " (CUDA reports a failed kernel at a later call: rerun with RUSTGRAD_CUDA_SYNC=1 to name the kernel)"
    };
    panic!("CUDA error in {what}: {}{hint}", describe(&error))
}

/// Ends the operation after a failed allocation of `bytes`.
pub fn allocation_failed(bytes: usize, error: DriverError) -> ! {
    let mib = bytes as f64 / (1 << 20) as f64;
    if error.0 == CUresult::CUDA_ERROR_OUT_OF_MEMORY {
        panic!("CUDA out of memory allocating {mib:.0} MiB: reduce the batch size (--batch-size)")
    }
    driver_failed(&format!("allocation of {mib:.1} MiB"), error)
}

/// Ends the operation after a kernel failed, seen at its launch or (sync mode) right after.
pub fn kernel_failed(kernel: &str, error: DriverError) -> ! {
    driver_failed(&format!("kernel `{kernel}`"), error)
}

/// A size as a kernel's 32-bit argument; sizes that do not fit would wrap silently with `as`.
#[track_caller]
pub fn to_u32(value: usize, what: &str) -> u32 {
    u32::try_from(value).unwrap_or_else(|_| {
        panic!("CUDA: {what} = {value} does not fit the kernels' 32-bit size arguments")
    })
}

/// A size as cuBLAS's `int` argument.
#[track_caller]
pub fn to_i32(value: usize, what: &str) -> i32 {
    i32::try_from(value)
        .unwrap_or_else(|_| panic!("cuBLAS: {what} = {value} does not fit cuBLAS's 32-bit `int`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
        let payload = std::panic::catch_unwind(f).expect_err("should panic");
        payload
            .downcast_ref::<String>()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn only_out_of_memory_is_called_out_of_memory() {
        let oom = panic_message(|| {
            allocation_failed(3 << 30, DriverError(CUresult::CUDA_ERROR_OUT_OF_MEMORY))
        });
        assert!(
            oom.starts_with("CUDA out of memory allocating 3072 MiB"),
            "{oom}"
        );
        assert!(oom.contains("--batch-size"), "{oom}");
        let fault = panic_message(|| {
            allocation_failed(3 << 30, DriverError(CUresult::CUDA_ERROR_ILLEGAL_ADDRESS))
        });
        assert!(!fault.contains("out of memory"), "{fault}");
        assert!(
            fault.contains("allocation of 3072.0 MiB")
                && fault.contains("CUDA_ERROR_ILLEGAL_ADDRESS"),
            "{fault}"
        );
        assert!(fault.contains("RUSTGRAD_CUDA_SYNC=1"), "{fault}");
    }

    #[test]
    fn a_failed_kernel_is_named() {
        let message = panic_message(|| {
            kernel_failed("im2col", DriverError(CUresult::CUDA_ERROR_LAUNCH_FAILED))
        });
        assert!(
            message.contains("kernel `im2col`") && message.contains("CUDA_ERROR_LAUNCH_FAILED"),
            "{message}"
        );
    }

    #[test]
    fn sizes_that_do_not_fit_32_bits_are_refused() {
        assert_eq!(to_u32(7, "x"), 7);
        let message = panic_message(|| {
            to_u32(1 << 32, "axis size");
        });
        assert!(message.contains("axis size = 4294967296"), "{message}");
        let message = panic_message(|| {
            to_i32(1 << 31, "GEMM k");
        });
        assert!(message.contains("GEMM k = 2147483648"), "{message}");
    }
}
