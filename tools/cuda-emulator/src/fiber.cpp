#include "fiber.h"

#include <sys/mman.h>
#include <unistd.h>

#include "report.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define EMU_START_SWITCH(save, bottom, size) __sanitizer_start_switch_fiber(save, bottom, size)
#define EMU_FINISH_SWITCH(save, bottom, size) __sanitizer_finish_switch_fiber(save, bottom, size)
#define EMU_UNPOISON(address, bytes) ASAN_UNPOISON_MEMORY_REGION(address, bytes)
#else
#define EMU_START_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define EMU_FINISH_SWITCH(save, bottom, size) ((void)(save), (void)(bottom), (void)(size))
#define EMU_UNPOISON(address, bytes) ((void)(address), (void)(bytes))
#endif

namespace emu {

// Kernels need little stack, but ASan's instrumented frames are larger; pages are only touched
// when used. Below the stack lies one inaccessible guard page, so an overflow crashes at once.
constexpr size_t stack_bytes = 256 * 1024;

// The fiber running on this host thread (set by resume, read by start and yield).
static thread_local Fiber *running = nullptr;

Fiber::Fiber() {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *mapping = mmap(nullptr, page + stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapping == MAP_FAILED) fatal("cannot map a %zu-byte fiber stack", stack_bytes);
    mprotect(mapping, page, PROT_NONE);
    stack_ = (unsigned char *)mapping + page;
    stack_bytes_ = stack_bytes;
}

Fiber::~Fiber() {
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    munmap(stack_ - page, page + stack_bytes_);
}

void Fiber::prepare(void (*entry)(void *), void *argument) {
    entry_ = entry;
    argument_ = argument;
    finished_ = false;
    // A fiber abandoned mid-run (a failed launch) leaves ASan's marks on its stack; start clean.
    EMU_UNPOISON(stack_, stack_bytes_);
    getcontext(&context_);
    context_.uc_stack.ss_sp = stack_;
    context_.uc_stack.ss_size = stack_bytes_;
    context_.uc_link = nullptr;  // start() never returns; it switches back itself
    makecontext(&context_, &Fiber::start, 0);
}

void Fiber::resume() {
    if (finished_) fatal("resuming a finished fiber");
    Fiber *outer = running;
    running = this;
    void *fake_stack = nullptr;
    EMU_START_SWITCH(&fake_stack, stack_, stack_bytes_);
    swapcontext(&caller_, &context_);
    EMU_FINISH_SWITCH(fake_stack, nullptr, nullptr);
    running = outer;
}

void Fiber::abandon() {
    finished_ = true;
    if (running == this) running = nullptr;
}

void Fiber::yield() {
    Fiber *self = running;
    if (!self) fatal("yield outside a fiber");
    EMU_START_SWITCH(&self->fake_stack_, self->caller_stack_, self->caller_stack_bytes_);
    swapcontext(&self->context_, &self->caller_);
    EMU_FINISH_SWITCH(self->fake_stack_, &self->caller_stack_, &self->caller_stack_bytes_);
}

void Fiber::start() {
    Fiber *self = running;
    EMU_FINISH_SWITCH(nullptr, &self->caller_stack_, &self->caller_stack_bytes_);
    self->entry_(self->argument_);
    self->finished_ = true;
    // The last switch away: nullptr tells ASan this fiber's stack is done with.
    EMU_START_SWITCH(nullptr, self->caller_stack_, self->caller_stack_bytes_);
    swapcontext(&self->context_, &self->caller_);
    fatal("a finished fiber was resumed");
}

}  // namespace emu
