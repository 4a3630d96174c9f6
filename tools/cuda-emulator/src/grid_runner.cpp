// The block scheduler for kernels with barriers, __syncthreads(), shared-memory poisoning, and
// the index variables themselves. (The plain runner is a template in grid_runner.h.)
#include "grid_runner.h"

#include <memory>
#include <vector>

#include "fiber.h"
#include "report.h"

EMU_FAST_TLS uint3 threadIdx, blockIdx;
EMU_FAST_TLS dim3 blockDim, gridDim;

// The linker defines these around the "emu_shared" section that holds every __shared__ variable
// (see cuda_as_cpp.h). Weak, so that a build whose kernels use no shared memory still links.
extern "C" char __start_emu_shared[] __attribute__((weak));
extern "C" char __stop_emu_shared[] __attribute__((weak));

namespace emu {

thread_local RunningKernel running_kernel{nullptr, Threads::plain};

namespace {

enum class State { running, at_barrier, finished };

struct EmulatedThread {
    Fiber fiber;
    uint3 index{};
    State state = State::finished;
};

// The thread whose fiber is running, for __syncthreads().
thread_local EmulatedThread *current_thread = nullptr;

// Fibers (and their stacks) are kept from launch to launch. Launches are serialised by the
// device lock, so one pool serves the process.
std::vector<std::unique_ptr<EmulatedThread>> &threads_for_block(unsigned count) {
    static auto *pool = new std::vector<std::unique_ptr<EmulatedThread>>;
    while (pool->size() < count) pool->push_back(std::make_unique<EmulatedThread>());
    return *pool;
}

// 0xFF bytes: every f32 in shared memory reads as NaN until a thread of this block writes it.
// A volatile byte loop, not memset: under ASan the section also holds the redzones ASan placed
// between the variables, which memset's interceptor would report, and the compiler would turn
// a plain loop back into memset.
__attribute__((no_sanitize_address)) void poison_shared_memory() {
    for (volatile char *p = __start_emu_shared; p < __stop_emu_shared; ++p) *p = (char)0xFF;
}

uint3 thread_index(unsigned linear, const dim3 &block) {
    return {linear % block.x, linear / block.x % block.y, linear / (block.x * block.y)};
}

void report_divergence(const std::vector<std::unique_ptr<EmulatedThread>> &threads, unsigned count,
                       unsigned barrier) {
    const EmulatedThread *done = nullptr, *waiting = nullptr;
    unsigned finished = 0;
    for (unsigned i = 0; i < count; ++i) {
        const EmulatedThread &t = *threads[i];
        if (t.state == State::finished) {
            ++finished;
            if (!done) done = &t;
        } else if (!waiting) {
            waiting = &t;
        }
    }
    fail("kernel %s, block (%u,%u,%u): divergent __syncthreads(): %u of %u threads (e.g. thread (%u,%u,%u)) "
         "returned while the others (e.g. thread (%u,%u,%u)) wait at barrier #%u; on a GPU this hangs or "
         "corrupts shared memory",
         running_kernel.name, blockIdx.x, blockIdx.y, blockIdx.z, finished, count, done->index.x, done->index.y,
         done->index.z, waiting->index.x, waiting->index.y, waiting->index.z, barrier + 1);
}

// A fiber's entry: one emulated thread, its code marked as kernel code (fault_trap.h). The marks
// are taken off again while the thread waits at a barrier (__syncthreads), so the scheduler and
// the fiber switches are never counted as kernel code.
struct ThreadCode {
    void (*thread)(void *body);
    void *body;
};

void run_thread(void *code) {
    const auto *c = static_cast<const ThreadCode *>(code);
    enter_kernel_code();
    c->thread(c->body);
    leave_kernel_code();
}

// Runs one block: all threads to the next barrier, then all on to the next one, and so on.
// Threads take their turns in index order in even blocks and in reverse order in odd blocks:
// whichever of two threads writes shared memory and whichever reads it without a barrier in
// between, in some blocks the reader comes first and reads the NaN poison.
CUresult run_block(unsigned count, bool reverse, void (*thread)(void *), void *body) {
    auto &threads = threads_for_block(count);
    ThreadCode code{thread, body};
    for (unsigned i = 0; i < count; ++i) {
        threads[i]->index = thread_index(i, blockDim);
        threads[i]->state = State::running;
        threads[i]->fiber.prepare(run_thread, &code);
    }
    for (unsigned barrier = 0;; ++barrier) {
        unsigned waiting = 0, finished = 0;
        for (unsigned turn = 0; turn < count; ++turn) {
            EmulatedThread &t = *threads[reverse ? count - 1 - turn : turn];
            if (t.state == State::finished) {
                ++finished;
                continue;
            }
            threadIdx = t.index;
            t.state = State::running;
            current_thread = &t;
            t.fiber.resume();  // until it reaches a barrier or returns
            current_thread = nullptr;
            if (t.fiber.finished()) {
                t.state = State::finished;
                ++finished;
            } else {
                ++waiting;
            }
        }
        if (waiting == 0) return CUDA_SUCCESS;
        if (finished > 0) {
            report_divergence(threads, count, barrier);
            return CUDA_ERROR_LAUNCH_FAILED;
        }
    }
}

}  // namespace

CUresult run_with_barriers(const LaunchShape &shape, void (*thread)(void *), void *body) {
    gridDim = shape.grid;
    blockDim = shape.block;
    unsigned count = shape.block.x * shape.block.y * shape.block.z;
    uint64_t linear = 0;
    for (unsigned bz = 0; bz < shape.grid.z; ++bz)
        for (unsigned by = 0; by < shape.grid.y; ++by)
            for (unsigned bx = 0; bx < shape.grid.x; ++bx) {
                blockIdx = {bx, by, bz};
                poison_shared_memory();
                if (CUresult r = run_block(count, linear++ % 2 == 1, thread, body)) return r;
            }
    return CUDA_SUCCESS;
}

void abandon_threads() {
    current_thread = nullptr;
    for (auto &t : threads_for_block(0)) {
        t->state = State::finished;
        t->fiber.abandon();
    }
}

}  // namespace emu

void __syncthreads() {
    using namespace emu;
    if (running_kernel.threads != Threads::fibers || !current_thread)
        fatal("kernel %s called __syncthreads(), but the emulator runs it as a plain kernel (its threads one "
              "after another, no barriers): gen_kernel_table.py looks for the words __syncthreads / __shared__ "
              "in the kernel and the functions it calls, and did not see this barrier (hidden behind a macro "
              "or a function pointer?). Write __syncthreads() where the generator can see it.",
              running_kernel.name ? running_kernel.name : "(unknown)");
    current_thread->state = State::at_barrier;
    leave_kernel_code();
    Fiber::yield();
    enter_kernel_code();
}
