//! One GPU: its context, the one stream every kernel runs on, cuBLAS, and the compiled kernels.
//!
//! A device is opened on first use and kept for the process. Opening checks, in order, that the
//! driver library exists (cudarc would panic otherwise), that the GPU exists, and that NVRTC and
//! cuBLAS can be loaded; each failure is an [`Error`](crate::Error) that says what to do.

use super::kernels;
use crate::{Error, Result};
use cudarc::cublas::CudaBlas;
use cudarc::driver::{CudaContext, CudaFunction, CudaStream, LaunchConfig};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub struct CudaDevice {
    pub ordinal: usize,
    pub stream: Arc<CudaStream>,
    pub blas: CudaBlas,
    functions: HashMap<&'static str, CudaFunction>,
}

impl std::fmt::Debug for CudaDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CudaDevice({})", self.ordinal)
    }
}

/// The device `ordinal`, opened on first use.
pub fn device(ordinal: usize) -> Result<Arc<CudaDevice>> {
    static DEVICES: OnceLock<Mutex<HashMap<usize, Arc<CudaDevice>>>> = OnceLock::new();
    let mut devices = DEVICES
        .get_or_init(Default::default)
        .lock()
        .expect("device table");
    if let Some(device) = devices.get(&ordinal) {
        return Ok(Arc::clone(device));
    }
    let device = Arc::new(open(ordinal)?);
    devices.insert(ordinal, Arc::clone(&device));
    Ok(device)
}

fn unavailable(why: impl std::fmt::Display) -> Error {
    Error::DeviceUnavailable(why.to_string())
}

fn open(ordinal: usize) -> Result<CudaDevice> {
    // Safety: these only try to dlopen the libraries.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(unavailable(
            "no NVIDIA driver found (libcuda.so); install the driver, or use --device cpu",
        ));
    }
    let count = CudaContext::device_count().map_err(|e| {
        unavailable(format!(
            "the CUDA driver reports no usable GPU ({e}); use --device cpu"
        ))
    })?;
    if ordinal >= count.max(0) as usize {
        return Err(unavailable(format!(
            "cuda:{ordinal} does not exist ({count} GPU(s) found); use --device cpu"
        )));
    }
    for (present, library) in [
        (
            unsafe { cudarc::nvrtc::sys::is_culib_present() },
            "NVRTC (libnvrtc.so)",
        ),
        (
            unsafe { cudarc::cublas::sys::is_culib_present() },
            "cuBLAS (libcublas.so)",
        ),
    ] {
        if !present {
            return Err(unavailable(format!(
                "{library} not found: put the CUDA libraries' folder (e.g. /usr/local/cuda/lib64) on LD_LIBRARY_PATH"
            )));
        }
    }
    let context =
        CudaContext::new(ordinal).map_err(|e| unavailable(format!("cuda:{ordinal}: {e}")))?;
    let (major, minor) = context.compute_capability().map_err(unavailable)?;
    let arch = format!("sm_{major}{minor}");
    let ptx = kernels::compile(&arch)
        .map_err(|e| unavailable(format!("compiling the kernels for {arch} failed: {e}")))?;
    let module = context.load_module(ptx).map_err(unavailable)?;
    let mut functions = HashMap::new();
    for name in kernels::KERNEL_NAMES {
        functions.insert(name, module.load_function(name).map_err(unavailable)?);
    }
    let stream = context.default_stream();
    keep_freed_memory_in_pool(&context);
    let blas =
        CudaBlas::new(Arc::clone(&stream)).map_err(|e| unavailable(format!("cuBLAS: {e}")))?;
    Ok(CudaDevice {
        ordinal,
        stream,
        blas,
        functions,
    })
}

/// Freed device memory stays in the stream-ordered pool instead of going back to the driver, so
/// a training step allocates without calling the driver once the first step has run.
fn keep_freed_memory_in_pool(context: &CudaContext) {
    use cudarc::driver::sys;
    let mut pool = std::ptr::null_mut();
    // Safety: plain driver calls on a valid device; failure only means the default applies.
    unsafe {
        if sys::cuDeviceGetDefaultMemPool(&mut pool, context.cu_device())
            == sys::CUresult::CUDA_SUCCESS
        {
            let mut threshold = u64::MAX;
            let attribute = sys::CUmemPool_attribute::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD;
            sys::cuMemPoolSetAttribute(pool, attribute, &mut threshold as *mut u64 as *mut _);
        }
    }
}

impl CudaDevice {
    pub fn function(&self, name: &str) -> &CudaFunction {
        self.functions
            .get(name)
            .unwrap_or_else(|| panic!("kernel {name} is not in the compiled module"))
    }

    /// A grid-stride launch shape covering `n` elements.
    pub fn grid(n: usize) -> LaunchConfig {
        const THREADS: usize = 256;
        let blocks = n.div_ceil(THREADS).clamp(1, 65_535 * 8);
        LaunchConfig {
            grid_dim: (blocks as u32, 1, 1),
            block_dim: (THREADS as u32, 1, 1),
            shared_mem_bytes: 0,
        }
    }
}

/// Tensor-core TF32 math for convolution GEMMs (on by default) and for matmul/Linear GEMMs (off
/// by default) — PyTorch's defaults (`torch.backends.cudnn.allow_tf32 = True`,
/// `torch.backends.cuda.matmul.allow_tf32 = False`).
static CONV_TF32: AtomicBool = AtomicBool::new(true);
static MATMUL_TF32: AtomicBool = AtomicBool::new(false);

/// One switch for both: `--tf32 on|off` in the examples.
pub fn set_tf32(enabled: bool) {
    CONV_TF32.store(enabled, Ordering::Relaxed);
    MATMUL_TF32.store(enabled, Ordering::Relaxed);
}

pub fn conv_tf32() -> bool {
    CONV_TF32.load(Ordering::Relaxed)
}

pub fn matmul_tf32() -> bool {
    MATMUL_TF32.load(Ordering::Relaxed)
}
