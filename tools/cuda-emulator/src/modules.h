// Loaded modules and their functions (the handles cuModuleLoadData and cuModuleGetFunction hand
// out), and what a launch needs to know about a function.
#pragma once

#include "cuda_api.h"
#include "kernel_table.h"

namespace emu {

// Everything cuLaunchKernel checks and runs, copied out of the module table so that a module
// unloaded by another thread cannot pull it away mid-launch.
struct LaunchableKernel {
    const KernelEntry *entry;   // the C++ twin
    unsigned registers;         // per thread, from the cubin (0: unknown)
    unsigned static_shared_bytes;
    unsigned max_threads;       // what registers and __launch_bounds__ allow per block
};

// Looks up a live function handle.
bool find_function(CUfunction function, LaunchableKernel *kernel);

// The context was destroyed: every module with it.
void unload_all_modules();

}  // namespace emu
