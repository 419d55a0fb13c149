/* A configurable well-formed plugin for chain-semantics tests.
 *   PLUGIN_NAME       "name" (string literal), required
 *   SHORT_CIRCUIT     1: the PreHook answers with content "answered by NAME"
 *   REJECT_STATUS     n: the PreHook rejects with HTTP status n and retry-after: 7
 *   RECOVER           1: the PostHook turns an error into a response "recovered by NAME from STATUS"
 *   FAULT_IN_PRE      1: the PreHook reports a fault; 2: returns unknown action 7;
 *                     3: reads a message index out of range; 4: short-circuits without an outcome
 *   FAULT_IN_POST     1: the PostHook reports a fault; 2: the PostHook touches the request
 *                     handle kept from the PreHook
 *   FAIL_OPEN         1: sets BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT
 *   NO_PRE / NO_POST  1: leaves that hook NULL
 * Every hook that runs appends "pre:NAME" / "post:NAME" to the context key "trace"; every
 * PostHook writes the trace so far to the response (or error) header x-trace, and copies an
 * error's retry-after header to x-retry-seen.
 */
#include <bifrost_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PLUGIN_NAME
#error "define PLUGIN_NAME"
#endif

static const bifrost_host_api *host;
static const bifrost_str trace_key = {"trace", 5};
static bifrost_request *kept_request;

static int append_trace(bifrost_context *ctx, const char *event) {
    char buffer[1024];
    size_t len = 0;
    bifrost_value current;
    if (host->context_get(ctx, trace_key, &current) == BIFROST_OK && current.kind == BIFROST_VALUE_STRING) {
        if (current.string.len > 900) return 0;
        memcpy(buffer, current.string.ptr, current.string.len);
        len = current.string.len;
        buffer[len++] = ',';
    }
    int n = snprintf(buffer + len, sizeof buffer - len, "%s:%s", event, PLUGIN_NAME);
    bifrost_value next = {BIFROST_VALUE_STRING, 0, 0, {buffer, len + (size_t)n}};
    return host->context_set(ctx, trace_key, &next) == BIFROST_OK;
}

#ifndef NO_PRE
static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)req; (void)out;
    kept_request = req;
    if (!append_trace(ctx, "pre")) return BIFROST_ACTION_FAULT;
#if defined(FAULT_IN_PRE) && FAULT_IN_PRE == 1
    host->report_fault(ctx, BIFROST_STR("the tracer was told to fail"));
    return BIFROST_ACTION_FAULT;
#elif defined(FAULT_IN_PRE) && FAULT_IN_PRE == 2
    (void)req; (void)out;
    return 7;
#elif defined(FAULT_IN_PRE) && FAULT_IN_PRE == 3
    bifrost_str role, content;
    host->request_message_get(req, 99, &role, &content);
    return BIFROST_ACTION_CONTINUE;
#elif defined(FAULT_IN_PRE) && FAULT_IN_PRE == 4
    return BIFROST_ACTION_SHORT_CIRCUIT;
#elif defined(SHORT_CIRCUIT)
    (void)req;
    bifrost_response *response;
    if (host->outcome_set_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    host->response_append_choice(response, BIFROST_STR("answered by " PLUGIN_NAME), BIFROST_STR("stop"));
    return BIFROST_ACTION_SHORT_CIRCUIT;
#elif defined(REJECT_STATUS)
    (void)req;
    bifrost_error *error;
    if (host->outcome_set_error(out, REJECT_STATUS, BIFROST_STR("rate_limit_exceeded"),
                                BIFROST_STR("rejected by " PLUGIN_NAME ": slow down"), &error) != BIFROST_OK)
        return BIFROST_ACTION_FAULT;
    host->error_set_header(error, BIFROST_STR("retry-after"), BIFROST_STR("7"));
    return BIFROST_ACTION_SHORT_CIRCUIT;
#else
    (void)req; (void)out;
    return BIFROST_ACTION_CONTINUE;
#endif
}
#endif

#ifndef NO_POST
static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance;
    if (!append_trace(ctx, "post")) return BIFROST_ACTION_FAULT;
#if defined(FAULT_IN_POST) && FAULT_IN_POST == 2
    bifrost_str model;
    host->request_get_model(kept_request, &model);
#elif defined(FAULT_IN_POST)
    host->report_fault(ctx, BIFROST_STR("the tracer failed after the provider"));
    return BIFROST_ACTION_FAULT;
#endif
    bifrost_value trace;
    host->context_get(ctx, trace_key, &trace);
    bifrost_response *response;
    bifrost_error *error;
#if defined(RECOVER)
    if (host->outcome_get_error(out, &error) == BIFROST_OK) {
        int32_t status = 0;
        host->error_get_status(error, &status);
        char text[128];
        int n = snprintf(text, sizeof text, "recovered by %s from %d", PLUGIN_NAME, (int)status);
        if (host->outcome_set_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        host->response_append_choice(response, (bifrost_str){text, (size_t)n}, BIFROST_STR("stop"));
    }
#endif
    if (host->outcome_get_response(out, &response) == BIFROST_OK) {
        host->response_set_header(response, BIFROST_STR("x-trace"), trace.string);
    } else if (host->outcome_get_error(out, &error) == BIFROST_OK) {
        host->error_set_header(error, BIFROST_STR("x-trace"), trace.string);
        bifrost_str retry;
        if (host->error_get_header(error, BIFROST_STR("retry-after"), &retry) == BIFROST_OK) {
            host->error_set_header(error, BIFROST_STR("x-retry-seen"), retry);
        }
    }
    return BIFROST_ACTION_CONTINUE;
}
#endif

static void destroy(void *instance) { (void)instance; }

static bifrost_plugin table;

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *h, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)token; (void)config; (void)config_len;
    host = h;
    table.struct_size = sizeof table;
    table.abi_major = BIFROST_ABI_VERSION_MAJOR;
    table.abi_minor = BIFROST_ABI_VERSION_MINOR;
    table.name = PLUGIN_NAME;
    table.version = "0.1.0";
#ifdef FAIL_OPEN
    table.flags = BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT;
#endif
#ifndef NO_PRE
    table.pre_hook = pre_hook;
#endif
#ifndef NO_POST
    table.post_hook = post_hook;
#endif
    table.destroy = destroy;
    table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT; /* it reads a message */
    return &table;
}
