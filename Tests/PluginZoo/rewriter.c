/* A well-formed plugin that reads everything its hooks can reach and, with REWRITE=1, changes
 * some of it, so a test can check that an isolated plugin's effect is exactly the in-process one:
 *   PreHook   reads the model, every message, parameter and header, and the request as JSON;
 *             REWRITE: sets temperature 0.25, inserts a system message, sets a request header,
 *             metadata and an answer header, and stores a context value the PostHook reads.
 *   PostHook  reads every choice; REWRITE: appends " [rewritten]" to choice 0 and sets a header
 *             carrying the context value.
 *   ChunkHook REWRITE: appends "~" to every delta's text. */
#include <bifrost_plugin.h>
#include <stdio.h>
#include <string.h>

#ifndef REWRITE
#define REWRITE 0
#endif

static const bifrost_host_api *host;

static bifrost_hook_action fault(bifrost_context *ctx, const char *why) {
    host->report_fault(ctx, (bifrost_str){why, strlen(why)});
    return BIFROST_ACTION_FAULT;
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance;
    (void)out;
    bifrost_str text, role;
    size_t count = 0;
    if (host->request_get_model(req, &text) != BIFROST_OK) return fault(ctx, "no model");
    if (host->request_message_count(req, &count) != BIFROST_OK) return fault(ctx, "no messages");
    for (size_t index = 0; index < count; index++) {
        if (host->request_message_get(req, index, &role, &text) != BIFROST_OK) return fault(ctx, "unreadable message");
    }
    if (host->request_param_count(req, &count) != BIFROST_OK) return fault(ctx, "no parameters");
    for (size_t index = 0; index < count; index++) {
        bifrost_value value;
        if (host->request_param_name(req, index, &text) != BIFROST_OK) return fault(ctx, "unreadable parameter");
        if (host->request_get_param(req, text, &value) != BIFROST_OK) return fault(ctx, "unreadable parameter value");
    }
    if (host->request_to_json(req, &text) != BIFROST_OK) return fault(ctx, "no JSON");
    if (host->request_get_header(req, BIFROST_STR("content-type"), &text) != BIFROST_OK) return fault(ctx, "no header");
    if (REWRITE) {
        bifrost_value temperature = {BIFROST_VALUE_NUMBER, 0, 0.25, {NULL, 0}};
        host->request_set_param(req, BIFROST_STR("temperature"), &temperature);
        host->request_message_insert(req, 0, BIFROST_STR("system"), BIFROST_STR("be brief"));
        host->request_set_header(req, BIFROST_STR("x-rewritten"), BIFROST_STR("yes"));
        host->request_set_metadata(req, BIFROST_STR("rewriter"), BIFROST_STR("was here"));
        host->context_set_response_header(ctx, BIFROST_STR("x-rewriter"), BIFROST_STR("pre"));
        bifrost_value mark = {BIFROST_VALUE_STRING, 0, 0, BIFROST_STR("from-pre")};
        host->context_set(ctx, BIFROST_STR("rewriter.mark"), &mark);
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    size_t count = 0;
    bifrost_str text;
    host->response_choice_count(response, &count);
    for (size_t index = 0; index < count; index++) host->response_get_content(response, index, &text);
    if (REWRITE && count > 0 && host->response_get_content(response, 0, &text) == BIFROST_OK) {
        char buffer[4096];
        int length = snprintf(buffer, sizeof buffer, "%.*s [rewritten]", (int)text.len, text.ptr);
        host->response_set_content(response, 0, (bifrost_str){buffer, (size_t)length});
        bifrost_value mark;
        if (host->context_get(ctx, BIFROST_STR("rewriter.mark"), &mark) == BIFROST_OK && mark.kind == BIFROST_VALUE_STRING) {
            host->response_set_header(response, BIFROST_STR("x-rewriter-mark"), mark.string);
        }
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action chunk_hook(void *instance, bifrost_context *ctx, bifrost_chunk *chunk, bifrost_outcome *out) {
    (void)instance;
    (void)ctx;
    (void)out;
    size_t count = 0;
    host->chunk_choice_count(chunk, &count);
    for (size_t index = 0; index < count && REWRITE; index++) {
        bifrost_str text;
        if (host->chunk_get_content(chunk, index, &text) != BIFROST_OK) continue;
        char buffer[4096];
        int length = snprintf(buffer, sizeof buffer, "%.*s~", (int)text.len, text.ptr);
        host->chunk_set_content(chunk, index, (bifrost_str){buffer, (size_t)length});
    }
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token;
    (void)config;
    (void)config_len;
    host = api;
    table = (bifrost_plugin){sizeof table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR, "rewriter", "1.0.0", 0,
                             NULL, pre_hook, post_hook, destroy, chunk_hook};
    table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT; /* it rewrites messages and answers */
    return &table;
}
