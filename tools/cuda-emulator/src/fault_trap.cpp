// The SIGSEGV / SIGBUS trap around a kernel's grid (see fault_trap.h).
//
// Why leaving the kernel by siglongjmp is safe enough here. C++ promises little about leaving
// functions by longjmp, and POSIX little about jumping out of a signal handler; in this one place
// it is sound because:
//   - The jump is taken only for a fault in kernel code, on the thread running the kernel. The
//     frames it skips are the kernel's and the grid runner's, which own nothing: no destructors
//     to run (skipping one would be undefined; the runners' locals are trivially destructible
//     and the kernels are C-style CUDA code), no locks (the atomics are plain read-modify-writes),
//     no heap memory. Everything the launch holds (the device lock, the argument list) belongs to
//     cuLaunchKernel, above the sigsetjmp, and is released the normal way.
//   - So the interrupted code is never inside malloc, stdio or a lock, and after the jump the
//     emulator may call anything: the message is printed then, not in the handler, which only
//     records a few numbers.
//   - The fault is synchronous (the kernel's own load or store), so the jump leaves from a known
//     kind of place. A fault on another host thread, or in the emulator's own code, is never
//     jumped from: in_kernel_code is per thread and set only around kernel code.
//   - sigsetjmp(..., 1) saves the signal mask and siglongjmp restores it, unblocking SIGSEGV
//     (blocked while its handler runs); without that the next fault would kill the process.
//   - The handler runs on an alternate signal stack, so a kernel that overflowed its stack (a
//     fiber's guard page) is caught too. Jumping from a fiber's stack to the launching thread's
//     stack is a jump between two stacks that both stay valid; the fiber abandoned mid-run is
//     then reset (grid_runner.cpp) so that it is never resumed.
//   - What the kernel wrote before the fault stays written, as on a GPU; the context is
//     sticky-faulted from then on, so nothing can use the results.
#include "fault_trap.h"

#include <csetjmp>
#include <cstdint>
#include <cstdio>
#include <dlfcn.h>
#include <ucontext.h>

#include "grid_runner.h"
#include "report.h"

namespace emu {

EMU_FAST_TLS volatile sig_atomic_t in_kernel_code = 0;

#ifdef __SANITIZE_ADDRESS__

// ASan's SEGV handler stays in charge: its report names the faulting line.
CUresult run_trapping_faults(const char *, CUresult (*run)(void *), void *argument) { return run(argument); }

#else

namespace {

// What the handler saw, for the message printed after the jump.
struct Fault {
    int signal, code;
    uintptr_t address, instruction;
    char access;  // 'r' read, 'w' write, '?' unknown
    uint3 block, thread;
};

// Launches are serialised process-wide (the device lock), so one trap serves.
struct Trap {
    sigjmp_buf jump;
    Fault fault;
    struct sigaction previous_segv, previous_bus;
    stack_t previous_stack;
    bool own_stack;
};
Trap trap;
// The handler's stack. Room for the signal frame (with the CPU's extended state) and the handler.
alignas(64) char alternate_stack[64 * 1024];

void fill_in_cpu_state(const void *context, Fault *fault) {
    const auto *uc = static_cast<const ucontext_t *>(context);
#if defined(__x86_64__)
    fault->instruction = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    // A page fault's error code: bit 1 set for a write.
    bool page_fault = fault->signal == SIGSEGV && (fault->code == SEGV_MAPERR || fault->code == SEGV_ACCERR);
    fault->access = page_fault ? ((uc->uc_mcontext.gregs[REG_ERR] & 2) ? 'w' : 'r') : '?';
#elif defined(__aarch64__)
    fault->instruction = (uintptr_t)uc->uc_mcontext.pc;
    fault->access = '?';
#else
    (void)uc;
    fault->instruction = 0;
    fault->access = '?';
#endif
}

// Not ours to handle: what would have happened without us.
void forward(int signal, siginfo_t *info, void *context) {
    const struct sigaction &previous = signal == SIGSEGV ? trap.previous_segv : trap.previous_bus;
    if (previous.sa_flags & SA_SIGINFO) {
        previous.sa_sigaction(signal, info, context);
        return;
    }
    if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(signal);
        return;
    }
    // The default action: put it back and return. The faulting instruction runs again and faults
    // again, now with nothing to catch it: the same crash as without the trap. (A signal sent by
    // kill() is not repeated by returning, so it is raised again.)
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    sigemptyset(&default_action.sa_mask);
    sigaction(signal, &default_action, nullptr);
    if (info->si_code <= 0) raise(signal);
}

void on_fault(int signal, siginfo_t *info, void *context) {
    if (!in_kernel_code) return forward(signal, info, context);
    in_kernel_code = 0;
    Fault &fault = trap.fault;
    fault.signal = signal;
    fault.code = info->si_code;
    fault.address = (uintptr_t)info->si_addr;
    fault.block = blockIdx;
    fault.thread = threadIdx;
    fill_in_cpu_state(context, &fault);
    siglongjmp(trap.jump, 1);
}

void install() {
    struct sigaction action {};
    action.sa_sigaction = on_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &trap.previous_segv);
    sigaction(SIGBUS, &action, &trap.previous_bus);
    stack_t ours{};
    ours.ss_sp = alternate_stack;
    ours.ss_size = sizeof alternate_stack;
    // Fails only when this thread is already on its alternate stack; the handler then runs on
    // the faulting stack (which is fine unless that stack overflowed).
    trap.own_stack = sigaltstack(&ours, &trap.previous_stack) == 0;
}

// Puts back the handler that was there before, unless someone replaced ours meanwhile.
void restore(int signal, const struct sigaction &previous) {
    struct sigaction now;
    if (sigaction(signal, nullptr, &now) == 0 && (now.sa_flags & SA_SIGINFO) && now.sa_sigaction == on_fault)
        sigaction(signal, &previous, nullptr);
}

void uninstall() {
    if (trap.own_stack) sigaltstack(&trap.previous_stack, nullptr);
    restore(SIGSEGV, trap.previous_segv);
    restore(SIGBUS, trap.previous_bus);
}

// "read address 0x..., which is not mapped" and the like.
void describe_access(const Fault &f, char *text, size_t size) {
    const char *verb = f.access == 'w' ? "wrote" : f.access == 'r' ? "read" : "touched";
    if (f.signal == SIGBUS) {
        snprintf(text, size, "bus error (SIGBUS, code %d) at address %#lx", f.code, (unsigned long)f.address);
    } else if (f.code == SI_KERNEL) {
        // x86 reports a non-canonical address as a general protection fault, without the address.
        snprintf(text, size, "touched a non-canonical address (the CPU does not say which: an index or pointer made "
                             "of garbage, e.g. 0xCA canary or 0xFF fill bytes)");
    } else if (f.code == SEGV_MAPERR && f.address < 4096) {
        snprintf(text, size, "%s address %#lx (a null pointer)", verb, (unsigned long)f.address);
    } else if (f.code == SEGV_MAPERR) {
        snprintf(text, size, "%s address %#lx, which is not mapped (no allocation there)", verb, (unsigned long)f.address);
    } else if (f.code == SEGV_ACCERR) {
        snprintf(text, size, "%s address %#lx, which it may not access (read-only memory, or a guard page: a stack "
                             "overflow?)", verb, (unsigned long)f.address);
    } else {
        snprintf(text, size, "SIGSEGV (code %d) at address %#lx", f.code, (unsigned long)f.address);
    }
}

// "/path/libcuda.so+0x1234", for addr2line -f -e.
void describe_instruction(uintptr_t instruction, char *text, size_t size) {
    Dl_info where;
    if (instruction && dladdr((void *)instruction, &where) && where.dli_fname)
        snprintf(text, size, "%s+%#lx", where.dli_fname, (unsigned long)(instruction - (uintptr_t)where.dli_fbase));
    else
        snprintf(text, size, "%#lx", (unsigned long)instruction);
}

}  // namespace

CUresult run_trapping_faults(const char *kernel, CUresult (*run)(void *), void *argument) {
    install();
    if (sigsetjmp(trap.jump, 1) == 0) {
        CUresult result = run(argument);
        uninstall();
        return result;
    }
    // Back here from the handler: kernel code faulted.
    uninstall();
    abandon_threads();
    const Fault &f = trap.fault;
    char access[320], instruction[320];
    describe_access(f, access, sizeof access);
    describe_instruction(f.instruction, instruction, sizeof instruction);
    fail("kernel %s, block (%u,%u,%u), thread (%u,%u,%u): illegal memory access: %s; on a GPU: "
         "CUDA_ERROR_ILLEGAL_ADDRESS (faulting instruction at %s)",
         kernel, f.block.x, f.block.y, f.block.z, f.thread.x, f.thread.y, f.thread.z, access, instruction);
    return CUDA_ERROR_ILLEGAL_ADDRESS;
}

#endif  // __SANITIZE_ADDRESS__

}  // namespace emu
