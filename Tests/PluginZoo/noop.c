/* A plugin whose hooks do nothing: the benchmark's measure of pure ABI and chain cost.
 * PLUGIN_NAME names it (default "noop"). */
#include <bifrost_plugin.h>

#ifndef PLUGIN_NAME
#define PLUGIN_NAME "noop"
#endif

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)req; (void)out;
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)out;
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)host; (void)token; (void)config; (void)config_len;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, PLUGIN_NAME, "1.0.0", 0,
                             NULL, pre_hook, post_hook, destroy};
    return &table;
}
