//! One GPU: its context, the one stream every kernel runs on, where its memory comes from,
//! cuBLAS, and the compiled kernels.
//!
//! A device is opened on first use and kept for the process. Opening checks, in order, that the
//! driver library exists (cudarc would panic otherwise), that the GPU exists, that NVRTC and
//! cuBLAS can be loaded, and that the kernels compile and load; each failure is an
//! [`Error`](crate::Error) that says what to do. On success it prints one line — card,
//! architecture, driver and NVRTC versions, kernel format, memory source — the first thing to
//! look at when a GPU run misbehaves.

use super::blas::Blas;
use super::kernels::{self, Target};
use super::memory::MemorySource;
use crate::{Error, Result};
use cudarc::driver::{sys, CudaContext, CudaFunction, CudaStream, DriverError};
use cudarc::nvrtc::Ptx;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

pub struct CudaDevice {
    pub ordinal: usize,
    context: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    pub(super) memory: MemorySource,
    pub(super) blas: Blas,
    functions: HashMap<String, CudaFunction>,
    description: String,
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
    eprintln!("{}", device.description);
    devices.insert(ordinal, Arc::clone(&device));
    Ok(device)
}

/// The GPU a test runs on: `Some(Device::Cuda(0))` when it opens. Otherwise the test prints
/// `skipped: no CUDA device (why)` and gets `None`, so CI logs show what did not run — unless
/// `RUSTGRAD_REQUIRE_GPU=1` (set by `scripts/gpu-check.sh` and the emulated-device run): then a
/// device that cannot be opened fails the test.
pub fn gpu_for_tests() -> Option<crate::Device> {
    match device(0) {
        Ok(_) => Some(crate::Device::Cuda(0)),
        Err(why) if std::env::var("RUSTGRAD_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("RUSTGRAD_REQUIRE_GPU=1 but the GPU cannot be opened: {why}")
        }
        Err(why) => {
            println!("skipped: no CUDA device ({why})");
            None
        }
    }
}

fn unavailable(why: impl std::fmt::Display) -> Error {
    Error::DeviceUnavailable(why.to_string())
}

fn open(ordinal: usize) -> Result<CudaDevice> {
    check_libraries_present()?;
    let count = CudaContext::device_count().map_err(|e| {
        unavailable(format!(
            "the CUDA driver reports no usable GPU ({}); use --device cpu",
            super::error::describe(&e)
        ))
    })?;
    if ordinal >= count.max(0) as usize {
        return Err(unavailable(format!(
            "cuda:{ordinal} does not exist ({count} GPU(s) found); use --device cpu"
        )));
    }
    let context = CudaContext::new(ordinal)
        .map_err(|e| unavailable(format!("cuda:{ordinal}: {}", super::error::describe(&e))))?;
    let (major, minor) = context
        .compute_capability()
        .map_err(|e| unavailable(super::error::describe(&e)))?;
    let target = Target::for_device(major as u32, minor as u32)
        .map_err(|e| unavailable(format!("NVRTC: {e}")))?;
    let functions = load_kernels(&context, target)?;
    let stream = context.default_stream();
    let memory = MemorySource::choose(context.cu_device(), stream.cu_stream(), ordinal);
    let blas = Blas::new(stream.cu_stream()).map_err(|e| unavailable(format!("cuBLAS: {e}")))?;
    let description = describe(ordinal, &context, target, memory);
    Ok(CudaDevice {
        ordinal,
        context,
        stream,
        memory,
        blas,
        functions,
        description,
    })
}

/// The driver, NVRTC and cuBLAS libraries can be loaded (cudarc panics on a missing one).
fn check_libraries_present() -> Result<()> {
    // Safety: these only try to dlopen the libraries.
    if !unsafe { cudarc::driver::sys::is_culib_present() } {
        return Err(unavailable(
            "no NVIDIA driver found (libcuda.so); install the driver, or use --device cpu",
        ));
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
    Ok(())
}

/// Compiles the kernels for `target`, loads them, and looks up every kernel of the program.
fn load_kernels(
    context: &Arc<CudaContext>,
    target: Target,
) -> Result<HashMap<String, CudaFunction>> {
    let image = kernels::compile(target)
        .map_err(|e| unavailable(format!("compiling the kernels ({target}) failed: {e}")))?;
    let image = match target {
        Target::Cubin(_) => Ptx::from_binary(image),
        Target::Ptx(_) => Ptx::from_src(String::from_utf8_lossy(&image).into_owned()),
    };
    let module = context.load_module(image).map_err(|e| {
        unavailable(format!(
            "the driver refused the kernels ({target}): {}",
            super::error::describe(&e)
        ))
    })?;
    kernels::kernel_names()
        .into_iter()
        .map(|name| match module.load_function(&name) {
            Ok(function) => Ok((name, function)),
            Err(e) => Err(unavailable(format!(
                "kernel `{name}` is missing from the loaded module: {}",
                super::error::describe(&e)
            ))),
        })
        .collect()
}

/// `cuda:0: NVIDIA H200 (sm_90), driver 13.0, NVRTC 13.0, kernels as sm_90 cubin, memory from
/// the stream-ordered pool`.
fn describe(ordinal: usize, context: &CudaContext, target: Target, memory: MemorySource) -> String {
    let name = context.name().unwrap_or_else(|_| "unknown GPU".into());
    let (major, minor) = context.compute_capability().unwrap_or((0, 0));
    let mut driver = 0;
    // Safety: the driver writes one integer (e.g. 13000 for 13.0).
    let driver = match unsafe { sys::cuDriverGetVersion(&mut driver) }.result() {
        Ok(()) => format!("{}.{}", driver / 1000, driver % 1000 / 10),
        Err(_) => "unknown".into(),
    };
    let nvrtc = kernels::nvrtc_version()
        .map(|(major, minor)| format!("{major}.{minor}"))
        .unwrap_or_else(|_| "unknown".into());
    format!(
        "cuda:{ordinal}: {name} (sm_{major}{minor}), driver {driver}, NVRTC {nvrtc}, kernels as {target}, {memory}"
    )
}

impl CudaDevice {
    /// The line printed when the device opened: card, versions, kernel format, memory source.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Bytes of memory the GPU has.
    pub fn total_memory(&self) -> usize {
        // Safety: a query of a valid device.
        unsafe { cudarc::driver::result::device::total_mem(self.context.cu_device()) }
            .unwrap_or_else(|e| super::error::driver_failed("reading the memory size", e))
    }

    /// The stream every kernel, copy and GEMM of this device is queued on.
    pub fn stream(&self) -> sys::CUstream {
        self.stream.cu_stream()
    }

    /// Makes the device's context current on the calling thread (driver calls act on it).
    pub fn bind(&self) {
        self.try_bind()
            .unwrap_or_else(|e| super::error::driver_failed("making the context current", e));
    }

    /// [`bind`](Self::bind) for callers that cannot panic (drops).
    pub fn try_bind(&self) -> std::result::Result<(), DriverError> {
        self.context.bind_to_thread()
    }

    /// The compiled kernel `name` (every kernel was looked up when the device opened).
    pub fn function(&self, name: &str) -> sys::CUfunction {
        self.functions
            .get(name)
            .unwrap_or_else(|| panic!("kernel `{name}` is not in kernels/*.cu"))
            .cu_function()
    }

    /// Waits until everything queued on the device has run; an error a kernel caused surfaces
    /// here.
    pub fn synchronize(&self) -> std::result::Result<(), DriverError> {
        self.bind();
        self.stream.synchronize()
    }

    /// [`synchronize`](Self::synchronize), ending the operation named `what` on an error.
    pub fn synchronize_or_panic(&self, what: &str) {
        self.synchronize()
            .unwrap_or_else(|e| super::error::driver_failed(what, e));
    }
}
