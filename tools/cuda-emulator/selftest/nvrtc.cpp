#include "nvrtc.h"

#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

#include "harness.h"

namespace {

// The few NVRTC functions used, by their nvrtc.h signatures (nvrtcResult is an int enum).
typedef struct Program *nvrtcProgram;
struct Nvrtc {
    int (*create)(nvrtcProgram *, const char *, const char *, int, const char *const *, const char *const *);
    int (*compile)(nvrtcProgram, int, const char *const *);
    int (*log_size)(nvrtcProgram, size_t *);
    int (*log)(nvrtcProgram, char *);
    int (*ptx_size)(nvrtcProgram, size_t *);
    int (*ptx)(nvrtcProgram, char *);
    int (*cubin_size)(nvrtcProgram, size_t *);
    int (*cubin)(nvrtcProgram, char *);
    int (*destroy)(nvrtcProgram *);
};

template <class F>
void bind(void *library, const char *name, F *function) {
    *function = (F)dlsym(library, name);
    if (!*function) check_failed(std::string("NVRTC has no ") + name, __FILE__, __LINE__);
}

const Nvrtc &nvrtc() {
    static Nvrtc api = [] {
        void *library = nullptr;
        for (const char *name : {"libnvrtc.so", "libnvrtc.so.13", "libnvrtc.so.12"})
            if ((library = dlopen(name, RTLD_NOW))) break;
        if (!library)
            check_failed("cannot load libnvrtc: put the NVRTC library folder on LD_LIBRARY_PATH", __FILE__, __LINE__);
        Nvrtc a;
        bind(library, "nvrtcCreateProgram", &a.create);
        bind(library, "nvrtcCompileProgram", &a.compile);
        bind(library, "nvrtcGetProgramLogSize", &a.log_size);
        bind(library, "nvrtcGetProgramLog", &a.log);
        bind(library, "nvrtcGetPTXSize", &a.ptx_size);
        bind(library, "nvrtcGetPTX", &a.ptx);
        bind(library, "nvrtcGetCUBINSize", &a.cubin_size);
        bind(library, "nvrtcGetCUBIN", &a.cubin);
        bind(library, "nvrtcDestroyProgram", &a.destroy);
        return a;
    }();
    return api;
}

}  // namespace

std::string nvrtc_compile(const std::string &source, const std::string &arch, Output output,
                          const std::vector<std::string> &extra_options) {
    const Nvrtc &api = nvrtc();
    nvrtcProgram program = nullptr;
    if (api.create(&program, source.c_str(), "selftest.cu", 0, nullptr, nullptr) != 0)
        check_failed("nvrtcCreateProgram failed", __FILE__, __LINE__);
    // A virtual architecture (compute_90) gives PTX only; a real one (sm_90) also runs ptxas.
    std::vector<std::string> options = {"--gpu-architecture=" + arch, "--std=c++17"};
    options.insert(options.end(), extra_options.begin(), extra_options.end());
    std::vector<const char *> pointers;
    for (const std::string &option : options) pointers.push_back(option.c_str());
    int status = api.compile(program, (int)pointers.size(), pointers.data());
    size_t size = 0;
    api.log_size(program, &size);
    std::string log(size, '\0');
    api.log(program, log.data());
    if (status != 0) check_failed("NVRTC could not compile the self-test kernels:\n" + log, __FILE__, __LINE__);
    std::string image;
    if (output == Output::cubin) {
        api.cubin_size(program, &size);
        image.resize(size);
        api.cubin(program, image.data());
    } else {
        api.ptx_size(program, &size);
        image.resize(size);
        api.ptx(program, image.data());
    }
    api.destroy(&program);
    return image;
}
