// The kernels of the C++ build, as the driver sees them: name, parameter list and a function
// that runs the grid.
//
// Nothing here is written per kernel. The generated kernels.cpp lists each kernel once,
//     emu::describe<&im2col>("im2col", emu::Threads::plain),
// and the templates below read the parameter count, each parameter's size and which parameters
// are pointers off the kernel's C++ type. The module loader compares the count and sizes with
// those NVRTC wrote into the cubin or PTX, so the C++ twin and the GPU code cannot drift apart
// unnoticed (short of a parameter changing type but not size, e.g. u32 to float).
#pragma once

#include <cstddef>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#include "grid_runner.h"

namespace emu {

struct KernelEntry {
    const char *name;
    size_t param_count;
    const size_t *param_sizes;
    const bool *param_is_pointer;
    Threads threads;
    // Runs the whole grid, its threads as `threads` says (the entry's own `threads`). `params` is
    // cuLaunchKernel's kernelParams: params[i] points at the bytes of argument i.
    CUresult (*run)(void **params, const LaunchShape &shape, Threads threads);
};

// A kernel's parameter list, taken apart from its function type.
template <class KernelPointer>
struct Signature;

template <class... Params>
struct Signature<void (*)(Params...)> {
    static_assert((std::is_trivially_copyable_v<Params> && ...),
                  "kernel parameters are copied byte by byte, as the driver does");
    static constexpr size_t count = sizeof...(Params);
    // One extra element: C++ has no zero-length arrays, and a kernel may take no parameters.
    static constexpr size_t sizes[count + 1] = {sizeof(Params)..., 0};
    static constexpr bool is_pointer[count + 1] = {std::is_pointer_v<Params>..., false};

    using Values = std::tuple<std::remove_cv_t<Params>...>;

    // Copies each argument out of the launch's parameter buffer, as the driver copies them into
    // the kernel's constant bank.
    static Values unpack(void **params) {
        Values values;
        unpack_each(values, params, std::index_sequence_for<Params...>{});
        return values;
    }

  private:
    template <size_t... I>
    static void unpack_each(Values &values, void **params, std::index_sequence<I...>) {
        (memcpy(&std::get<I>(values), params[I], sizeof(std::get<I>(values))), ...);
        (void)params;
    }
};

// Calls a type-erased "one thread" body (used by the fiber runner).
template <class Body>
void call_body(void *body) {
    (*static_cast<const Body *>(body))();
}

template <auto kernel>
CUresult run_grid(void **params, const LaunchShape &shape, Threads threads) {
    using S = Signature<decltype(kernel)>;
    const typename S::Values values = S::unpack(params);
    auto one_thread = [&values] { std::apply(kernel, values); };
    if (threads == Threads::plain) {
        run_plain(shape, one_thread);
        return CUDA_SUCCESS;
    }
    return run_with_barriers(shape, &call_body<decltype(one_thread)>, (void *)&one_thread);
}

template <auto kernel>
constexpr KernelEntry describe(const char *name, Threads threads) {
    using S = Signature<decltype(kernel)>;
    return {name, S::count, S::sizes, S::is_pointer, threads, &run_grid<kernel>};
}

// Defined in the generated kernels.cpp.
extern const KernelEntry kernel_table[];
extern const size_t kernel_table_size;
// Where the kernels were built from, for messages.
extern const char *const kernel_source_folder;

}  // namespace emu
