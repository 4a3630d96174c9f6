#include "options.h"

#include <cstdlib>
#include <cstring>

#include "device_limits.h"
#include "report.h"

namespace emu {

static bool flag(const char *name) {
    const char *value = getenv(name);
    return value && *value && strcmp(value, "0") != 0;
}

static uint64_t device_memory_bytes() {
    const char *value = getenv("EMU_DEVICE_MEMORY_MIB");
    if (!value || !*value) return gpu::default_memory_mib << 20;
    char *end = nullptr;
    unsigned long long mib = strtoull(value, &end, 10);
    if (*end != '\0' || mib == 0) fatal("EMU_DEVICE_MEMORY_MIB=%s is not a positive number of MiB", value);
    return (uint64_t)mib << 20;
}

const Options &options() {
    // A function-local static: initialised on first use (after the program set its environment),
    // once, even with several threads.
    static const Options parsed = {
        flag("EMU_VERBOSE"),
        flag("EMU_REPORT"),
        flag("EMU_NO_MEMORY_POOLS"),
        device_memory_bytes(),
    };
    return parsed;
}

}  // namespace emu
