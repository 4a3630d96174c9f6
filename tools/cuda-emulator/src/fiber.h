// A fiber: a function running on its own stack, which can pause itself (yield) and be resumed
// later from where it paused. The block scheduler (grid_runner.cpp) runs each emulated GPU thread
// of a block as one fiber, so a thread can stop at __syncthreads() while the others catch up.
//
// Built on ucontext (getcontext / makecontext / swapcontext). Under AddressSanitizer every switch
// is announced to ASan, which otherwise loses track of which stack is in use.
#pragma once

#include <cstddef>
#include <ucontext.h>

namespace emu {

class Fiber {
  public:
    Fiber();
    ~Fiber();
    Fiber(const Fiber &) = delete;
    Fiber &operator=(const Fiber &) = delete;

    // Makes the fiber run `entry(argument)` from the start when next resumed.
    void prepare(void (*entry)(void *), void *argument);
    // Runs the fiber until it yields or its entry function returns.
    void resume();
    bool finished() const { return finished_; }
    // Forgets a fiber that was left without returning or yielding (a kernel fault jumped off its
    // stack): it counts as finished, and no longer as the running fiber. prepare() reuses it.
    void abandon();

    // Called on a fiber: pauses it, returning control to the resume() that ran it.
    static void yield();

  private:
    static void start();  // first code on the fiber's stack

    void (*entry_)(void *) = nullptr;
    void *argument_ = nullptr;
    bool finished_ = true;
    ucontext_t context_{};  // the fiber's registers while it is paused
    ucontext_t caller_{};   // the resumer's registers while the fiber runs
    unsigned char *stack_ = nullptr;  // the usable stack, above a guard page
    size_t stack_bytes_ = 0;
    // AddressSanitizer bookkeeping (unused otherwise).
    void *fake_stack_ = nullptr;
    const void *caller_stack_ = nullptr;
    size_t caller_stack_bytes_ = 0;
};

}  // namespace emu
