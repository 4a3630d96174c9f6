//! The CUDA kernels' source: plain `.cu` files in `kernels/`, embedded in the binary and compiled
//! once per process with NVRTC for the GPU at hand (no nvcc at build time).

use cudarc::nvrtc::result::{self, NvrtcError};
use cudarc::nvrtc::sys::nvrtcProgram;
use cudarc::nvrtc::Ptx;
use std::ffi::{c_char, CStr, CString};

/// Every kernel file, in the order they are concatenated into one program.
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

/// Names of the `extern "C"` kernels, loaded from the compiled module.
pub const KERNEL_NAMES: [&str; 22] = [
    "unary",
    "binary_same",
    "binary_broadcast",
    "bias_relu",
    "dropout_mask",
    "permute",
    "reduce_axis",
    "argmax_axis",
    "scatter_axis",
    "im2col",
    "col2im",
    "add_channel_bias",
    "max_pool2d",
    "max_pool2d_backward",
    "softmax_axis",
    "cross_entropy_rows",
    "cross_entropy_backward",
    "adam_step",
    "sgd_step",
    "resize_bilinear",
    "gather_images",
    "fill",
];

/// All kernel files as one translation unit (NVRTC has no file system for `#include`).
pub fn program() -> String {
    let mut source = String::new();
    for (name, text) in SOURCES {
        source.push_str(&format!("// ---- {name} ----\n{text}\n"));
    }
    source
}

/// Compiles the program for `arch` (e.g. "sm_90"). A real architecture makes NVRTC run ptxas
/// too, so register and shared-memory limits are checked. Any warning — from the C++ front end
/// or from ptxas (spills) — fails the compilation: NVRTC has no `-Werror`, so the log of a
/// successful compilation is read and must be empty.
pub fn compile(arch: &str) -> Result<Ptx, String> {
    compile_source(&program(), arch)
}

/// [`compile`] for any CUDA source text.
pub fn compile_source(source: &str, arch: &str) -> Result<Ptx, String> {
    let options = [
        format!("--gpu-architecture={arch}"),
        "--std=c++17".into(),
        "--ptxas-options=--warn-on-spills".into(),
        "--ptxas-options=--warning-as-error".into(),
    ];
    let source = CString::new(source).expect("kernel sources contain no NUL byte");
    let program = result::create_program(&source, None).map_err(|e| e.to_string())?;
    // Safety: `program` is a live NVRTC program, destroyed exactly once below.
    let compiled = unsafe { compile_and_read_log(program, &options) };
    unsafe { result::destroy_program(program) }.map_err(|e| e.to_string())?;
    let (status, log, ptx) = compiled?;
    match status {
        Err(error) => Err(format!("{error}:\n{log}")),
        Ok(()) if !log.trim().is_empty() => Err(format!("warnings count as errors:\n{log}")),
        Ok(()) => Ok(Ptx::from_src(ptx)),
    }
}

type CompileOutcome = (Result<(), NvrtcError>, String, String);

/// Compiles `program` and returns the status, the log and (when it compiled) the PTX text.
unsafe fn compile_and_read_log(
    program: nvrtcProgram,
    options: &[String],
) -> Result<CompileOutcome, String> {
    let status = unsafe { result::compile_program(program, options) };
    let log = unsafe { result::get_program_log(program) }.map_err(|e| e.to_string())?;
    let ptx = match status {
        Ok(()) => c_text(&unsafe { result::get_ptx(program) }.map_err(|e| e.to_string())?),
        Err(_) => String::new(),
    };
    Ok((status, c_text(&log), ptx))
}

/// A NUL-terminated buffer from NVRTC as text.
fn c_text(buffer: &[c_char]) -> String {
    // Safety: NVRTC's log and PTX buffers end with a NUL byte.
    unsafe { CStr::from_ptr(buffer.as_ptr()) }
        .to_string_lossy()
        .into_owned()
}
