/* The fatal-signal report: a crash in a plugin must end the process promptly, so that its
 * supervisor restarts it, and must never print what requests contain, as a memory dump would.
 * Everything the handler calls is async-signal-safe except backtrace(), whose first call
 * (which may load the unwinder) happens at install time. */
#define _GNU_SOURCE
#include "bifrost_host_support.h"

#include <errno.h>
#include <execinfo.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { alternate_stack_bytes = 128 * 1024, report_frames = 64, report_seconds = 5 };

static const int fatal_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS};
static volatile sig_atomic_t installed;
static volatile sig_atomic_t reporting;
static __thread int thread_prepared;

static void write_text(const char *text) {
    size_t length = strlen(text);
    while (length > 0) {
        ssize_t written = write(STDERR_FILENO, text, length);
        if (written <= 0) return;
        text += written;
        length -= (size_t)written;
    }
}

static const char *signal_name(int signal_number) {
    switch (signal_number) {
    case SIGSEGV: return "SIGSEGV (invalid memory access)";
    case SIGBUS: return "SIGBUS (bus error)";
    case SIGILL: return "SIGILL (illegal instruction or a Swift runtime trap)";
    case SIGFPE: return "SIGFPE (arithmetic fault)";
    case SIGABRT: return "SIGABRT (abort)";
    case SIGTRAP: return "SIGTRAP (trap)";
    case SIGSYS: return "SIGSYS (bad system call)";
    default: return "a fatal signal";
    }
}

static void report(int signal_number, siginfo_t *info, void *context) {
    (void)info;
    (void)context;
    /* SA_RESETHAND restored the default action: raising the signal again after the report
     * ends the process with it, also when it was raised on purpose rather than by a fault. */
    if (reporting) {
        raise(signal_number);
        return;
    }
    reporting = 1;
    /* If the report blocks (the fault hit the allocator or the loader holding a lock), the
     * alarm's default action ends the process anyway. */
    signal(SIGALRM, SIG_DFL);
    alarm(report_seconds);
    write_text("bifrost: fatal signal ");
    write_text(signal_name(signal_number));
    write_text("; the process stops. Stack (addresses, shared objects and symbols only):\n");
    void *frames[report_frames];
    int count = backtrace(frames, report_frames);
    backtrace_symbols_fd(frames, count, STDERR_FILENO);
    raise(signal_number);
}

void bifrost_host_prepare_thread_for_faults(void) {
    if (!installed || thread_prepared) return;
    thread_prepared = 1;
    void *memory = mmap(NULL, alternate_stack_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;
    stack_t stack = {.ss_sp = memory, .ss_size = alternate_stack_bytes, .ss_flags = 0};
    if (sigaltstack(&stack, NULL) != 0) munmap(memory, alternate_stack_bytes);
}

int bifrost_host_install_fatal_signal_report(void) {
    void *warm[1];
    (void)backtrace(warm, 1);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = report;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (size_t index = 0; index < sizeof fatal_signals / sizeof fatal_signals[0]; index++) {
        if (sigaction(fatal_signals[index], &action, NULL) != 0) return -1;
    }
    installed = 1;
    bifrost_host_prepare_thread_for_faults();
    return 0;
}
