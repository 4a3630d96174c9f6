// CUDA C++ as host C++: just enough of the CUDA language for the kernels' own `.cu` files to
// compile unchanged with g++, so the emulator runs the very code NVRTC compiles for the GPU.
//
// The generated kernels.cpp includes this header, then every kernel file, as one translation
// unit (as NVRTC sees them). When a kernel starts using something of CUDA not listed here, its
// build fails with a plain compiler error: add the missing piece here, with its GPU meaning.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

// ---- the built-in index variables ----
// One emulated thread runs at a time on each host thread, so these are host thread-locals that
// the grid runner (grid_runner.cpp) sets before running each emulated thread.
// The "initial-exec" TLS model makes each read one instruction; the default for a shared library
// calls __tls_get_addr, which cost a fifth of an AlexNet step (kernels read these in every
// iteration of their grid-stride loops, and some launches have hundreds of millions of threads).
struct uint3 {
    unsigned x, y, z;
};
struct dim3 {
    unsigned x = 1, y = 1, z = 1;
};
#define EMU_FAST_TLS thread_local __attribute__((tls_model("initial-exec")))
extern EMU_FAST_TLS uint3 threadIdx, blockIdx;
extern EMU_FAST_TLS dim3 blockDim, gridDim;

// ---- qualifiers: nothing to do on the host ----
// (__restrict__ needs no definition: g++ understands it, with the same meaning.)
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)

// ---- shared memory and the block barrier ----
// A __shared__ variable is one object per block. The emulator runs one block at a time, so a
// static variable serves — provided every block starts with fresh contents. All of them are
// therefore placed in one linker section, "emu_shared", which the grid runner fills with 0xFF
// (NaN) before every block: a thread that reads shared memory no thread of its block has written
// (because a __syncthreads() is missing) reads NaN, as it would read garbage on a GPU.
// (`extern __shared__` dynamic shared memory is not emulated; the generator refuses it.)
#define __shared__ static __attribute__((section("emu_shared")))

// Waits until every thread of the block has arrived (grid_runner.cpp). Kernels that use it run
// their threads as fibers; the generator finds them by the words __syncthreads / __shared__.
void __syncthreads();

// ---- math ----
// The <cmath> float functions (expf, logf, sqrtf, powf, fmaxf, fminf, ...) have the same names
// and meaning as CUDA's; on a GPU a few of them round differently in the last bit.
using std::isfinite;
using std::isinf;
using std::isnan;

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }

// The same 32 bits read as another type (C++20's std::bit_cast, in C++17).
template <class To, class From>
inline To emu_bit_cast(From from) {
    static_assert(sizeof(To) == sizeof(From), "a bit cast keeps the size");
    To to;
    memcpy(&to, &from, sizeof to);
    return to;
}
inline float __int_as_float(int bits) { return emu_bit_cast<float>(bits); }
inline int __float_as_int(float f) { return emu_bit_cast<int>(f); }
inline float __uint_as_float(unsigned bits) { return emu_bit_cast<float>(bits); }
inline unsigned __float_as_uint(float f) { return emu_bit_cast<unsigned>(f); }

// CUDA's min/max accept mixed argument types (the usual arithmetic conversions decide the result
// type); for floating point they are fminf/fmaxf, which return the other argument for a NaN.
template <class A, class B>
inline std::common_type_t<A, B> min(A a, B b) {
    using T = std::common_type_t<A, B>;
    if constexpr (std::is_floating_point_v<T>) return std::fmin(T(a), T(b));
    else return T(b) < T(a) ? T(b) : T(a);
}
template <class A, class B>
inline std::common_type_t<A, B> max(A a, B b) {
    using T = std::common_type_t<A, B>;
    if constexpr (std::is_floating_point_v<T>) return std::fmax(T(a), T(b));
    else return T(a) < T(b) ? T(b) : T(a);
}

// ---- atomics ----
// Emulated threads never run at the same time (launches are serialised process-wide and a
// block's threads take turns), so a plain read-modify-write is atomic. Each returns the old value.
template <class T>
inline T emu_atomic_add(T *address, T value) {
    T old = *address;
    *address = old + value;
    return old;
}
inline float atomicAdd(float *address, float value) { return emu_atomic_add(address, value); }
// (int wraps around as on a GPU: the addition is done on the unsigned view of the same bits.)
inline int atomicAdd(int *address, int value) { return (int)emu_atomic_add((unsigned *)address, (unsigned)value); }
inline unsigned atomicAdd(unsigned *address, unsigned value) { return emu_atomic_add(address, value); }
inline unsigned long long atomicAdd(unsigned long long *address, unsigned long long value) {
    return emu_atomic_add(address, value);
}
