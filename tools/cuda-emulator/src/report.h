// How the emulator talks to the person running it: every message goes to stderr with an "EMU"
// prefix, so it stands out among a test's output.
//
//   emu::fail(...)    a check failed; the caller then returns an error code, as the driver would.
//   emu::fatal(...)   the emulator itself cannot go on (misuse it cannot express as an error code).
//   emu::verbose(...) one line per launch and GEMM when EMU_VERBOSE=1.
#pragma once

#include <cstdint>

namespace emu {

[[gnu::format(printf, 1, 2)]] void fail(const char *format, ...);
[[noreturn, gnu::format(printf, 1, 2)]] void fatal(const char *format, ...);
[[gnu::format(printf, 1, 2)]] void verbose(const char *format, ...);

// The environment variables, read once.
struct Options {
    bool verbose;              // EMU_VERBOSE=1: one line per launch
    bool report;               // EMU_REPORT=1: a summary line at exit
    bool no_memory_pools;      // EMU_NO_MEMORY_POOLS=1: cuMemAllocAsync says CUDA_ERROR_NOT_SUPPORTED
    uint64_t device_memory;    // EMU_DEVICE_MEMORY_MIB, in bytes
};
const Options &options();

// Counters for the EMU_REPORT line.
void count_launch();
void count_gemm(double flops);

}  // namespace emu
