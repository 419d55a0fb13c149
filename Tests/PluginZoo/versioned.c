/* One version of a plugin named "stamp", for reload tests: its PostHook sets the response
 * header x-plugin-version to VERSION (a string literal), and it counts its hook and destroy
 * calls as counter.c does (counter_pre_calls, counter_post_calls, counter_destroy_calls).
 * BUILD_ID (a string literal) makes builds of one test differ from another's: the host opens
 * identical content once, so without it two tests would share one library's counters.
 *
 * State handoff (ABI 1.4): each instance counts the answers it stamped, starting from the
 * count its predecessor handed on (get_handed_state at create), and sends the running count
 * as x-plugin-served; export_state hands the count on as 8 bytes. EXPORT selects a broken
 * export: "refuse" returns an error status, "huge" writes more than the host's 64 MiB limit.
 * TABLE_1_3 or TABLE_1_0 makes the table claim that minor's size (the host must then not see
 * export_state, or chunk_hook and export_state). */
#include <bifrost_plugin.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef VERSION
#error "define VERSION"
#endif

#ifdef BUILD_ID
__attribute__((used)) static const char build_id[] = BUILD_ID;
#endif

static const bifrost_host_api *host;
static uint64_t pre_calls, post_calls, destroy_calls, export_calls;

BIFROST_EXPORT uint64_t counter_pre_calls(void) { return __atomic_load_n(&pre_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_post_calls(void) { return __atomic_load_n(&post_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t counter_destroy_calls(void) { return __atomic_load_n(&destroy_calls, __ATOMIC_SEQ_CST); }
BIFROST_EXPORT uint64_t stamp_export_calls(void) { return __atomic_load_n(&export_calls, __ATOMIC_SEQ_CST); }

typedef struct stamp {
    uint64_t served;
} stamp;

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)ctx; (void)req; (void)out;
    __atomic_add_fetch(&pre_calls, 1, __ATOMIC_SEQ_CST);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)ctx;
    stamp *self = instance;
    __atomic_add_fetch(&post_calls, 1, __ATOMIC_SEQ_CST);
    bifrost_response *response = NULL;
    if (host->outcome_get_response(out, &response) == BIFROST_OK && response != NULL) {
        uint64_t served = __atomic_add_fetch(&self->served, 1, __ATOMIC_SEQ_CST);
        char text[24];
        int length = snprintf(text, sizeof text, "%llu", (unsigned long long)served);
        host->response_set_header(response, BIFROST_STR("x-plugin-version"), BIFROST_STR(VERSION));
        host->response_set_header(response, BIFROST_STR("x-plugin-served"), (bifrost_str){text, (size_t)length});
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_status export_state(void *instance, bifrost_state_writer *writer) {
    stamp *self = instance;
    __atomic_add_fetch(&export_calls, 1, __ATOMIC_SEQ_CST);
#if defined(EXPORT_REFUSE)
    (void)self; (void)writer;
    return BIFROST_ERR_WRONG_STATE;
#elif defined(EXPORT_HUGE)
    (void)self;
    static uint8_t piece[1 << 20];
    for (int i = 0; i < 65; i++) {
        if (host->state_write(writer, (bifrost_bytes){piece, sizeof piece}) != BIFROST_OK) return BIFROST_OK;
    }
    return BIFROST_OK;
#else
    uint64_t served = __atomic_load_n(&self->served, __ATOMIC_SEQ_CST);
    uint8_t bytes[8];
    for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(served >> (8 * i));
    return host->state_write(writer, (bifrost_bytes){bytes, sizeof bytes});
#endif
}

static void destroy(void *instance) {
    __atomic_add_fetch(&destroy_calls, 1, __ATOMIC_SEQ_CST);
    free(instance);
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config; (void)config_len;
    host = api;
    stamp *self = calloc(1, sizeof *self);
    if (self == NULL) {
        api->set_create_error(token, BIFROST_STR("out of memory"));
        return NULL;
    }
    bifrost_bytes handed = {NULL, 0};
    if (api->struct_size >= offsetof(bifrost_host_api, get_handed_state) + sizeof api->get_handed_state &&
        api->get_handed_state(token, &handed) == BIFROST_OK) {
        if (handed.len != 8) {
            free(self);
            api->set_create_error(token, BIFROST_STR("the handed state is not the 8-byte count"));
            return NULL;
        }
        for (int i = 0; i < 8; i++) self->served |= (uint64_t)handed.ptr[i] << (8 * i);
    }
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "stamp", VERSION, 0,
                             self, pre_hook, post_hook, destroy, NULL, export_state};
#if defined(TABLE_1_3)
    table.struct_size = offsetof(bifrost_plugin, export_state);
#elif defined(TABLE_1_0)
    table.struct_size = offsetof(bifrost_plugin, chunk_hook);
#endif
    return &table;
}
