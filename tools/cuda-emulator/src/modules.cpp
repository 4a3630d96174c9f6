// cuModuleLoadData, cuModuleUnload, cuModuleGetFunction, cuFuncGetAttribute.
//
// Loading a module is where the emulator ties the GPU code to its C++ twin: every kernel in the
// image must exist in the C++ build with the same parameter count and sizes. (A kernel edited
// without rebuilding the emulator, or a launch struct that differs between the two compilers,
// stops here with a message, instead of reading its arguments wrong.)
#include <algorithm>
#include <cstring>
#include <memory>
#include <mutex>
#include <set>

#include "context.h"
#include "driver_api.h"
#include "device_limits.h"
#include "module_image.h"
#include "modules.h"
#include "report.h"

struct EmuFunction {
    const emu::KernelEntry *entry;
    emu::KernelImage image;
};

struct EmuModule {
    std::vector<std::unique_ptr<EmuFunction>> functions;
};

namespace emu {

namespace {

std::mutex modules_lock;
std::set<CUmodule> &live_modules() {
    static auto *modules = new std::set<CUmodule>;
    return *modules;
}
std::set<CUfunction> &live_functions() {
    static auto *functions = new std::set<CUfunction>;
    return *functions;
}

const KernelEntry *find_twin(const std::string &name) {
    for (size_t i = 0; i < kernel_table_size; ++i)
        if (name == kernel_table[i].name) return &kernel_table[i];
    return nullptr;
}

// Every kernel of the image against its C++ twin; reports every mismatch, not just the first.
bool twins_match(const ModuleImage &image, const char *kind) {
    bool all_match = true;
    for (const KernelImage &k : image.kernels) {
        const KernelEntry *twin = find_twin(k.name);
        if (!twin) {
            fail("%s: kernel %s is in the %s but not in the emulator's C++ build of %s: rebuild the emulator "
                 "from the current kernels", "cuModuleLoadData", k.name.c_str(), kind, kernel_source_folder);
            all_match = false;
            continue;
        }
        if (k.param_sizes.size() != twin->param_count) {
            fail("cuModuleLoadData: kernel %s has %zu parameters in the %s but %zu in C++", k.name.c_str(),
                 k.param_sizes.size(), kind, twin->param_count);
            all_match = false;
            continue;
        }
        for (size_t i = 0; i < twin->param_count; ++i)
            if (k.param_sizes[i] != twin->param_sizes[i]) {
                fail("cuModuleLoadData: kernel %s, parameter %zu: %zu bytes in the %s, %zu bytes in C++", k.name.c_str(),
                     i, k.param_sizes[i], kind, twin->param_sizes[i]);
                all_match = false;
            }
    }
    return all_match;
}

// The two magic numbers of fat binaries (little-endian u32s 0xBA55ED50 and 0x466243B1).
constexpr unsigned char fatbin_magic[4] = {0x50, 0xED, 0x55, 0xBA};
constexpr unsigned char fatbin_wrapper_magic[4] = {0xB1, 0x43, 0x62, 0x46};

// Compares byte by byte, so a short PTX string is never read past its terminating NUL.
bool starts_with(const unsigned char *bytes, const unsigned char (&magic)[4]) {
    for (unsigned char m : magic)
        if (*bytes++ != m) return false;
    return true;
}

// Reads the image and checks it as the driver would; returns the CUresult the driver would.
CUresult read_image(const void *data, ModuleImage *image) {
    auto *bytes = (const unsigned char *)data;
    std::string error;
    if (looks_like_elf(bytes)) {
        size_t size = elf_declared_size(bytes);
        if (size == 0 || !read_cubin(bytes, size, image, &error)) {
            fail("cuModuleLoadData: invalid cubin: %s", size == 0 ? "inconsistent ELF header" : error.c_str());
            return CUDA_ERROR_INVALID_IMAGE;
        }
        if (image->arch != gpu::arch) {
            fail("cuModuleLoadData: the cubin is for sm_%d, the device is sm_%d", image->arch, gpu::arch);
            return CUDA_ERROR_NO_BINARY_FOR_GPU;
        }
        return twins_match(*image, "cubin") ? CUDA_SUCCESS : CUDA_ERROR_INVALID_IMAGE;
    }
    if (starts_with(bytes, fatbin_magic) || starts_with(bytes, fatbin_wrapper_magic)) {
        fail("cuModuleLoadData: fatbinary images are not emulated (load a cubin or PTX)");
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    if (!read_ptx((const char *)bytes, image, &error)) {
        fail("cuModuleLoadData: invalid PTX (or an unknown kind of image): %s", error.c_str());
        return CUDA_ERROR_INVALID_PTX;
    }
    int driver_ptx = gpu::max_ptx_isa_major * 10 + gpu::max_ptx_isa_minor;
    if (image->ptx_version > driver_ptx) {
        fail("cuModuleLoadData: PTX ISA %d.%d is newer than this driver's %d.%d (NVRTC newer than the driver)",
             image->ptx_version / 10, image->ptx_version % 10, driver_ptx / 10, driver_ptx % 10);
        return CUDA_ERROR_UNSUPPORTED_PTX_VERSION;
    }
    if (image->arch > gpu::arch) {
        fail("cuModuleLoadData: PTX for sm_%d cannot be compiled for this sm_%d device", image->arch, gpu::arch);
        return CUDA_ERROR_INVALID_PTX;
    }
    return twins_match(*image, "PTX") ? CUDA_SUCCESS : CUDA_ERROR_INVALID_PTX;
}

unsigned max_threads(const KernelImage &k) {
    unsigned limit = gpu::max_threads_for_registers(k.registers);
    if (k.max_threads != 0) limit = std::min(limit, k.max_threads);
    return limit;
}

}  // namespace

bool find_function(CUfunction function, LaunchableKernel *kernel) {
    std::lock_guard<std::mutex> guard(modules_lock);
    if (!live_functions().count(function)) return false;
    const KernelImage &k = function->image;
    *kernel = {function->entry, k.registers, k.static_shared_bytes, max_threads(k)};
    return true;
}

void unload_all_modules() {
    std::lock_guard<std::mutex> guard(modules_lock);
    for (CUmodule m : live_modules()) delete m;
    live_modules().clear();
    live_functions().clear();
}

}  // namespace emu

using namespace emu;

EMU_API CUresult cuModuleLoadData(CUmodule *module, const void *data) {
    if (CUresult r = require_context()) return r;
    if (!module || !data) return CUDA_ERROR_INVALID_VALUE;
    ModuleImage image;
    if (CUresult r = read_image(data, &image)) return r;
    auto loaded = std::make_unique<EmuModule>();
    for (KernelImage &k : image.kernels)
        loaded->functions.push_back(std::make_unique<EmuFunction>(EmuFunction{find_twin(k.name), k}));
    verbose("cuModuleLoadData: %s for sm_%d with %zu kernels", image.is_cubin ? "cubin" : "PTX", image.arch,
            image.kernels.size());
    std::lock_guard<std::mutex> guard(modules_lock);
    for (auto &f : loaded->functions) live_functions().insert(f.get());
    *module = loaded.release();
    live_modules().insert(*module);
    return CUDA_SUCCESS;
}

EMU_API CUresult cuModuleUnload(CUmodule module) {
    if (CUresult r = require_context()) return r;
    auto device = lock_device();  // not while one of its kernels runs
    std::lock_guard<std::mutex> guard(modules_lock);
    if (!live_modules().erase(module)) {
        fail("cuModuleUnload(%p): not a loaded module (unloaded twice?)", (void *)module);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    for (auto &f : module->functions) live_functions().erase(f.get());
    delete module;
    return CUDA_SUCCESS;
}

EMU_API CUresult cuModuleGetFunction(CUfunction *function, CUmodule module, const char *name) {
    if (CUresult r = require_context()) return r;
    if (!function || !name) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> guard(modules_lock);
    if (!live_modules().count(module)) {
        fail("cuModuleGetFunction(%s): %p is not a loaded module", name, (void *)module);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    for (auto &f : module->functions)
        if (f->image.name == name) {
            *function = f.get();
            return CUDA_SUCCESS;
        }
    fail("cuModuleGetFunction: the module has no kernel named %s", name);
    return CUDA_ERROR_NOT_FOUND;
}

EMU_API CUresult cuFuncGetAttribute(int *value, int attribute, CUfunction function) {
    if (CUresult r = require_context()) return r;
    if (!value) return CUDA_ERROR_INVALID_VALUE;
    std::lock_guard<std::mutex> guard(modules_lock);
    if (!live_functions().count(function)) return CUDA_ERROR_INVALID_HANDLE;
    const KernelImage &k = function->image;
    switch (attribute) {
        case CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK: *value = (int)max_threads(k); return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES: *value = (int)k.static_shared_bytes; return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_NUM_REGS: *value = (int)k.registers; return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_BINARY_VERSION: *value = gpu::arch; return CUDA_SUCCESS;
        case CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES:
            *value = (int)(gpu::max_shared_per_block - k.static_shared_bytes);
            return CUDA_SUCCESS;
        default:
            fail("cuFuncGetAttribute(%d): attribute not modelled by the emulator (add it to modules.cpp)", attribute);
            return CUDA_ERROR_INVALID_VALUE;
    }
}
