// The emulated GPU: an H200 (compute capability 9.0). Device attributes, launch checks and the
// module loader all read their limits from here, so the numbers live in one place.
#pragma once

#include <cstdint>

namespace emu::gpu {

// Without the architecture: programs print it next to the name, from the compute capability.
constexpr const char *name = "Emulated CUDA device (CPU)";
constexpr int compute_major = 9;
constexpr int compute_minor = 0;
constexpr int arch = compute_major * 10 + compute_minor;  // "sm_90"
constexpr int driver_version = 13000;                    // CUDA 13.0, as cuDriverGetVersion reports
// The newest PTX ISA a CUDA 13.0 driver can JIT: PTX written by a newer NVRTC is refused.
constexpr int max_ptx_isa_major = 9;
constexpr int max_ptx_isa_minor = 0;

// Launch limits of sm_90.
constexpr unsigned max_threads_per_block = 1024;
constexpr unsigned max_block_dim[3] = {1024, 1024, 64};
constexpr unsigned max_grid_dim[3] = {2147483647u, 65535, 65535};
constexpr unsigned max_shared_per_block = 48 * 1024;  // without the opt-in attribute
constexpr unsigned max_shared_per_block_optin = 227 * 1024;
constexpr unsigned max_shared_per_multiprocessor = 228 * 1024;
constexpr unsigned warp_size = 32;

// Registers: a block's threads share one multiprocessor's 64 K registers. They are handed out
// per warp, in units of 256, so a kernel using 10 registers per thread costs a warp 320 → 512.
constexpr unsigned registers_per_block = 65536;
constexpr unsigned register_allocation_unit = 256;
constexpr unsigned max_registers_per_thread = 255;

// Other attributes (H200 SXM).
constexpr int multiprocessors = 132;
constexpr int max_threads_per_multiprocessor = 2048;
constexpr int max_blocks_per_multiprocessor = 32;
constexpr int clock_khz = 1980000;
constexpr int l2_cache_bytes = 50 * 1024 * 1024;
constexpr int constant_memory_bytes = 64 * 1024;

// Default device memory: 141 GiB, overridable with EMU_DEVICE_MEMORY_MIB.
constexpr uint64_t default_memory_mib = 144384;

// The largest block `registers` (per thread) allows, before any other limit: warps of
// 32 threads, each costing registers × 32 rounded up to the allocation unit.
constexpr unsigned max_threads_for_registers(unsigned registers) {
    if (registers == 0) return max_threads_per_block;
    unsigned per_warp = (registers * warp_size + register_allocation_unit - 1) /
                        register_allocation_unit * register_allocation_unit;
    unsigned warps = registers_per_block / per_warp;
    unsigned threads = warps * warp_size;
    return threads < max_threads_per_block ? threads : max_threads_per_block;
}

}  // namespace emu::gpu
