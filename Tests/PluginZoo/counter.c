/* Counts hook calls in process-wide atomics, for concurrency tests. The test reads the
 * counts through the exported counter_* functions (dlsym). PLUGIN_NAME names it.
 * The PreHook also reads the model and every message, and the PostHook adds the running
 * count as a response header, so hooks do real work through the host. */
#include <bifrost_plugin.h>
#include <stdint.h>
#include <stdio.h>

static const bifrost_host_api *host;
static uint64_t pre_calls;
static uint64_t post_calls;
static uint64_t destroy_calls;

BIFROST_EXPORT uint64_t counter_pre_calls(void) { return __atomic_load_n(&pre_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_post_calls(void) { return __atomic_load_n(&post_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_destroy_calls(void) { return __atomic_load_n(&destroy_calls, __ATOMIC_SEQ_CST); }

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)out;
    bifrost_str model, role, content;
    size_t count = 0;
    if (host->request_get_model(req, &model) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    if (host->request_message_count(req, &count) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    for (size_t i = 0; i < count; i++) {
        if (host->request_message_get(req, i, &role, &content) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    }
    uint64_t n = __atomic_add_fetch(&pre_calls, 1, __ATOMIC_SEQ_CST);
    bifrost_value seen = {BIFROST_VALUE_NUMBER, 0, (double)n, {0, 0}};
    host->context_set(ctx, BIFROST_STR(PLUGIN_NAME ".seen"), &seen);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    bifrost_value seen;
    if (host->context_get(ctx, BIFROST_STR(PLUGIN_NAME ".seen"), &seen) != BIFROST_OK) {
        host->report_fault(ctx, BIFROST_STR("the PreHook's context value is missing"));
        return BIFROST_ACTION_FAULT;
    }
    __atomic_add_fetch(&post_calls, 1, __ATOMIC_SEQ_CST);
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) == BIFROST_OK) {
        char text[32];
        int n = snprintf(text, sizeof text, "%llu", (unsigned long long)seen.number);
        host->response_set_header(response, BIFROST_STR("x-" PLUGIN_NAME), (bifrost_str){text, (size_t)n});
    }
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) {
    (void)instance;
    __atomic_add_fetch(&destroy_calls, 1, __ATOMIC_SEQ_CST);
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *h, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = h;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, PLUGIN_NAME, "1.0.0", 0,
                             NULL, pre_hook, post_hook, destroy};
    table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT; /* it reads every message */
    return &table;
}
