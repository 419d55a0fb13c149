/* Host-side helpers that Swift cannot express cheaply. Not part of the plugin ABI. */
#ifndef BIFROST_HOST_SUPPORT_H
#define BIFROST_HOST_SUPPORT_H

/* The calling thread's native plugin session (an unretained Swift object), or NULL. */
void *bifrost_host_thread_session(void);
void bifrost_host_set_thread_session(void *session);

/* Replaces the handlers of the fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP,
 * SIGSYS) with one that writes the signal and the stack (frame addresses and the names of
 * their shared objects and symbols; never memory contents) to standard error and then ends
 * the process with the same signal. The process always ends within a few seconds, even when
 * the stack overflowed or the report itself would block. Returns 0, or -1 with errno set. */
int bifrost_host_install_fatal_signal_report(void);

/* Gives the calling thread an alternate signal stack, so a stack overflow on it can still be
 * reported; does nothing until the report is installed, or if the thread has one already. */
void bifrost_host_prepare_thread_for_faults(void);

/* Starts `path` with `argv` (NULL-terminated) as a worker process whose descriptors 3, 4, ...
 * are `descriptors[0..count-1]` and whose 0, 1 and 2 are the caller's; no other descriptor of
 * the caller is inherited. The worker starts in its own process group, so a terminal's
 * interrupt reaches the gateway, which then stops its workers itself. Returns the pid, or -1
 * with errno set. */
int bifrost_host_spawn_worker(const char *path, char *const argv[], const int *descriptors, int count);

#endif
