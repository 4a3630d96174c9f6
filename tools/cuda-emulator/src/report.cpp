#include "report.h"

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>

#include "device_memory.h"

namespace emu {

static void print(const char *tag, const char *format, va_list args) {
    // One fprintf per message keeps lines from several threads whole.
    char line[2048];
    vsnprintf(line, sizeof line, format, args);
    fprintf(stderr, "EMU%s: %s\n", tag, line);
    fflush(stderr);
}

void fail(const char *format, ...) {
    va_list args;
    va_start(args, format);
    print(" check failed", format, args);
    va_end(args);
}

void fatal(const char *format, ...) {
    va_list args;
    va_start(args, format);
    print(" FATAL", format, args);
    va_end(args);
    abort();
}

void verbose(const char *format, ...) {
    if (!options().verbose) return;
    va_list args;
    va_start(args, format);
    print("", format, args);
    va_end(args);
}

static std::atomic<uint64_t> launches{0}, gemms{0};
static std::atomic<double> gemm_flops{0.0};

void count_launch() { launches.fetch_add(1, std::memory_order_relaxed); }

void count_gemm(double flops) {
    gemms.fetch_add(1, std::memory_order_relaxed);
    double seen = gemm_flops.load(std::memory_order_relaxed);
    while (!gemm_flops.compare_exchange_weak(seen, seen + flops, std::memory_order_relaxed)) {
    }
}

// EMU_REPORT=1: one line when the process exits.
__attribute__((destructor)) static void report_at_exit() {
    if (!options().report) return;
    MemoryStats memory = memory_stats();
    fprintf(stderr,
            "EMU report: %llu kernel launches, %llu cuBLAS GEMMs (%.2f GFLOP), peak device memory "
            "%.1f MiB, %llu allocations still live (%.1f MiB)\n",
            (unsigned long long)launches.load(), (unsigned long long)gemms.load(), gemm_flops.load() / 1e9,
            memory.peak_bytes / 1048576.0, (unsigned long long)memory.live_allocations,
            memory.live_bytes / 1048576.0);
}

}  // namespace emu
