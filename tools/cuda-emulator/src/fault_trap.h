// Kernel faults reported as a GPU reports them. A kernel whose index runs wild (a pointer made of
// canary bytes, a runaway loop) reads far outside every allocation; on the host that is SIGSEGV,
// which would kill the program with no word about which kernel did it. On a GPU the same kernel
// fails with CUDA_ERROR_ILLEGAL_ADDRESS, sticky. So while a kernel runs, a SIGSEGV / SIGBUS
// handler catches faults in kernel code, leaves the kernel, and the launch prints one EMU line
// (kernel, block, thread, address) and returns CUDA_ERROR_ILLEGAL_ADDRESS, sticky.
//
// Only faults in kernel code: the grid runners mark where an emulated thread's code runs
// (enter_kernel_code / leave_kernel_code). A fault anywhere else (the emulator's own bug, another
// host thread) goes on to the handler that was there before, or the default action: the process
// crashes as it always did. The handler is installed only while a kernel runs, and the previous
// one put back after.
//
// Not under AddressSanitizer: its own SEGV report names the faulting line, which is better.
#pragma once

#include <atomic>
#include <csignal>

#include "cuda_api.h"
#include "cuda_as_cpp.h"

namespace emu {

// Whether this host thread is running kernel code. Read by the signal handler; initial-exec TLS,
// so reading it there is one instruction (no __tls_get_addr).
extern EMU_FAST_TLS volatile sig_atomic_t in_kernel_code;

// Plain functions, not a scope guard: leaving a kernel by siglongjmp runs no destructors, so the
// frames it skips must have none (see fault_trap.cpp). The fences keep the compiler from moving
// the kernel's memory accesses across the marks.
inline void enter_kernel_code() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    in_kernel_code = 1;
    std::atomic_signal_fence(std::memory_order_seq_cst);
}
inline void leave_kernel_code() {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    in_kernel_code = 0;
    std::atomic_signal_fence(std::memory_order_seq_cst);
}

// Runs `run(argument)`, the whole grid of `kernel`, with faults in kernel code trapped. Returns
// what `run` returns, or after a fault CUDA_ERROR_ILLEGAL_ADDRESS (having printed the EMU line
// and reset the grid runner's fibers). The caller makes the error sticky.
CUresult run_trapping_faults(const char *kernel, CUresult (*run)(void *argument), void *argument);

template <class Run>
CUresult run_trapping_faults(const char *kernel, Run &run) {
    return run_trapping_faults(kernel, [](void *r) -> CUresult { return (*static_cast<Run *>(r))(); }, &run);
}

}  // namespace emu
