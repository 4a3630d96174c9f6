//! The CUDA kernels' source: plain `.cu` files in `kernels/`, embedded in the binary and compiled
//! once per process with NVRTC for the GPU at hand (no nvcc at build time).

use cudarc::nvrtc::{compile_ptx_with_opts, CompileError, CompileOptions, Ptx};

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
/// too, so register and shared-memory limits are checked; ptxas warnings (spills) count as errors.
pub fn compile(arch: &'static str) -> Result<Ptx, CompileError> {
    let options = CompileOptions {
        arch: Some(arch),
        options: vec![
            "--std=c++17".into(),
            "--ptxas-options=--warn-on-spills".into(),
            "--ptxas-options=--warning-as-error".into(),
        ],
        ..Default::default()
    };
    compile_ptx_with_opts(program(), options)
}
