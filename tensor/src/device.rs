//! Where a tensor's storage lives.

use std::fmt;

/// A compute device. `Cuda(ordinal)` needs the `cuda` feature and an NVIDIA GPU; asking for it
/// otherwise is an [`Error`](crate::Error) from [`Tensor::to`](crate::Tensor::to), not a panic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Device {
    #[default]
    Cpu,
    Cuda(usize),
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => write!(f, "cpu"),
            Device::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

impl Device {
    /// Blocks until the device has finished all the work queued on it: a no-op on the CPU,
    /// a stream synchronisation on a GPU (benchmarks need it; reading a value waits anyway).
    pub fn synchronize(self) -> crate::Result<()> {
        crate::storage::synchronize(self)
    }
}
