// Modules: cubin and PTX from the real NVRTC, the architecture checks, the parameter lists
// against the C++ twins, and the readers' robustness against truncated images.
#include <cstring>
#include <memory>

#include "../src/module_image.h"
#include "device.h"

namespace {

CUresult load(const std::string &image) {
    CUmodule module;
    return cuModuleLoadData(&module, image.data());
}

// The struct_arguments kernel's parameters: u64 *, Small (12 bytes), u32, Large (40 bytes).
const std::vector<size_t> struct_arguments_sizes = {8, 12, 4, 40};

const emu::KernelImage *find_kernel(const emu::ModuleImage &module, const char *name) {
    for (const emu::KernelImage &k : module.kernels)
        if (k.name == name) return &k;
    return nullptr;
}

}  // namespace

CHECK(cubin_and_ptx_load, "NVRTC's cubin and PTX both load; functions and attributes", {}) {
    open_device();
    for (Output output : {Output::cubin, Output::ptx}) {
        CUfunction f = get_function(load_test_kernels(output), "reverse_block");
        int version = 0, shared = -1;
        EXPECT_RESULT(cuFuncGetAttribute(&version, CU_FUNC_ATTRIBUTE_BINARY_VERSION, f), CUDA_SUCCESS);
        EXPECT(version == 90);
        EXPECT_RESULT(cuFuncGetAttribute(&shared, CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES, f), CUDA_SUCCESS);
        EXPECT(shared == (output == Output::cubin ? 1024 : 0));  // 256 floats; PTX: not known before the JIT
    }
    // A virtual architecture: PTX only, for the driver to compile.
    EXPECT_RESULT(load(nvrtc_compile(test_kernels_source(), "compute_80", Output::ptx)), CUDA_SUCCESS);
}

CHECK(device_functions_are_not_kernels, "a relocatable cubin (-rdc=true): its device functions are not kernels", {}) {
    open_device();
    std::string image = nvrtc_compile(test_kernels_source(), "sm_90", Output::cubin, {"--relocatable-device-code=true"});
    CUmodule module;
    EXPECT_RESULT(cuModuleLoadData(&module, image.data()), CUDA_SUCCESS);
    CUfunction f = get_function(module, "double_values"), helper;
    EXPECT_RESULT(cuModuleGetFunction(&helper, module, "_Z5twicef"), CUDA_ERROR_NOT_FOUND);
    DeviceBuffer<float> x(3);
    x.upload({1.0f, 2.0f, 3.0f});
    EXPECT_RESULT(launch(f, {1}, {32}, x.pointer, 3ull), CUDA_SUCCESS);
    EXPECT(x.download() == std::vector<float>({2.0f, 4.0f, 6.0f}));
}

CHECK(unknown_function_name, "cuModuleGetFunction of a name not in the module: NOT_FOUND", {}) {
    open_device();
    CUmodule module = load_test_kernels(Output::cubin);
    CUfunction f;
    EXPECT_RESULT(cuModuleGetFunction(&f, module, "no_such_kernel"), CUDA_ERROR_NOT_FOUND);
    EXPECT_RESULT(cuModuleUnload(module), CUDA_SUCCESS);
    EXPECT_RESULT(cuModuleUnload(module), CUDA_ERROR_INVALID_HANDLE);
}

CHECK(cubin_for_another_gpu, "a cubin for sm_80 on the sm_90 device: NO_BINARY_FOR_GPU", {}) {
    open_device();
    EXPECT_RESULT(load(nvrtc_compile(test_kernels_source(), "sm_80", Output::cubin)), CUDA_ERROR_NO_BINARY_FOR_GPU);
    EXPECT_MESSAGE("the cubin is for sm_80, the device is sm_90");
}

CHECK(ptx_for_a_newer_gpu, "PTX with .target sm_100: INVALID_PTX", {}) {
    open_device();
    EXPECT_RESULT(load(nvrtc_compile(test_kernels_source(), "compute_100", Output::ptx)), CUDA_ERROR_INVALID_PTX);
    EXPECT_MESSAGE("PTX for sm_100");
}

CHECK(ptx_newer_than_the_driver, "PTX ISA newer than the driver's: UNSUPPORTED_PTX_VERSION", {}) {
    open_device();
    std::string ptx = nvrtc_compile(test_kernels_source(), "sm_90", Output::ptx);
    size_t at = ptx.find(".version ") + strlen(".version ");
    EXPECT_RESULT(load(ptx.replace(at, ptx.find('\n', at) - at, "99.0")), CUDA_ERROR_UNSUPPORTED_PTX_VERSION);
    EXPECT_MESSAGE("PTX ISA 99.0 is newer than this driver's");
}

CHECK(parameter_size_mismatch, "a kernel whose parameter sizes differ from its C++ twin: refused, named", {}) {
    open_device();
    // The GPU code takes `u32 n` where the C++ build has `u64 n`.
    std::string source =
        replace_once(test_kernels_source(), "void add_one(float *x, u64 n)", "void add_one(float *x, u32 n)");
    EXPECT_RESULT(load(nvrtc_compile(source, "sm_90", Output::cubin)), CUDA_ERROR_INVALID_IMAGE);
    EXPECT_MESSAGE("kernel add_one, parameter 1: 4 bytes in the cubin, 8 bytes in C++");
    EXPECT_RESULT(load(nvrtc_compile(source, "sm_90", Output::ptx)), CUDA_ERROR_INVALID_PTX);
    EXPECT_MESSAGE("kernel add_one, parameter 1: 4 bytes in the PTX, 8 bytes in C++");
    std::string fewer = replace_once(test_kernels_source(), "void fill_n(float *x, u64 n, float value)",
                                     "void fill_n(float *x, u64 n)");
    fewer = replace_once(fewer, "x[i] = value", "x[i] = 0.0f");
    EXPECT_RESULT(load(nvrtc_compile(fewer, "sm_90", Output::cubin)), CUDA_ERROR_INVALID_IMAGE);
    EXPECT_MESSAGE("kernel fill_n has 2 parameters in the cubin but 3 in C++");
}

CHECK(kernel_without_cpp_twin, "a kernel the emulator was not built with: INVALID_IMAGE", {}) {
    open_device();
    std::string source = test_kernels_source() + "extern \"C\" __global__ void added_later(float *x) { x[0] = 1.0f; }\n";
    EXPECT_RESULT(load(nvrtc_compile(source, "sm_90", Output::cubin)), CUDA_ERROR_INVALID_IMAGE);
    EXPECT_MESSAGE("kernel added_later is in the cubin but not in the emulator's C++ build");
}

CHECK(not_an_image, "garbage, a non-CUDA ELF, a fatbinary: refused without a crash", {}) {
    open_device();
    EXPECT_RESULT(load(std::string("hello")), CUDA_ERROR_INVALID_PTX);
    std::string cubin = nvrtc_compile(test_kernels_source(), "sm_90", Output::cubin);
    std::string other_machine = cubin;
    other_machine[18] = 62;  // EM_X86_64
    EXPECT_RESULT(load(other_machine), CUDA_ERROR_INVALID_IMAGE);
    EXPECT_RESULT(load(std::string("\x50\xed\x55\xba\x01\x00\x10\x00", 8) + std::string(64, '\0')), CUDA_ERROR_NOT_SUPPORTED);
}

CHECK(readers_find_parameter_sizes, "the cubin and PTX readers see NVRTC's parameter sizes and registers", {}) {
    std::string source = test_kernels_source();
    std::string cubin = nvrtc_compile(source, "sm_90", Output::cubin);
    std::string ptx = nvrtc_compile(source, "sm_90", Output::ptx);
    emu::ModuleImage from_cubin, from_ptx;
    std::string error;
    EXPECT(emu::read_cubin((const unsigned char *)cubin.data(), cubin.size(), &from_cubin, &error));
    EXPECT(emu::elf_declared_size((const unsigned char *)cubin.data()) == cubin.size());
    EXPECT(emu::read_ptx(ptx.c_str(), &from_ptx, &error));
    EXPECT(from_cubin.arch == 90 && from_ptx.arch == 90 && from_ptx.ptx_version >= 80);
    EXPECT(from_cubin.kernels.size() == from_ptx.kernels.size());
    EXPECT(find_kernel(from_cubin, "struct_arguments")->param_sizes == struct_arguments_sizes);
    EXPECT(find_kernel(from_ptx, "struct_arguments")->param_sizes == struct_arguments_sizes);
    EXPECT(find_kernel(from_cubin, "many_registers")->registers > 64);
    EXPECT(find_kernel(from_cubin, "block_sum")->static_shared_bytes == 1024);
}

CHECK(truncated_images, "every truncation of a cubin is refused cleanly; PTX prefixes never crash", {}) {
    std::string source = test_kernels_source();
    std::string cubin = nvrtc_compile(source, "sm_90", Output::cubin);
    std::string ptx = nvrtc_compile(source, "sm_90", Output::ptx);
    std::string error;
    // Each prefix in a heap block of exactly its size, so that ASan sees any read past it.
    for (size_t size = 0; size < cubin.size(); ++size) {
        std::unique_ptr<unsigned char[]> prefix(new unsigned char[size]);
        memcpy(prefix.get(), cubin.data(), size);
        emu::ModuleImage image;
        EXPECT(!emu::read_cubin(prefix.get(), size, &image, &error));
    }
    for (size_t size = 0; size < strlen(ptx.c_str()); size += 61) {  // (every 61st: PTX is long)
        std::unique_ptr<char[]> prefix(new char[size]);
        memcpy(prefix.get(), ptx.data(), size);
        emu::ModuleImage image;
        emu::read_ptx(std::string_view(prefix.get(), size), &image, &error);
    }
}
