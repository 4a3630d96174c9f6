// Kernel faults (src/fault_trap.h): a kernel touching memory far outside every allocation, which
// would kill the process with SIGSEGV, returns CUDA_ERROR_ILLEGAL_ADDRESS as on a GPU, with the
// kernel, block and thread named; a fault outside kernel code still crashes the process. Under
// ASan, ASan's own SEGV report is kept (the checks then look for it in a forked process).
#include <csignal>
#include <cstdio>
#include <numeric>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "device.h"

namespace {

constexpr unsigned block = 256;  // BLOCK in selftest/kernels/common.cuh

// Faults in host code, not in a kernel. (volatile: the compiler must not see the null pointer.)
volatile uintptr_t host_bug_address = 16;
void host_bug() { *(volatile int *)host_bug_address = 1; }

// How the process must end after a fault that is not trapped: killed by SIGSEGV as if the
// emulator were not there, or under ASan by ASan's report.
void expect_crash_by_segv(int status) {
#ifdef __SANITIZE_ADDRESS__
    EXPECT(WIFEXITED(status) && WEXITSTATUS(status) != 0);
    EXPECT_MESSAGE("AddressSanitizer: SEGV on unknown address");
#else
    EXPECT(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#endif
}

#ifndef __SANITIZE_ADDRESS__
// What the emulator must say about the address wild_read and wild_read_after_barrier read: 4 TiB
// past x (non-canonical when x lies high in the address space).
std::string wild_address_message(CUdeviceptr x) {
    uint64_t wild = x + (1ull << 40) * sizeof(float);
    if (wild >= 0x800000000000ull) return "touched a non-canonical address";
    char text[160];
#ifdef __x86_64__
    snprintf(text, sizeof text, "read address %#llx, which is not mapped", (unsigned long long)wild);
#else
    snprintf(text, sizeof text, "address %#llx, which is not mapped", (unsigned long long)wild);
#endif
    return text;
}

// The program's own SIGSEGV handler and alternate signal stack: the emulator's replace them only
// while a kernel runs.
void program_handler(int, siginfo_t *, void *) {}
char program_stack[64 * 1024];

void install_program_handlers() {
    struct sigaction mine {};
    mine.sa_sigaction = program_handler;
    mine.sa_flags = SA_SIGINFO;
    sigemptyset(&mine.sa_mask);
    EXPECT(sigaction(SIGSEGV, &mine, nullptr) == 0);
    stack_t stack{};
    stack.ss_sp = program_stack;
    stack.ss_size = sizeof program_stack;
    EXPECT(sigaltstack(&stack, nullptr) == 0);
}

void expect_program_handlers() {
    struct sigaction now {};
    EXPECT(sigaction(SIGSEGV, nullptr, &now) == 0);
    EXPECT((now.sa_flags & SA_SIGINFO) && now.sa_sigaction == program_handler);
    EXPECT(sigaction(SIGBUS, nullptr, &now) == 0);
    EXPECT(!(now.sa_flags & SA_SIGINFO) && now.sa_handler == SIG_DFL);
    stack_t stack{};
    EXPECT(sigaltstack(nullptr, &stack) == 0);
    EXPECT(stack.ss_sp == program_stack && stack.ss_size == sizeof program_stack && !(stack.ss_flags & SS_DISABLE));
}
#endif

}  // namespace

CHECK(kernel_fault, "a kernel reading far outside every allocation: ILLEGAL_ADDRESS, named, sticky", {}) {
#ifdef __SANITIZE_ADDRESS__
    expect_crash_by_segv(run_forked([] {
        open_device();
        CUfunction f = get_function(load_test_kernels(Output::cubin), "wild_read");
        DeviceBuffer<float> out(1), x(64);
        launch(f, {2}, {32}, out.pointer, x.pointer);
    }));
    EXPECT_MESSAGE("wild_read");  // in ASan's stack trace
#else
    install_program_handlers();
    open_device();
    CUfunction f = get_function(load_test_kernels(Output::cubin), "wild_read");
    DeviceBuffer<float> out(1), x(64);
    EXPECT_RESULT(launch(f, {1}, {32}, out.pointer, x.pointer), CUDA_SUCCESS);  // block 0 reads nothing
    expect_program_handlers();
    EXPECT_RESULT(launch(f, {2}, {32}, out.pointer, x.pointer), CUDA_ERROR_ILLEGAL_ADDRESS);
    EXPECT_MESSAGE("EMU check failed: kernel wild_read, block (1,0,0), thread (5,0,0): illegal memory access: ");
    EXPECT_MESSAGE(wild_address_message(x.pointer));
    EXPECT_MESSAGE("CUDA_ERROR_ILLEGAL_ADDRESS (faulting instruction at ");
    EXPECT_MESSAGE("libcuda.so+0x");
    expect_program_handlers();
    EXPECT_RESULT(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);  // sticky
#endif
}

CHECK(kernel_fault_on_a_fiber, "the same after a barrier (on a fiber's stack); a new context runs on", {}) {
#ifdef __SANITIZE_ADDRESS__
    expect_crash_by_segv(run_forked([] {
        open_device();
        CUfunction f = get_function(load_test_kernels(Output::cubin), "wild_read_after_barrier");
        DeviceBuffer<float> in(2 * block), out(2 * block);
        launch(f, {2}, {block}, out.pointer, in.pointer);
    }));
#else
    open_device();
    {
        CUfunction f = get_function(load_test_kernels(Output::cubin), "wild_read_after_barrier");
        DeviceBuffer<float> in(2 * block), out(2 * block);
        EXPECT_RESULT(launch(f, {2}, {block}, out.pointer, in.pointer), CUDA_ERROR_ILLEGAL_ADDRESS);
        EXPECT_MESSAGE("kernel wild_read_after_barrier, block (1,0,0), thread (7,0,0): illegal memory access: ");
        EXPECT_MESSAGE(wild_address_message(in.pointer));
        EXPECT_RESULT(cuCtxSynchronize(), CUDA_ERROR_ILLEGAL_ADDRESS);
    }
    // A new context: the fibers left mid-block are reset, and a kernel with barriers runs right.
    EXPECT_RESULT(cuDevicePrimaryCtxRelease_v2(0), CUDA_SUCCESS);
    open_device();
    CUfunction reverse = get_function(load_test_kernels(Output::cubin), "reverse_block");
    DeviceBuffer<float> in(2 * block), out(2 * block);
    std::vector<float> values(2 * block);
    std::iota(values.begin(), values.end(), 0.0f);
    in.upload(values);
    EXPECT_RESULT(launch(reverse, {2}, {block}, out.pointer, in.pointer), CUDA_SUCCESS);
    std::vector<float> reversed = out.download();
    for (unsigned b = 0; b < 2; ++b)
        for (unsigned t = 0; t < block; ++t) EXPECT(reversed[b * block + t] == values[b * block + block - 1 - t]);
#endif
}

CHECK(host_fault_during_a_kernel, "a fault on another host thread while a kernel runs still crashes", {}) {
    expect_crash_by_segv(run_forked([] {
        alarm(120);  // not inherited from the check's process: a hang fails instead
        open_device();
        CUfunction f = get_function(load_test_kernels(Output::cubin), "wait_for_host");
        DeviceBuffer<unsigned> flag(1);
        flag.upload({0});
        // The emulator's device memory is host memory: this thread sees the kernel start.
        volatile unsigned *kernel_running = (volatile unsigned *)flag.pointer;
        std::thread other([kernel_running] {
            while (*kernel_running != 1) {
            }
            host_bug();
        });
        launch(f, {1}, {1}, flag.pointer);
        other.join();
    }));
}

CHECK(host_fault_after_a_kernel_fault, "after a trapped kernel fault, a host fault still crashes", {}) {
    expect_crash_by_segv(run_forked([] {
        open_device();
        CUfunction f = get_function(load_test_kernels(Output::cubin), "wild_read");
        DeviceBuffer<float> out(1), x(64);
        EXPECT_RESULT(launch(f, {2}, {32}, out.pointer, x.pointer), CUDA_ERROR_ILLEGAL_ADDRESS);
        host_bug();
    }));
}
