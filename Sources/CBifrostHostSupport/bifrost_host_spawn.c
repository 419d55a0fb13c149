/* Starting plugin worker processes. posix_spawn keeps the gateway's many threads out of a
 * fork; the descriptors are renumbered through copies above any target number, so a source
 * that happens to be a target's number is never overwritten before it is copied. */
#define _GNU_SOURCE
#include "bifrost_host_support.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <unistd.h>

extern char **environ;

enum { staging_floor = 512 };

int bifrost_host_spawn_worker(const char *path, char *const argv[], const int *descriptors, int count) {
    if (count < 0 || count > 64) {
        errno = EINVAL;
        return -1;
    }
    int staged[64];
    int made = 0;
    int result = -1;
    for (; made < count; made++) {
        staged[made] = fcntl(descriptors[made], F_DUPFD_CLOEXEC, staging_floor);
        if (staged[made] < 0) goto done;
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    if ((errno = posix_spawn_file_actions_init(&actions)) != 0) goto done;
    if ((errno = posix_spawnattr_init(&attributes)) != 0) {
        posix_spawn_file_actions_destroy(&actions);
        goto done;
    }
    int failed = 0;
    for (int index = 0; index < count && !failed; index++) {
        failed = posix_spawn_file_actions_adddup2(&actions, staged[index], 3 + index);
    }
    /* Every other descriptor the gateway holds without close-on-exec is closed in the child,
     * before the worker's runtime starts: a worker closing them itself would also close the
     * descriptors its own runtime (libdispatch's epoll) had opened by then. */
    if (!failed) failed = posix_spawn_file_actions_addclosefrom_np(&actions, 3 + count);
    if (!failed) failed = posix_spawnattr_setpgroup(&attributes, 0);
    if (!failed) failed = posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    pid_t pid = -1;
    if (!failed) failed = posix_spawn(&pid, path, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (failed) {
        errno = failed;
    } else {
        result = pid;
    }
done:;
    int saved = errno;
    for (int index = 0; index < made; index++) close(staged[index]);
    errno = saved;
    return result;
}
