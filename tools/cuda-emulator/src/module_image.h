// What the module loader learns from the image a program hands to cuModuleLoadData — either
// a cubin (an ELF file of GPU machine code, what NVRTC gives with nvrtcGetCUBIN) or PTX text
// (nvrtcGetPTX). The emulator never runs that code; it reads from it the facts a real driver
// would act on: the architecture, the kernels, each kernel's parameter sizes, and from a cubin
// the registers and static shared memory each kernel needs.
//
// Both readers are defensive: every offset and length is checked against the image, and any
// inconsistency is an error message, never a crash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace emu {

struct KernelImage {
    std::string name;
    std::vector<size_t> param_sizes;
    unsigned registers = 0;            // per thread; 0 when unknown (PTX is compiled later, by the driver)
    unsigned static_shared_bytes = 0;  // __shared__ variables (cubin only)
    unsigned max_threads = 0;          // from __launch_bounds__ / .maxntid; 0 when none
};

struct ModuleImage {
    bool is_cubin = false;
    int arch = 0;         // 90 for sm_90: the cubin's architecture, or PTX's .target
    int ptx_version = 0;  // PTX only: .version 9.0 -> 90
    std::vector<KernelImage> kernels;
};

// ---- cubin (cubin_reader.cpp) ----

bool looks_like_elf(const unsigned char *data);
// cuModuleLoadData gets a pointer and no length: the image's extent is what its ELF header and
// section table declare. 0 when even that is inconsistent.
size_t elf_declared_size(const unsigned char *data);
bool read_cubin(const unsigned char *data, size_t size, ModuleImage *module, std::string *error);

// ---- PTX (ptx_reader.cpp) ----

bool read_ptx(std::string_view text, ModuleImage *module, std::string *error);

}  // namespace emu
