// The emulator's self-test: small kernels compiled by the real NVRTC, loaded and run through the
// stand-in libcuda.so / libcublas.so, each check in its own process.
//
//   selftest              run every check, one line each, then "selftest: N passed, M failed"
//   selftest --verbose    the same, with every check's output (the emulator's messages)
//   selftest --run NAME   run one check in this process
#include <cstdio>
#include <cstring>

#include "harness.h"

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "--run") == 0) return run_one_check(argv[2]);
    bool verbose = argc == 2 && strcmp(argv[1], "--verbose") == 0;
    if (argc > 1 && !verbose) {
        fprintf(stderr, "usage: %s [--verbose | --run CHECK]\n", argv[0]);
        return 2;
    }
    return run_all_checks("/proc/self/exe", verbose);
}
