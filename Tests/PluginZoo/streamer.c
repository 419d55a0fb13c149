/* A chunk-hook plugin (ABI 1.1) for streaming tests. PLUGIN_NAME names it.
 *   ChunkHook: upper-cases each delta's text; drops a delta ending in "DROPME";
 *              ends the stream with a 451 on a delta ending in "forbidden".
 *   PostHook:  records the assembled answer's content and usage in the context as
 *              "<name>.content" and "<name>.total_tokens".
 * With TABLE_1_0 the table claims the 1.0 size, so the host must not see the chunk hook. */
#include <bifrost_plugin.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#ifndef PLUGIN_NAME
#error "define PLUGIN_NAME"
#endif

static const bifrost_host_api *host;

static bifrost_hook_action chunk_hook(void *instance, bifrost_context *ctx, bifrost_chunk *chunk, bifrost_outcome *out) {
    (void)instance; (void)ctx;
    size_t count = 0;
    if (host->chunk_choice_count(chunk, &count) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    for (size_t i = 0; i < count; i++) {
        bifrost_str content;
        if (host->chunk_get_content(chunk, i, &content) != BIFROST_OK) continue;
        if (content.len >= 6 && memcmp(content.ptr + content.len - 6, "DROPME", 6) == 0) return BIFROST_ACTION_DROP;
        if (content.len >= 9 && memcmp(content.ptr + content.len - 9, "forbidden", 9) == 0) {
            bifrost_error *error;
            host->outcome_set_error(out, 451, BIFROST_STR("content_filter"), BIFROST_STR("blocked by " PLUGIN_NAME), &error);
            return BIFROST_ACTION_SHORT_CIRCUIT;
        }
        char upper[512];
        size_t n = content.len < sizeof upper ? content.len : sizeof upper;
        for (size_t k = 0; k < n; k++) upper[k] = (char)toupper((unsigned char)content.ptr[k]);
        if (host->chunk_set_content(chunk, i, (bifrost_str){upper, n}) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    bifrost_str content = {"", 0};
    host->response_get_content(response, 0, &content);
    bifrost_usage usage;
    host->response_get_usage(response, &usage);
    bifrost_value text = {BIFROST_VALUE_STRING, 0, 0, content};
    bifrost_value total = {BIFROST_VALUE_NUMBER, 0, (double)usage.total_tokens, {0, 0}};
    host->context_set(ctx, BIFROST_STR(PLUGIN_NAME ".content"), &text);
    host->context_set(ctx, BIFROST_STR(PLUGIN_NAME ".total_tokens"), &total);
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *h, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = h;
    table.struct_size = sizeof table;
#ifdef TABLE_1_0
    table.struct_size = offsetof(bifrost_plugin, chunk_hook);
#endif
    table.abi_major = BIFROST_ABI_VERSION_MAJOR;
    table.abi_minor = BIFROST_ABI_VERSION_MINOR;
    table.name = PLUGIN_NAME;
    table.version = "1.1.0";
    table.post_hook = post_hook;
    table.destroy = destroy;
    table.chunk_hook = chunk_hook;
    table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT; /* it reads and changes the text */
    return &table;
}
