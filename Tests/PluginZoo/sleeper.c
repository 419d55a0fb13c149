/* A plugin whose PreHook blocks its thread for SLEEP_MS milliseconds (default 1500), as a
 * plugin doing blocking I/O would. */
#define _POSIX_C_SOURCE 199309L
#include <bifrost_plugin.h>
#include <time.h>

#ifndef SLEEP_MS
#define SLEEP_MS 1500
#endif

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)req; (void)out;
    struct timespec pause = {SLEEP_MS / 1000, (SLEEP_MS % 1000) * 1000000L};
    while (nanosleep(&pause, &pause) != 0) {}
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)host; (void)token; (void)config; (void)config_len;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "sleeper", "1.0.0", 0,
                             NULL, pre_hook, NULL, destroy, NULL};
    return &table;
}
