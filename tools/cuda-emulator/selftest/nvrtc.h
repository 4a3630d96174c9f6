// The real NVRTC, loaded with dlopen from LD_LIBRARY_PATH (as cudarc loads it), compiling the
// self-test kernels to what cuModuleLoadData will be given: a cubin or PTX text.
#pragma once

#include <string>
#include <vector>

enum class Output { cubin, ptx };

// The compiled image (PTX with its terminating NUL). Exits the check, printing NVRTC's log,
// if the source does not compile.
std::string nvrtc_compile(const std::string &source, const std::string &arch, Output output,
                          const std::vector<std::string> &extra_options = {});
