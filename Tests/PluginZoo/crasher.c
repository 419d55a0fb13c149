/* A plugin whose PreHook crashes the process on purpose, one way per CRASH mode:
 *   1 a NULL dereference   2 a stack overflow   3 raise(SIGBUS)   4 abort() */
#include <bifrost_plugin.h>
#include <signal.h>
#include <stdlib.h>

#ifndef CRASH
#define CRASH 1
#endif

/* Recurses until the stack is gone; the volatile frame keeps the compiler from looping. */
__attribute__((noinline)) static int overflow(int depth) {
    volatile char frame[256];
    frame[0] = (char)depth;
    return overflow(depth + 1) + frame[0];
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)req; (void)out;
#if CRASH == 1
    volatile int *nowhere = NULL;
    *nowhere = 1;
#elif CRASH == 2
    (void)overflow(0);
#elif CRASH == 3
    raise(SIGBUS);
#elif CRASH == 4
    abort();
#endif
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)host; (void)token; (void)config; (void)config_len;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "crasher", "1.0.0", 0,
                             NULL, pre_hook, NULL, destroy, NULL};
    return &table;
}
