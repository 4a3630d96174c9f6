#include "harness.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static std::vector<Check> &checks() {
    static std::vector<Check> all;
    return all;
}

CheckRegistrar::CheckRegistrar(const Check &check) { checks().push_back(check); }

// Everything a file descriptor's file holds (a temporary file standing in for stderr).
static std::string file_contents(int fd) {
    std::string text;
    char buffer[4096];
    ssize_t n;
    for (off_t at = 0; (n = pread(fd, buffer, sizeof buffer, at)) > 0; at += n) text.append(buffer, n);
    return text;
}

static int temporary_file() {
    char path[] = "/tmp/emu-selftest-XXXXXX";
    int fd = mkstemp(path);
    unlink(path);
    return fd;
}

// ---- inside a check's process ----
// Its stderr is a temporary file (set up by the parent, which prints it if the check fails —
// even when ASan or a crash ends the process), so the check can read back the emulator's lines.

std::string emulator_messages() {
    fflush(stderr);
    return file_contents(STDERR_FILENO);
}

void check_failed(const std::string &what, const char *file, int line) {
    printf("    %s:%d: %s\n", file, line, what.c_str());
    fflush(stdout);
    exit(1);
}

static const char *result_name(CUresult r) {
    const char *name = nullptr;
    cuGetErrorName(r, &name);
    return name ? name : "(unknown CUresult)";
}

void expect_result(CUresult actual, CUresult expected, const char *call, const char *file, int line) {
    if (actual == expected) return;
    check_failed(std::string(call) + " returned " + result_name(actual) + ", expected " + result_name(expected), file,
                 line);
}

void expect_status(cublasStatus_t actual, cublasStatus_t expected, const char *call, const char *file, int line) {
    if (actual == expected) return;
    check_failed(std::string(call) + " returned " + cublasGetStatusName(actual) + ", expected " +
                     cublasGetStatusName(expected),
                 file, line);
}

int run_one_check(const char *name) {
    for (const Check &check : checks()) {
        if (strcmp(check.name, name) != 0) continue;
        struct stat info;
        if (fstat(STDERR_FILENO, &info) != 0 || !S_ISREG(info.st_mode)) dup2(temporary_file(), STDERR_FILENO);
        alarm(300);  // a hung check (a barrier that never releases) fails instead of hanging
        check.run();
        return 0;
    }
    fprintf(stderr, "no check named %s\n", name);
    return 2;
}

// ---- the parent: one process per check ----

// Runs `program --run NAME` with the check's environment; returns its exit status and output
// (what it printed, then what it wrote to stderr).
static int run_in_child(const char *program, const Check &check, std::string *output) {
    int pipe_fds[2];
    if (pipe(pipe_fds) != 0) return -1;
    int errors = temporary_file();
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pipe_fds[1], STDOUT_FILENO);
        dup2(errors, STDERR_FILENO);
        close(pipe_fds[0]);
        for (const std::string &assignment : check.environment) putenv(strdup(assignment.c_str()));
        execl(program, program, "--run", check.name, (char *)nullptr);
        _exit(127);
    }
    close(pipe_fds[1]);
    char buffer[4096];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) output->append(buffer, n);
    close(pipe_fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *output += file_contents(errors);
    close(errors);
    if (WIFSIGNALED(status)) *output += "    killed by signal " + std::to_string(WTERMSIG(status)) + "\n";
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int run_all_checks(const char *program, bool verbose) {
    int passed = 0, failed = 0;
    for (const Check &check : checks()) {
        std::string output;
        int status = run_in_child(program, check, &output);
        printf("%s %-40s %s\n", status == 0 ? "ok  " : "FAIL", check.name, check.description);
        if (status != 0 || verbose) fputs(output.c_str(), stdout);
        fflush(stdout);
        (status == 0 ? passed : failed)++;
    }
    printf("selftest: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
