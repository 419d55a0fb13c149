/* A plugin whose PreHook writes context values under keys of every shape and reads them back
 * through context_get, which looks ASCII keys up by their bytes and decodes any other:
 *   MODE 1: ASCII keys short and long, a UTF-8 key, the empty key, and keys one byte longer
 *           or shorter than one set (absent); any surprise faults the hook. It then sets
 *           `keys.checked` to true for the test to see.
 *   MODE 2: context_get with a key that is not UTF-8, which is refused; the hook faults.
 */
#include <bifrost_plugin.h>
#include <string.h>

static const bifrost_host_api *host;

static int holds(bifrost_context *ctx, bifrost_str key, const char *text) {
    bifrost_value value;
    if (host->context_get(ctx, key, &value) != BIFROST_OK || value.kind != BIFROST_VALUE_STRING) return 0;
    return value.string.len == strlen(text) && memcmp(value.string.ptr, text, value.string.len) == 0;
}

static int set(bifrost_context *ctx, bifrost_str key, const char *text) {
    bifrost_value value = {.kind = BIFROST_VALUE_STRING, .string = {text, strlen(text)}};
    return host->context_set(ctx, key, &value) == BIFROST_OK;
}

static int absent(bifrost_context *ctx, bifrost_str key) {
    bifrost_value value;
    return host->context_get(ctx, key, &value) == BIFROST_ERR_NOT_FOUND;
}

static bifrost_hook_action pre(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance;
    (void)req;
    (void)out;
#if MODE == 1
    static const bifrost_str keys[] = {
        BIFROST_STR("k"), BIFROST_STR("keys.seven"), BIFROST_STR("keys.a-key-longer-than-sixteen-bytes"),
        BIFROST_STR("keys.\xd0\xba\xd0\xbb\xd1\x8e\xd1\x87"), BIFROST_STR(""),
    };
    static const char *values[] = {"one", "seven", "long", "utf-8", "empty"};
    for (int i = 0; i < 5; i++)
        if (!set(ctx, keys[i], values[i])) return BIFROST_ACTION_FAULT;
    for (int i = 0; i < 5; i++)
        if (!holds(ctx, keys[i], values[i])) return BIFROST_ACTION_FAULT;
    if (!absent(ctx, BIFROST_STR("keys.seve")) || !absent(ctx, BIFROST_STR("keys.sevenn")) ||
        !absent(ctx, BIFROST_STR("Keys.seven")) || !absent(ctx, BIFROST_STR("keys.\xd0\xba\xd0\xbb\xd1\x8e")))
        return BIFROST_ACTION_FAULT;
    bifrost_value checked = {.kind = BIFROST_VALUE_BOOL, .boolean = 1};
    if (host->context_set(ctx, BIFROST_STR("keys.checked"), &checked) != BIFROST_OK) return BIFROST_ACTION_FAULT;
#elif MODE == 2
    bifrost_value value;
    if (host->context_get(ctx, BIFROST_STR("keys.\xff\xfe"), &value) == BIFROST_ERR_INVALID_ARGUMENT)
        return BIFROST_ACTION_FAULT;
#endif
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_plugin plugin = {
    .struct_size = sizeof(bifrost_plugin),
    .abi_major = BIFROST_ABI_VERSION_MAJOR,
    .abi_minor = BIFROST_ABI_VERSION_MINOR,
    .name = "context-keys",
    .version = "1.0.0",
    .pre_hook = pre,
};

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token;
    (void)config;
    (void)config_len;
    host = api;
    return &plugin;
}
