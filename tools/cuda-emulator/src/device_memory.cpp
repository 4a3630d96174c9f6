#include "device_memory.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "report.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#define EMU_POISON(address, bytes) ASAN_POISON_MEMORY_REGION(address, bytes)
#define EMU_UNPOISON(address, bytes) ASAN_UNPOISON_MEMORY_REGION(address, bytes)
#else
#define EMU_POISON(address, bytes) ((void)(address), (void)(bytes))
#define EMU_UNPOISON(address, bytes) ((void)(address), (void)(bytes))
#endif

namespace emu {

constexpr size_t alignment = 256;          // cuMemAlloc's pointers are at least 256-byte aligned
constexpr size_t canary_bytes = 256;       // at least this much on each side
constexpr unsigned char canary_value = 0xCA;
constexpr unsigned char fresh_value = 0xFF;  // 0xFFFFFFFF is a NaN as f32

namespace {

struct Block {
    size_t bytes;         // the caller's size
    unsigned char *start; // what aligned_alloc returned: front canary, bytes, back canary
    size_t total;         // of the whole block
};

struct Table {
    std::mutex lock;
    std::map<uint64_t, Block> live;  // by device pointer
    uint64_t live_bytes = 0, peak_bytes = 0;
};

// Never destroyed: the EMU_REPORT line is printed from a destructor, after static objects may
// already be gone.
Table &table() {
    static Table *instance = new Table;
    return *instance;
}

size_t round_up(size_t n, size_t to) { return (n + to - 1) / to * to; }

unsigned char *back_canary(uint64_t base, const Block &block) { return (unsigned char *)base + block.bytes; }
size_t back_canary_bytes(uint64_t base, const Block &block) {
    return block.start + block.total - back_canary(base, block);
}

// Reads canary bytes that ASan has poisoned, so it must not be instrumented itself.
__attribute__((no_sanitize_address)) size_t first_changed(const unsigned char *p, size_t n) {
    for (size_t i = 0; i < n; ++i)
        if (p[i] != canary_value) return i;
    return n;
}

bool check_block(uint64_t base, const Block &block, std::string *damage) {
    size_t front = first_changed(block.start, canary_bytes);
    size_t back = first_changed(back_canary(base, block), back_canary_bytes(base, block));
    if (front == canary_bytes && back == back_canary_bytes(base, block)) return true;
    char text[256];
    if (back != back_canary_bytes(base, block))
        snprintf(text, sizeof text, "byte %zu past the end of the %zu-byte allocation at %#llx was overwritten", back,
                 block.bytes, (unsigned long long)base);
    else
        snprintf(text, sizeof text, "byte %zu before the start of the %zu-byte allocation at %#llx was overwritten",
                 canary_bytes - front, block.bytes, (unsigned long long)base);
    *damage = text;
    return false;
}

void free_block(const Block &block) {
    EMU_UNPOISON(block.start, block.total);
    free(block.start);
}

}  // namespace

CUresult allocate(size_t bytes, CUdeviceptr *pointer, const char *api) {
    if (!pointer) return CUDA_ERROR_INVALID_VALUE;
    if (bytes == 0) {
        fail("%s(0 bytes): the driver refuses zero-byte allocations (CUDA_ERROR_INVALID_VALUE)", api);
        return CUDA_ERROR_INVALID_VALUE;
    }
    Table &t = table();
    uint64_t capacity = options().device_memory;
    {
        // Reserve the bytes first, so that two threads cannot both take the last of the memory.
        std::lock_guard<std::mutex> guard(t.lock);
        if (bytes > capacity || t.live_bytes > capacity - bytes) {
            fail("%s(%zu bytes): out of device memory (%.1f of %.1f MiB in use)", api, bytes,
                 t.live_bytes / 1048576.0, capacity / 1048576.0);
            return CUDA_ERROR_OUT_OF_MEMORY;
        }
        t.live_bytes += bytes;
        if (t.live_bytes > t.peak_bytes) t.peak_bytes = t.live_bytes;
    }
    size_t total = canary_bytes + round_up(bytes, alignment) + canary_bytes;
    auto *start = (unsigned char *)aligned_alloc(alignment, total);
    if (!start) {
        std::lock_guard<std::mutex> guard(t.lock);
        t.live_bytes -= bytes;
        fail("%s(%zu bytes): the host has no memory left to emulate it", api, bytes);
        return CUDA_ERROR_OUT_OF_MEMORY;
    }
    Block block{bytes, start, total};
    uint64_t base = (uint64_t)(start + canary_bytes);
    memset(start, canary_value, total);
    memset((void *)base, fresh_value, bytes);
    EMU_POISON(start, canary_bytes);
    EMU_POISON(back_canary(base, block), back_canary_bytes(base, block));
    {
        std::lock_guard<std::mutex> guard(t.lock);
        t.live[base] = block;
    }
    *pointer = base;
    return CUDA_SUCCESS;
}

CUresult release(CUdeviceptr pointer, const char *api) {
    Table &t = table();
    Block block;
    {
        std::lock_guard<std::mutex> guard(t.lock);
        auto found = t.live.find(pointer);
        if (found == t.live.end()) {
            Allocation inside;
            bool interior = false;
            auto after = t.live.upper_bound(pointer);
            if (after != t.live.begin()) {
                --after;
                interior = pointer < after->first + after->second.bytes;
                inside = {after->first, after->second.bytes};
            }
            if (interior)
                fail("%s(%#llx): not the start of an allocation (it lies %llu bytes into the one at %#llx)", api,
                     (unsigned long long)pointer, (unsigned long long)(pointer - inside.base),
                     (unsigned long long)inside.base);
            else
                fail("%s(%#llx): not a live allocation (freed twice, or never allocated)", api,
                     (unsigned long long)pointer);
            return CUDA_ERROR_INVALID_VALUE;
        }
        block = found->second;
        t.live.erase(found);
        t.live_bytes -= block.bytes;
    }
    std::string damage;
    bool intact = check_block(pointer, block, &damage);
    free_block(block);
    if (!intact) {
        fail("%s: %s (a kernel wrote out of bounds)", api, damage.c_str());
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

bool find_allocation(uint64_t p, Allocation *found) {
    Table &t = table();
    std::lock_guard<std::mutex> guard(t.lock);
    auto after = t.live.upper_bound(p);
    if (after == t.live.begin()) return false;
    --after;
    if (p >= after->first + after->second.bytes) return false;
    *found = {after->first, after->second.bytes};
    return true;
}

bool range_is_device_memory(uint64_t p, size_t bytes) {
    Allocation a;
    if (!find_allocation(p, &a)) return false;
    return bytes <= a.base + a.bytes - p;
}

bool canaries_intact(uint64_t base, std::string *damage) {
    Table &t = table();
    std::lock_guard<std::mutex> guard(t.lock);
    auto found = t.live.find(base);
    if (found == t.live.end()) return true;
    return check_block(base, found->second, damage);
}

void release_all_allocations() {
    Table &t = table();
    std::lock_guard<std::mutex> guard(t.lock);
    for (auto &entry : t.live) free_block(entry.second);
    t.live.clear();
    t.live_bytes = 0;
}

MemoryStats memory_stats() {
    Table &t = table();
    std::lock_guard<std::mutex> guard(t.lock);
    return {t.live_bytes, t.peak_bytes, (uint64_t)t.live.size(), options().device_memory};
}

}  // namespace emu
