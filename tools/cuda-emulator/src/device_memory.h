// "Device" memory: ordinary host memory, handed out by the driver's allocation calls and tracked
// in a table of live allocations, so that every copy, every kernel pointer argument and every
// cuBLAS operand can be checked against what the program really allocated.
//
// Each allocation is laid out as
//
//     [ front canary | the caller's bytes ... | back canary ]
//                    ^ the device pointer (256-byte aligned, like the real driver's)
//
// The caller's bytes start as 0xFF (a NaN as f32), so reading memory nobody wrote shows up.
// The canaries hold a known byte pattern; a kernel that writes past either end of its buffer
// changes them, which the launch (and the free) reports as an illegal address. Under
// AddressSanitizer the canaries are also poisoned, so ASan stops at the faulting line itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "cuda_api.h"

namespace emu {

struct Allocation {
    uint64_t base = 0;  // the device pointer handed out
    size_t bytes = 0;   // as requested
};

// cuMemAlloc / cuMemAllocAsync: refuses 0 bytes (as the driver does) and anything beyond the
// device's memory (EMU_DEVICE_MEMORY_MIB). `api` names the caller in messages.
CUresult allocate(size_t bytes, CUdeviceptr *pointer, const char *api);

// cuMemFree / cuMemFreeAsync: `pointer` must be the start of a live allocation, with both
// canaries intact.
CUresult release(CUdeviceptr pointer, const char *api);

// The live allocation containing address `p`, if any.
bool find_allocation(uint64_t p, Allocation *found);

// Whether [p, p + bytes) lies inside one live allocation.
bool range_is_device_memory(uint64_t p, size_t bytes);

// Checks both canaries of the live allocation starting at `base`; on damage returns false and
// describes it in `damage`.
bool canaries_intact(uint64_t base, std::string *damage);

// Frees everything (the context was destroyed).
void release_all_allocations();

struct MemoryStats {
    uint64_t live_bytes, peak_bytes, live_allocations, capacity_bytes;
};
MemoryStats memory_stats();

}  // namespace emu
