// How the emulator talks to the person running it: every message goes to stderr with an "EMU"
// prefix, so it stands out among a test's output.
//
//   emu::fail(...)    a check failed; the caller then returns an error code, as the driver would.
//   emu::fatal(...)   the emulator itself cannot go on (misuse it cannot express as an error code).
//   emu::verbose(...) one line per launch and GEMM when EMU_VERBOSE=1.
#pragma once

#include <cstdint>

#include "options.h"

namespace emu {

[[gnu::format(printf, 1, 2)]] void fail(const char *format, ...);
[[noreturn, gnu::format(printf, 1, 2)]] void fatal(const char *format, ...);
[[gnu::format(printf, 1, 2)]] void verbose(const char *format, ...);

// Counters for the EMU_REPORT line.
void count_launch();
void count_gemm(double flops);

}  // namespace emu
