// A minimal test harness. Each check runs in a fresh process of its own (the self-test runs
// itself again with --run NAME), because many checks leave the emulated device broken on
// purpose — a sticky kernel fault, exhausted memory — and some need environment variables set
// before the emulator starts.
//
//   CHECK(name, "what it shows", {"EMU_X=1"}) { ...; EXPECT(...); EXPECT_RESULT(call, CUDA_...); }
#pragma once

#include <string>
#include <vector>

#include "../src/cublas_api.h"
#include "../src/driver_api.h"

struct Check {
    const char *name;
    const char *description;
    std::vector<std::string> environment;  // "NAME=value", added for this check's process
    void (*run)();
};

struct CheckRegistrar {
    explicit CheckRegistrar(const Check &check);
};

#define CHECK(name, description, ...)                                                      \
    static void check_##name();                                                            \
    static CheckRegistrar registrar_##name({#name, description, __VA_ARGS__, check_##name}); \
    static void check_##name()

// Ends the check as failed (exit status 1), saying what was expected where.
[[noreturn]] void check_failed(const std::string &what, const char *file, int line);

#define EXPECT(condition) \
    ((condition) ? (void)0 : check_failed("expected " #condition, __FILE__, __LINE__))

#define EXPECT_RESULT(call, expected) expect_result((call), (expected), #call, __FILE__, __LINE__)
void expect_result(CUresult actual, CUresult expected, const char *call, const char *file, int line);

#define EXPECT_STATUS(call, expected) expect_status((call), (expected), #call, __FILE__, __LINE__)
void expect_status(cublasStatus_t actual, cublasStatus_t expected, const char *call, const char *file, int line);

// Everything the emulator has written to stderr so far in this check (its "EMU ..." lines).
std::string emulator_messages();
#define EXPECT_MESSAGE(text) \
    (emulator_messages().find(text) != std::string::npos ? (void)0 \
                                                         : check_failed("the emulator to say \"" + std::string(text) + "\"", __FILE__, __LINE__))

// Runs every check (each in its own process) and prints one line per check; returns the exit
// status for main.
int run_all_checks(const char *program, bool verbose);
// The child side: runs one check in this process.
int run_one_check(const char *name);
