/* A plugin that closes one model: its PreHook rejects, with 403 `permission_error`, every
 * request whose model ends in "forbidden", and lets every other request through. */
#include <bifrost_plugin.h>
#include <string.h>

static const bifrost_host_api *host;

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx;
    static const char closed[] = "forbidden";
    bifrost_str model;
    if (host->request_get_model(req, &model) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    size_t suffix = sizeof closed - 1;
    if (model.len < suffix || memcmp(model.ptr + model.len - suffix, closed, suffix) != 0) return BIFROST_ACTION_CONTINUE;
    bifrost_error *error;
    if (host->outcome_set_error(out, 403, BIFROST_STR("permission_error"),
                                BIFROST_STR("the model 'forbidden' is closed by the gatekeeper plugin"), &error) != BIFROST_OK)
        return BIFROST_ACTION_FAULT;
    return BIFROST_ACTION_SHORT_CIRCUIT;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = api;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "gatekeeper", "1.0.0", 0,
                             NULL, pre_hook, NULL, destroy, NULL};
    return &table;
}
