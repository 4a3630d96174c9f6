#include "device.h"

#include <algorithm>
#include <dirent.h>
#include <fstream>
#include <csignal>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SELFTEST_KERNELS_DIR
#error "build with -DSELFTEST_KERNELS_DIR=\"...\" (selftest.sh does)"
#endif

void open_device() {
    CUdevice device;
    CUcontext context;
    EXPECT_RESULT(cuInit(0), CUDA_SUCCESS);
    EXPECT_RESULT(cuDeviceGet(&device, 0), CUDA_SUCCESS);
    EXPECT_RESULT(cuDevicePrimaryCtxRetain(&context, device), CUDA_SUCCESS);
    EXPECT_RESULT(cuCtxSetCurrent(context), CUDA_SUCCESS);
}

static std::vector<std::string> files_ending(const std::string &folder, const std::string &suffix) {
    std::vector<std::string> names;
    if (DIR *dir = opendir(folder.c_str())) {
        while (dirent *entry = readdir(dir)) {
            std::string name = entry->d_name;
            if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
                names.push_back(name);
        }
        closedir(dir);
    }
    std::sort(names.begin(), names.end());
    return names;
}

std::string test_kernels_source() {
    std::string folder = SELFTEST_KERNELS_DIR, source;
    for (const char *suffix : {".cuh", ".cu"})
        for (const std::string &name : files_ending(folder, suffix)) {
            std::ifstream file(folder + "/" + name);
            std::stringstream text;
            text << file.rdbuf();
            source += "// ---- " + name + " ----\n" + text.str() + "\n";
        }
    EXPECT(!source.empty());
    return source;
}

CUmodule load_test_kernels(Output output, const std::string &arch) {
    std::string image = nvrtc_compile(test_kernels_source(), arch, output);
    CUmodule module = nullptr;
    EXPECT_RESULT(cuModuleLoadData(&module, image.data()), CUDA_SUCCESS);
    return module;
}

CUfunction get_function(CUmodule module, const char *name) {
    CUfunction function = nullptr;
    EXPECT_RESULT(cuModuleGetFunction(&function, module, name), CUDA_SUCCESS);
    return function;
}

std::string replace_once(std::string source, const std::string &from, const std::string &to) {
    size_t at = source.find(from);
    EXPECT(at != std::string::npos);
    return source.replace(at, from.size(), to);
}

int run_forked(void (*body)()) {
    fflush(nullptr);
    pid_t pid = fork();
    if (pid == 0) {
        body();
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return status;
}

bool aborts(void (*body)()) {
    int status = run_forked(body);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}
