/* One version of a plugin named "stamp", for reload tests: its PostHook sets the response
 * header x-plugin-version to VERSION (a string literal), and it counts its hook and destroy
 * calls as counter.c does (counter_pre_calls, counter_post_calls, counter_destroy_calls).
 * BUILD_ID (a string literal) makes builds of one test differ from another's: the host opens
 * identical content once, so without it two tests would share one library's counters. */
#include <bifrost_plugin.h>
#include <stdint.h>

#ifndef VERSION
#error "define VERSION"
#endif

#ifdef BUILD_ID
__attribute__((used)) static const char build_id[] = BUILD_ID;
#endif

static const bifrost_host_api *host;
static uint64_t pre_calls, post_calls, destroy_calls;

BIFROST_EXPORT uint64_t counter_pre_calls(void) { return __atomic_load_n(&pre_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_post_calls(void) { return __atomic_load_n(&post_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_destroy_calls(void) { return __atomic_load_n(&destroy_calls, __ATOMIC_SEQ_CST); }

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)req; (void)out;
    __atomic_add_fetch(&pre_calls, 1, __ATOMIC_SEQ_CST);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance; (void)ctx;
    __atomic_add_fetch(&post_calls, 1, __ATOMIC_SEQ_CST);
    bifrost_response *response = NULL;
    if (host->outcome_get_response(out, &response) == BIFROST_OK && response != NULL) {
        host->response_set_header(response, BIFROST_STR("x-plugin-version"), BIFROST_STR(VERSION));
    }
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) {
    (void)instance;
    __atomic_add_fetch(&destroy_calls, 1, __ATOMIC_SEQ_CST);
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = api;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "stamp", VERSION, 0,
                             NULL, pre_hook, post_hook, destroy, NULL};
    return &table;
}
