//! Keeping freed memory in the process.
//!
//! A training step allocates and frees the same large buffers (activations, im2col matrices,
//! gradients) again and again. glibc's malloc serves blocks above a size threshold with `mmap`
//! and returns them with `munmap` when freed, so every step page-faults its buffers back in and
//! every `munmap` interrupts the other cores to flush their TLBs: measured at ~18% of an AlexNet
//! step on 2 cores. Raising the mmap threshold to its maximum (32 MiB) and never trimming the
//! heap lets freed buffers be reused directly, as PyTorch's CPU allocator does.

use std::sync::Once;

/// Applies the settings once per process (a no-op off glibc).
pub fn keep_freed_memory() {
    static ONCE: Once = Once::new();
    ONCE.call_once(configure_malloc);
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn configure_malloc() {
    extern "C" {
        fn mallopt(param: i32, value: i32) -> i32;
    }
    const M_TRIM_THRESHOLD: i32 = -1;
    const M_MMAP_THRESHOLD: i32 = -3;
    // Safety: mallopt only changes malloc's tuning parameters; any value is valid to pass.
    unsafe {
        mallopt(M_MMAP_THRESHOLD, 32 << 20);
        mallopt(M_TRIM_THRESHOLD, i32::MAX);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn configure_malloc() {}
