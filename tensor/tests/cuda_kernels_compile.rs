//! Every CUDA kernel compiles with NVRTC for sm_80 (A100) and sm_90 (H100/H200), with ptxas run
//! on the result: no GPU needed, only libnvrtc (`.ci/run` installs it from PyPI).
#![cfg(feature = "cuda")]

use tensor::cuda::kernels::{self, Target};

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
    let error =
        kernels::compile_source(source, Target::Cubin(90)).expect_err("a warning must fail");
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
    let names = kernels::kernel_names();
    assert!(names.contains(&"reduce_rows".to_string()), "{names:?}");
    for arch in [80, 90] {
        // A cubin runs ptxas: register, shared-memory and spill limits are checked.
        let cubin =
            kernels::compile(Target::Cubin(arch)).unwrap_or_else(|e| panic!("sm_{arch}: {e}"));
        assert_eq!(&cubin[..4], b"\x7fELF", "sm_{arch}: a cubin is an ELF file");
        // ELF e_flags (offset 48) hold the SM version in bits 8..16.
        assert_eq!(
            cubin[49] as u32, arch,
            "sm_{arch}: the cubin's architecture"
        );
        let ptx =
            kernels::compile(Target::Ptx(arch)).unwrap_or_else(|e| panic!("compute_{arch}: {e}"));
        let ptx = String::from_utf8(ptx).expect("PTX is text");
        for name in &names {
            assert!(
                ptx.contains(&format!(".entry {name}(")),
                "compute_{arch}: kernel {name} missing from the PTX"
            );
        }
        println!("sm_{arch}: {} kernels compiled", names.len());
    }
}

#[test]
fn a_gpu_gets_a_cubin_for_its_own_architecture() {
    if !nvrtc_present() {
        return;
    }
    assert_eq!(Target::for_device(9, 0), Ok(Target::Cubin(90)));
    assert_eq!(Target::for_device(8, 6), Ok(Target::Cubin(86)));
    // A GPU newer than this NVRTC gets PTX of the newest architecture NVRTC knows.
    let newest = *kernels::supported_architectures()
        .unwrap()
        .iter()
        .max()
        .unwrap();
    assert_eq!(Target::for_device(99, 9), Ok(Target::Ptx(newest)));
}
