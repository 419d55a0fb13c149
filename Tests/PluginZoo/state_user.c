/* A plugin that uses every host service of ABI 1.7, for the tests of state and callouts.
 *
 * Configuration: {"limit": N, "callout_url": "http://...", "callout_timeout_ms": T} (all optional). The settings are
 * the library's statics: tests that load it with different settings copy it under other names.
 *  - With a limit, each request adds 1 to the counter "requests" (a one-minute window) and is
 *    rejected with 429 once the counter is past the limit; every answer says the count in
 *    `x-state-count`. The PostHook adds the answer's total tokens to "tokens" (a write).
 *  - A request with `x-cache-key: K` is answered from the value "answer:K" when there is one
 *    (`x-state-cache: hit`); otherwise the PostHook stores the answer's text there.
 *  - A request with `x-callout: PATH` calls callout_url + PATH with a T ms timeout (1000 unless set) and a
 *    64 KiB body limit; the answer carries `x-callout-status` (the status) and
 *    `x-callout-body` (the body), or `x-callout-error` ("unavailable", "timeout", "too_large").
 *  - A request with `x-misuse: 1` calls again with another key at the same position (a fault).
 */
#include <bifrost_plugin.h>
#include <stdio.h>
#include <string.h>

static const bifrost_host_api *host;
static int64_t limit = -1;
static char callout_url[512];
static int64_t callout_timeout_ms = 1000;

static bifrost_hook_action fail_with(bifrost_context *ctx, const char *message) {
    host->report_fault(ctx, (bifrost_str){message, strlen(message)});
    return BIFROST_ACTION_FAULT;
}

static void set_header(bifrost_context *ctx, const char *name, const char *value, size_t len) {
    host->context_set_response_header(ctx, (bifrost_str){name, strlen(name)}, (bifrost_str){value, len});
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance;
    int pending = 0;
    bifrost_str header;
    if (host->request_get_header(req, BIFROST_STR("x-misuse"), &header) == BIFROST_OK) {
        int64_t ignored;
        bifrost_value round;
        /* The second call repeats the first position with another key. */
        int again = host->context_get(ctx, BIFROST_STR("state_user.round"), &round) == BIFROST_OK;
        bifrost_status status = host->state_counter_add(
            ctx, again ? BIFROST_STR("other") : BIFROST_STR("first"), 1, 1000, &ignored, NULL);
        if (status == BIFROST_PENDING) {
            bifrost_value one = {BIFROST_VALUE_BOOL, 1, 0, {0}};
            host->context_set(ctx, BIFROST_STR("state_user.round"), &one);
            return BIFROST_ACTION_PENDING;
        }
        return BIFROST_ACTION_FAULT;
    }
    if (limit >= 0) {
        int64_t count = 0;
        uint64_t resets = 0;
        bifrost_status status = host->state_counter_add(ctx, BIFROST_STR("requests"), 1, 60000, &count, &resets);
        if (status == BIFROST_PENDING) pending = 1;
        else if (status != BIFROST_OK) return fail_with(ctx, "state_counter_add failed");
        else {
            char text[32];
            int len = snprintf(text, sizeof text, "%lld", (long long)count);
            set_header(ctx, "x-state-count", text, (size_t)len);
            if (count > limit) {
                char message[96];
                snprintf(message, sizeof message, "limit of %lld requests reached (this is request %lld)",
                         (long long)limit, (long long)count);
                bifrost_error *error;
                host->outcome_set_error(out, 429, BIFROST_STR("rate_limit_exceeded"),
                                        (bifrost_str){message, strlen(message)}, &error);
                return BIFROST_ACTION_SHORT_CIRCUIT;
            }
        }
    }
    if (host->request_get_header(req, BIFROST_STR("x-cache-key"), &header) == BIFROST_OK) {
        char key[300];
        int len = snprintf(key, sizeof key, "answer:%.*s", (int)header.len, header.ptr);
        bifrost_bytes stored;
        bifrost_status status = host->state_value_get(ctx, (bifrost_str){key, (size_t)len}, &stored);
        if (status == BIFROST_PENDING) pending = 1;
        else if (status == BIFROST_OK) {
            bifrost_response *response;
            if (host->outcome_set_response(out, &response) != BIFROST_OK) return fail_with(ctx, "set_response");
            host->response_append_choice(response, (bifrost_str){(const char *)stored.ptr, stored.len}, BIFROST_STR("stop"));
            host->response_set_header(response, BIFROST_STR("x-state-cache"), BIFROST_STR("hit"));
            return BIFROST_ACTION_SHORT_CIRCUIT;
        } else if (status == BIFROST_ERR_NOT_FOUND) {
            bifrost_value value = {BIFROST_VALUE_STRING, 0, 0, {key, (size_t)len}};
            host->context_set(ctx, BIFROST_STR("state_user.cache_key"), &value);
        } else return fail_with(ctx, "state_value_get failed");
    }
    if (host->request_get_header(req, BIFROST_STR("x-callout"), &header) == BIFROST_OK) {
        char url[1024];
        int len = snprintf(url, sizeof url, "%s%.*s", callout_url, (int)header.len, header.ptr);
        bifrost_callout_request request = {0};
        request.struct_size = sizeof request;
        request.timeout_ms = (uint32_t)callout_timeout_ms;
        request.method = BIFROST_STR("GET");
        request.url = (bifrost_str){url, (size_t)len};
        request.max_response_bytes = 64 * 1024;
        bifrost_callout_response response = {0};
        response.struct_size = sizeof response;
        bifrost_status status = host->callout(ctx, &request, &response);
        if (status == BIFROST_PENDING) pending = 1;
        else if (status == BIFROST_OK) {
            char text[16];
            int tlen = snprintf(text, sizeof text, "%d", response.status);
            set_header(ctx, "x-callout-status", text, (size_t)tlen);
            set_header(ctx, "x-callout-body", (const char *)response.body.ptr, response.body.len < 200 ? response.body.len : 200);
        } else {
            const char *name = status == BIFROST_ERR_TIMEOUT     ? "timeout"
                               : status == BIFROST_ERR_TOO_LARGE ? "too_large"
                               : status == BIFROST_ERR_UNAVAILABLE ? "unavailable"
                                                                   : "other";
            set_header(ctx, "x-callout-error", name, strlen(name));
        }
    }
    return pending ? BIFROST_ACTION_PENDING : BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    bifrost_usage usage;
    if (limit >= 0 && host->response_get_usage(response, &usage) == BIFROST_OK && usage.total_tokens > 0) {
        if (host->state_counter_add(ctx, BIFROST_STR("tokens"), usage.total_tokens, 60000, NULL, NULL) != BIFROST_OK)
            return fail_with(ctx, "the token charge failed");
    }
    bifrost_value key;
    if (host->context_get(ctx, BIFROST_STR("state_user.cache_key"), &key) == BIFROST_OK && key.kind == BIFROST_VALUE_STRING) {
        bifrost_str content;
        if (host->response_get_content(response, 0, &content) == BIFROST_OK) {
            host->state_value_set(ctx, key.string, (bifrost_bytes){(const uint8_t *)content.ptr, content.len}, 60000);
        }
    }
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config; (void)config_len;
    host = api;
    if (api->abi_minor < 7) {
        api->set_create_error(token, BIFROST_STR("state_user needs a host of ABI 1.7"));
        return NULL;
    }
    const bifrost_config *root;
    if (api->config_root(token, &root) == BIFROST_OK) {
        api->config_get_int64(root, BIFROST_STR("limit"), &limit);
        api->config_get_int64(root, BIFROST_STR("callout_timeout_ms"), &callout_timeout_ms);
        bifrost_str url;
        if (api->config_get_string(root, BIFROST_STR("callout_url"), &url) == BIFROST_OK && url.len < sizeof callout_url) {
            memcpy(callout_url, url.ptr, url.len);
            callout_url[url.len] = 0;
        }
    }
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "state-user", "1.0.0", 0,
                             NULL, pre_hook, post_hook, destroy, NULL, NULL, NULL, 0,
                             BIFROST_CAPABILITY_MESSAGE_CONTENT | BIFROST_CAPABILITY_CALLOUTS};
    return &table;
}
