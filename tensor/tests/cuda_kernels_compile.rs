//! Every CUDA kernel compiles with NVRTC for sm_80 (A100) and sm_90 (H100/H200), with ptxas run
//! on the result: no GPU needed, only libnvrtc (`.ci/run` installs it from PyPI).
#![cfg(feature = "cuda")]

use tensor::cuda::kernels;

/// Whether libnvrtc can be loaded; without it the test prints a visible skip line, unless
/// `RUSTGRAD_REQUIRE_NVRTC` says it must be there (CI).
fn nvrtc_present() -> bool {
    // Safety: only tries to load the library.
    if unsafe { cudarc::nvrtc::sys::is_culib_present() } {
        return true;
    }
    assert!(
        std::env::var_os("RUSTGRAD_REQUIRE_NVRTC").is_none(),
        "RUSTGRAD_REQUIRE_NVRTC is set but libnvrtc cannot be loaded: check LD_LIBRARY_PATH"
    );
    println!("skipped: NVRTC not found (install nvidia-cuda-nvrtc and put its lib folder on LD_LIBRARY_PATH)");
    false
}

#[test]
fn a_compiler_warning_is_an_error() {
    if !nvrtc_present() {
        return;
    }
    let source = r#"extern "C" __global__ void k(float *x) { int unused = 3; x[0] = 1.0f; }"#;
    let error = kernels::compile_source(source, "sm_90").expect_err("a warning must fail");
    assert!(
        error.contains("was declared but never referenced"),
        "{error}"
    );
}

#[test]
fn every_kernel_compiles_for_sm80_and_sm90() {
    if !nvrtc_present() {
        return;
    }
    for arch in ["sm_80", "sm_90"] {
        let ptx = kernels::compile(arch).unwrap_or_else(|e| panic!("{arch}: {e}"));
        let text = ptx.to_src();
        for name in kernels::KERNEL_NAMES {
            assert!(
                text.contains(&format!(".entry {name}(")),
                "{arch}: kernel {name} missing from the PTX"
            );
        }
        println!("{arch}: {} kernels compiled", kernels::KERNEL_NAMES.len());
    }
}
