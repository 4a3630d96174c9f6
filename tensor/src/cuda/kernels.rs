//! The CUDA kernels' source: plain `.cu` files in `kernels/`, embedded in the binary and compiled
//! once per process with NVRTC for the GPU at hand (no nvcc at build time).
//!
//! A GPU gets machine code for exactly its architecture (a cubin, e.g. for `sm_90`), so that a
//! newer NVRTC than the driver cannot make the module unloadable (the driver would have to JIT
//! PTX of a newer ISA version than it knows). Only a GPU newer than this NVRTC gets PTX, which
//! its driver compiles.

use cudarc::nvrtc::result::{self, NvrtcError};
use cudarc::nvrtc::sys::{self, nvrtcProgram};
use std::ffi::{c_char, c_int, CStr, CString};

/// Every kernel file, in the order they are concatenated into one program (`common.cuh` first:
/// the others use its types).
pub const SOURCES: [(&str, &str); 9] = [
    ("common.cuh", include_str!("kernels/common.cuh")),
    ("elementwise.cu", include_str!("kernels/elementwise.cu")),
    ("layout.cu", include_str!("kernels/layout.cu")),
    ("reduce.cu", include_str!("kernels/reduce.cu")),
    ("conv.cu", include_str!("kernels/conv.cu")),
    ("pool.cu", include_str!("kernels/pool.cu")),
    ("softmax.cu", include_str!("kernels/softmax.cu")),
    ("optim.cu", include_str!("kernels/optim.cu")),
    ("resize.cu", include_str!("kernels/resize.cu")),
];

/// All kernel files as one translation unit (NVRTC has no file system for `#include`).
pub fn program() -> String {
    let mut source = String::new();
    for (name, text) in SOURCES {
        source.push_str(&format!("// ---- {name} ----\n{text}\n"));
    }
    source
}

/// The names of the kernels in the program: every `extern "C" __global__ void NAME(`. The device
/// loads each of them when it opens, so a kernel that fails to load fails there, not mid-run.
pub fn kernel_names() -> Vec<String> {
    const MARKER: &str = "extern \"C\" __global__ void ";
    let program = program();
    program
        .match_indices(MARKER)
        .filter_map(|(at, _)| {
            let rest = &program[at + MARKER.len()..];
            rest.find('(').map(|end| rest[..end].trim().to_string())
        })
        .collect()
}

/// What NVRTC is asked for: machine code for one real architecture, or PTX for a virtual one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A cubin for `sm_{0}` (e.g. 90): loads as is, nothing left for the driver to compile.
    Cubin(u32),
    /// PTX for `compute_{0}`: the driver compiles it for the GPU when the module loads.
    Ptx(u32),
}

impl Target {
    /// The best target for a GPU of compute capability `major.minor` with this NVRTC: a cubin
    /// when NVRTC knows the architecture, else PTX for the newest architecture it knows below.
    pub fn for_device(major: u32, minor: u32) -> Result<Target, String> {
        let arch = major * 10 + minor;
        let known = supported_architectures()?;
        if known.contains(&arch) {
            return Ok(Target::Cubin(arch));
        }
        known
            .into_iter()
            .filter(|&a| a < arch)
            .max()
            .map(Target::Ptx)
            .ok_or_else(|| format!("NVRTC knows no architecture at or below sm_{arch}"))
    }

    fn option(self) -> String {
        match self {
            Target::Cubin(arch) => format!("--gpu-architecture=sm_{arch}"),
            Target::Ptx(arch) => format!("--gpu-architecture=compute_{arch}"),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Cubin(arch) => write!(f, "sm_{arch} cubin"),
            Target::Ptx(arch) => write!(f, "compute_{arch} PTX (JIT-compiled by the driver)"),
        }
    }
}

/// The architectures this NVRTC can produce machine code for (e.g. 75, 80, ..., 120).
pub fn supported_architectures() -> Result<Vec<u32>, String> {
    let mut count: c_int = 0;
    // Safety: NVRTC writes one count, then that many integers into a buffer of that size.
    unsafe { sys::nvrtcGetNumSupportedArchs(&mut count) }
        .result()
        .map_err(|e| e.to_string())?;
    let mut archs = vec![0 as c_int; count.max(0) as usize];
    unsafe { sys::nvrtcGetSupportedArchs(archs.as_mut_ptr()) }
        .result()
        .map_err(|e| e.to_string())?;
    Ok(archs.into_iter().map(|a| a as u32).collect())
}

/// NVRTC's version, e.g. (13, 0).
pub fn nvrtc_version() -> Result<(i32, i32), String> {
    let (mut major, mut minor) = (0, 0);
    // Safety: NVRTC writes two integers.
    unsafe { sys::nvrtcVersion(&mut major, &mut minor) }
        .result()
        .map_err(|e| e.to_string())?;
    Ok((major, minor))
}

/// Compiles the kernel program for `target`. A cubin target also runs ptxas, so register and
/// shared-memory limits are checked. Any warning — from the C++ front end or from ptxas
/// (spills) — fails the compilation: NVRTC has no `-Werror`, so the log of a successful
/// compilation is read and must be empty. Returns the cubin bytes or the PTX text.
pub fn compile(target: Target) -> Result<Vec<u8>, String> {
    compile_source(&program(), target)
}

/// [`compile`] for any CUDA source text.
pub fn compile_source(source: &str, target: Target) -> Result<Vec<u8>, String> {
    let options = [
        target.option(),
        "--std=c++17".into(),
        "--ptxas-options=--warn-on-spills".into(),
        "--ptxas-options=--warning-as-error".into(),
    ];
    let source = CString::new(source).expect("kernel sources contain no NUL byte");
    let program = result::create_program(&source, None).map_err(|e| e.to_string())?;
    // Safety: `program` is a live NVRTC program, destroyed exactly once below.
    let compiled = unsafe { compile_and_read_log(program, &options, target) };
    unsafe { result::destroy_program(program) }.map_err(|e| e.to_string())?;
    let (status, log, output) = compiled?;
    match status {
        Err(error) => Err(format!("{error}:\n{log}")),
        Ok(()) if !log.trim().is_empty() => Err(format!("warnings count as errors:\n{log}")),
        Ok(()) => Ok(output),
    }
}

type CompileOutcome = (Result<(), NvrtcError>, String, Vec<u8>);

/// Compiles `program` and returns the status, the log and (when it compiled) the output.
///
/// # Safety
///
/// `program` must be a live handle from `nvrtcCreateProgram` (here `result::create_program`):
/// not yet passed to `nvrtcDestroyProgram`, and not used by another thread during the call
/// (compiling mutates the program). NVRTC dereferences the handle without checking it, so a
/// destroyed or made-up one is undefined behaviour.
unsafe fn compile_and_read_log(
    program: nvrtcProgram,
    options: &[String],
    target: Target,
) -> Result<CompileOutcome, String> {
    let status = unsafe { result::compile_program(program, options) };
    let log = unsafe { result::get_program_log(program) }.map_err(|e| e.to_string())?;
    let output = match (status, target) {
        (Err(_), _) => Vec::new(),
        (Ok(()), Target::Cubin(_)) => unsafe { cubin(program) }?,
        (Ok(()), Target::Ptx(_)) => {
            let ptx = unsafe { result::get_ptx(program) }.map_err(|e| e.to_string())?;
            c_text(&ptx).into_bytes()
        }
    };
    Ok((status, c_text(&log), output))
}

/// The machine code of a compiled program.
///
/// # Safety
///
/// As for [`compile_and_read_log`]: `program` is a live NVRTC program handle that no other
/// thread uses meanwhile.
unsafe fn cubin(program: nvrtcProgram) -> Result<Vec<u8>, String> {
    let mut size = 0usize;
    unsafe { sys::nvrtcGetCUBINSize(program, &mut size) }
        .result()
        .map_err(|e| e.to_string())?;
    let mut bytes = vec![0u8; size];
    unsafe { sys::nvrtcGetCUBIN(program, bytes.as_mut_ptr() as *mut c_char) }
        .result()
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

/// A NUL-terminated buffer from NVRTC as text.
fn c_text(buffer: &[c_char]) -> String {
    // Safety: NVRTC's log and PTX buffers end with a NUL byte.
    unsafe { CStr::from_ptr(buffer.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
