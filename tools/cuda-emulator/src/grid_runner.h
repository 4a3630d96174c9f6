// Running a kernel's grid on the CPU: every block in turn, and within a block every thread.
//
// Two ways, chosen per kernel by the generator:
//   plain   the threads of a block run one after another to completion. Right for kernels whose
//           threads never wait for each other — and fast (a convolution's im2col launches tens
//           of millions of threads).
//   fibers  each thread of the block is a fiber with its own stack; __syncthreads() switches
//           back to the block's scheduler, which resumes the threads only once all of them have
//           arrived. Needed for kernels that share data through __shared__ memory.
#pragma once

#include "cuda_api.h"
#include "cuda_as_cpp.h"
#include "fault_trap.h"

namespace emu {

enum class Threads { plain, fibers };

struct LaunchShape {
    dim3 grid, block;
};

// The kernel being launched on this host thread, for messages from inside the grid (such as a
// __syncthreads() in a kernel classified as plain).
struct RunningKernel {
    const char *name;
    Threads threads;
};
extern thread_local RunningKernel running_kernel;

// Runs `one_thread()` for every thread of the grid, blockIdx / threadIdx set. The whole loop
// counts as kernel code (fault_trap.h): around it there is only index arithmetic, which cannot
// fault, and marking each thread would cost in launches of millions of threads.
template <class Body>
void run_plain(const LaunchShape &shape, const Body &one_thread) {
    gridDim = shape.grid;
    blockDim = shape.block;
    enter_kernel_code();
    for (unsigned bz = 0; bz < shape.grid.z; ++bz)
        for (unsigned by = 0; by < shape.grid.y; ++by)
            for (unsigned bx = 0; bx < shape.grid.x; ++bx) {
                blockIdx = {bx, by, bz};
                for (unsigned tz = 0; tz < shape.block.z; ++tz)
                    for (unsigned ty = 0; ty < shape.block.y; ++ty)
                        for (unsigned tx = 0; tx < shape.block.x; ++tx) {
                            threadIdx = {tx, ty, tz};
                            one_thread();
                        }
            }
    leave_kernel_code();
}

// The same with fibers and barriers. `thread(body)` runs one thread. Returns
// CUDA_ERROR_LAUNCH_FAILED (after a message) when a block's threads do not all reach the same
// barriers: some finished while others waited at a __syncthreads().
CUresult run_with_barriers(const LaunchShape &shape, void (*thread)(void *body), void *body);

// After a fault in kernel code left the grid by siglongjmp (fault_trap.cpp): forgets the fibers
// of the block that was running, so none of them is ever resumed where it stopped.
void abandon_threads();

}  // namespace emu
