// The emulator's settings, from environment variables read once, on first use.
//
//   EMU_DEVICE_MEMORY_MIB=N   the device has N MiB (default 144384, an H200); allocations beyond
//                             it fail with CUDA_ERROR_OUT_OF_MEMORY
//   EMU_NO_MEMORY_POOLS=1     the device reports memory pools, but cuMemAllocAsync fails with
//                             CUDA_ERROR_NOT_SUPPORTED, as in some sandboxed drivers
//   EMU_VERBOSE=1             one line per kernel launch and per GEMM on stderr
//   EMU_REPORT=1              one summary line on stderr at exit
#pragma once

#include <cstdint>

namespace emu {

struct Options {
    bool verbose;
    bool report;
    bool no_memory_pools;
    uint64_t device_memory;  // bytes
};

const Options &options();

}  // namespace emu
