// cuLaunchKernel: the checks a real driver makes on a launch, the checks only an emulator can
// make (pointer arguments, out-of-bounds writes), then the grid itself, run on this thread.
//
//   check                                   result (as the real driver)
//   unknown function handle                 CUDA_ERROR_INVALID_HANDLE
//   `extra` argument buffer                 CUDA_ERROR_INVALID_VALUE (not emulated)
//   zero or too large grid/block dimension  CUDA_ERROR_INVALID_VALUE
//   more than 48 KiB of shared memory       CUDA_ERROR_INVALID_VALUE
//   more threads than the kernel's
//     registers / __launch_bounds__ allow   CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES
//   a pointer argument outside every live
//     allocation                            CUDA_ERROR_ILLEGAL_ADDRESS, sticky
//   a divergent __syncthreads()             CUDA_ERROR_LAUNCH_FAILED, sticky
//   a fault in kernel code (SIGSEGV/SIGBUS:
//     an access far outside every buffer)   CUDA_ERROR_ILLEGAL_ADDRESS, sticky (fault_trap.h)
//   a canary overwritten (out-of-bounds
//     write)                                CUDA_ERROR_ILLEGAL_ADDRESS, sticky
//
// A real launch returns at once and a fault surfaces at the next synchronising call; here the
// kernel has finished when cuLaunchKernel returns, so the launch itself reports it (and, the
// error being sticky, every later call too).
#include <cstring>
#include <set>

#include "context.h"
#include "driver_api.h"
#include "device_limits.h"
#include "device_memory.h"
#include "fault_trap.h"
#include "modules.h"
#include "report.h"

namespace {

using emu::LaunchableKernel;
using emu::LaunchShape;

CUresult check_shape(const LaunchableKernel &k, const LaunchShape &s, unsigned dynamic_shared) {
    namespace gpu = emu::gpu;
    const char *name = k.entry->name;
    const dim3 &g = s.grid, &b = s.block;
    if (!g.x || !g.y || !g.z || !b.x || !b.y || !b.z) {
        emu::fail("launch of %s: grid (%u,%u,%u) block (%u,%u,%u) has a zero dimension", name, g.x, g.y, g.z, b.x, b.y, b.z);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (g.x > gpu::max_grid_dim[0] || g.y > gpu::max_grid_dim[1] || g.z > gpu::max_grid_dim[2]) {
        emu::fail("launch of %s: grid (%u,%u,%u) exceeds sm_90's (%u,%u,%u)", name, g.x, g.y, g.z, gpu::max_grid_dim[0],
                  gpu::max_grid_dim[1], gpu::max_grid_dim[2]);
        return CUDA_ERROR_INVALID_VALUE;
    }
    uint64_t threads = (uint64_t)b.x * b.y * b.z;
    if (b.x > gpu::max_block_dim[0] || b.y > gpu::max_block_dim[1] || b.z > gpu::max_block_dim[2] ||
        threads > gpu::max_threads_per_block) {
        emu::fail("launch of %s: block (%u,%u,%u) exceeds sm_90's (%u,%u,%u) and %u threads", name, b.x, b.y, b.z,
                  gpu::max_block_dim[0], gpu::max_block_dim[1], gpu::max_block_dim[2], gpu::max_threads_per_block);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if ((uint64_t)dynamic_shared + k.static_shared_bytes > gpu::max_shared_per_block) {
        emu::fail("launch of %s: %u bytes of dynamic + %u of static shared memory exceed %u", name, dynamic_shared,
                  k.static_shared_bytes, gpu::max_shared_per_block);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (threads > k.max_threads) {
        emu::fail("launch of %s: %llu threads per block, but at most %u fit (%u registers per thread; a block's "
                  "warps share %u registers, handed out %u at a time per warp; or __launch_bounds__)",
                  name, (unsigned long long)threads, k.max_threads, k.registers, gpu::registers_per_block,
                  gpu::register_allocation_unit);
        return CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES;
    }
    return CUDA_SUCCESS;
}

uint64_t pointer_argument(void **params, size_t i) {
    uint64_t p;
    memcpy(&p, params[i], sizeof p);
    return p;
}

// Every pointer argument must be null or point into a live allocation; returns the
// allocations they point into.
CUresult check_pointer_arguments(const emu::KernelEntry &k, void **params, std::set<uint64_t> *touched) {
    for (size_t i = 0; i < k.param_count; ++i) {
        if (!k.param_is_pointer[i]) continue;
        uint64_t p = pointer_argument(params, i);
        if (p == 0) continue;
        emu::Allocation a;
        if (!emu::find_allocation(p, &a)) {
            emu::fail("launch of %s: argument %zu (pointer %#llx) is not inside any live allocation", k.name, i,
                      (unsigned long long)p);
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
        touched->insert(a.base);
    }
    return CUDA_SUCCESS;
}

CUresult check_canaries(const char *kernel, const std::set<uint64_t> &touched) {
    for (uint64_t base : touched) {
        std::string damage;
        if (!emu::canaries_intact(base, &damage)) {
            emu::fail("kernel %s wrote out of bounds: %s", kernel, damage.c_str());
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    }
    return CUDA_SUCCESS;
}

}  // namespace

using namespace emu;

EMU_API CUresult cuLaunchKernel(CUfunction function, unsigned grid_x, unsigned grid_y, unsigned grid_z,
                                unsigned block_x, unsigned block_y, unsigned block_z, unsigned dynamic_shared,
                                CUstream stream, void **params, void **extra) {
    if (CUresult r = require_context()) return r;
    LaunchableKernel kernel;
    if (!find_function(function, &kernel)) {
        fail("cuLaunchKernel: %p is not a function of a loaded module", (void *)function);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    const KernelEntry &entry = *kernel.entry;
    if (CUresult r = check_stream(stream, "cuLaunchKernel")) return r;
    if (extra) {
        fail("launch of %s: arguments through `extra` are not emulated (use kernelParams)", entry.name);
        return CUDA_ERROR_INVALID_VALUE;
    }
    if (entry.param_count > 0 && !params) return CUDA_ERROR_INVALID_VALUE;
    LaunchShape shape{{grid_x, grid_y, grid_z}, {block_x, block_y, block_z}};
    if (CUresult r = check_shape(kernel, shape, dynamic_shared)) return r;

    auto device = lock_device();
    if (CUresult r = sticky_error()) return r;  // a fault from another thread while we waited
    std::set<uint64_t> touched;
    if (CUresult r = check_pointer_arguments(entry, params, &touched)) return raise_fault(r);
    count_launch();
    verbose("launch %s grid (%u,%u,%u) block (%u,%u,%u) shared %u, %u registers, %s", entry.name, grid_x, grid_y,
            grid_z, block_x, block_y, block_z, dynamic_shared, kernel.registers,
            entry.threads == Threads::fibers ? "fibers" : "plain");
    running_kernel = {entry.name, entry.threads};
    auto grid = [&] { return entry.run(params, shape, entry.threads); };
    CUresult result = run_trapping_faults(entry.name, grid);
    running_kernel = {nullptr, Threads::plain};
    if (result) return raise_fault(result);
    if (CUresult r = check_canaries(entry.name, touched)) return raise_fault(r);
    return CUDA_SUCCESS;
}
