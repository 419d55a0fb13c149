/* Reads every kind of sensitive data (ABI 1.6 capabilities) and reports what the host let it
 * see. CAPS (default 0) is the table's `capabilities`; MINOR (default this header's) its
 * abi_minor; TABLE_1_4 or TABLE_1_5 makes the table claim that minor's size, which does not
 * reach `capabilities`.
 *
 * The PreHook reports, as the answer header x-pre-reads (set by the PostHook), "name=status[:value]" pairs for the
 * request's credential headers (authorization, x-api-key, anthropic-style x-goog-api-key),
 * a plain header (content-type), message 0's content and role alone, the request as JSON and
 * canonical JSON, and the tool calls of message 1 (their count, then the first call's name
 * when there is one; message 1 must exist).
 * The PostHook sets x-post-reads to the statuses of reading the response's content, JSON
 * and tool-call count. */
#include <bifrost_plugin.h>
#include <stdio.h>
#include <string.h>

#ifndef CAPS
#define CAPS 0
#endif
#ifndef MINOR
#define MINOR BIFROST_ABI_VERSION_MINOR
#endif

static const bifrost_host_api *host;

typedef struct report {
    char text[1024];
    size_t used;
} report;

static void add(report *r, const char *name, bifrost_status status, const char *value, size_t length) {
    int n = snprintf(r->text + r->used, sizeof r->text - r->used, "%s%s=%d", r->used == 0 ? "" : " ", name, (int)status);
    if (n > 0 && (size_t)n < sizeof r->text - r->used) r->used += (size_t)n;
    if (status == BIFROST_OK && value != NULL && r->used + 1 + length < sizeof r->text) {
        r->text[r->used++] = ':';
        memcpy(r->text + r->used, value, length);
        r->used += length;
    }
}

static void add_header(report *r, bifrost_request *req, const char *name) {
    bifrost_str value = {NULL, 0};
    bifrost_status status = host->request_get_header(req, (bifrost_str){name, strlen(name)}, &value);
    add(r, name, status, value.ptr, value.len);
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)out;
    report r = {{0}, 0};
    add_header(&r, req, "authorization");
    add_header(&r, req, "x-api-key");
    add_header(&r, req, "X-Goog-Api-Key");
    add_header(&r, req, "content-type");
    bifrost_str role = {NULL, 0}, content = {NULL, 0}, json = {NULL, 0};
    bifrost_status status = host->request_message_get(req, 0, &role, &content);
    add(&r, "content", status, content.ptr, content.len);
    role.len = 0;
    status = host->request_message_get(req, 0, &role, NULL);
    add(&r, "role", status, role.ptr, role.len);
    add(&r, "json", host->request_to_json(req, &json), NULL, 0);
    add(&r, "canonical", host->request_to_canonical_json(req, NULL, 0, &json), NULL, 0);
    size_t count = 0;
    status = host->request_message_tool_call_count(req, 1, &count);
    char number[24];
    int n = snprintf(number, sizeof number, "%zu", count);
    add(&r, "calls", status, number, (size_t)n);
    if (status == BIFROST_OK && count > 0) {
        bifrost_str id, name = {NULL, 0}, arguments;
        status = host->request_message_tool_call_get(req, 1, 0, &id, &name, &arguments);
        add(&r, "call", status, name.ptr, name.len);
    }
    bifrost_value reads = {BIFROST_VALUE_STRING, 0, 0, {r.text, r.used}};
    host->context_set(ctx, BIFROST_STR("capability_probe.pre"), &reads);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    bifrost_response *response = NULL;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    bifrost_value pre;
    if (host->context_get(ctx, BIFROST_STR("capability_probe.pre"), &pre) == BIFROST_OK) {
        host->response_set_header(response, BIFROST_STR("x-pre-reads"), pre.string);
    }
    report r = {{0}, 0};
    bifrost_str content = {NULL, 0}, json;
    /* Statuses only: the answer's text is the provider's. */
    add(&r, "content", host->response_get_content(response, 0, &content), NULL, 0);
    add(&r, "json", host->response_to_json(response, &json), NULL, 0);
    size_t count = 0;
    add(&r, "calls", host->response_tool_call_count(response, 0, &count), NULL, 0);
    host->response_set_header(response, BIFROST_STR("x-post-reads"), (bifrost_str){r.text, r.used});
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = api;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, MINOR, "capability-probe", "1.0.0", 0,
                             NULL, pre_hook, post_hook, NULL, NULL, NULL, NULL, 0, CAPS};
#if defined(TABLE_1_4)
    table.struct_size = offsetof(bifrost_plugin, commands);
#elif defined(TABLE_1_5)
    table.struct_size = offsetof(bifrost_plugin, capabilities);
#endif
    return &table;
}
