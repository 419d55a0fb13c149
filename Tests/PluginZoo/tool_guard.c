/* A tool-call guardrail (ABI 1.3) for the tool-call accessor tests. Configuration:
 *   {"deny": ["delete_file", ...]}  tool names the PostHook removes from every choice
 *   {"misuse": "ACCESSOR:KIND"}     the hook that owns ACCESSOR calls it wrongly once and
 *                                   records the status in "tool_guard.status": KIND is
 *                                   "range" (the choice or message index is (size_t)-1),
 *                                   "range2" (the call index is the count), "null" (an
 *                                   out-pointer is NULL) or "size" (struct_size 0)
 * Context values it writes (numbers unless said):
 *   PreHook   "tool_guard.request" (string): "m<i>:<id>:<name>:<arguments>;" per call of a
 *             request message, "m<i><-<id>;" per tool result; the table facts below
 *   PostHook  "tool_guard.removed" (string): "c<i>:<name>;" per call removed, last first;
 *             "tool_guard.remaining", "tool_guard.finish" (string, choice 0),
 *             "tool_guard.reasoning" / "tool_guard.refusal" (strings, when present),
 *             "tool_guard.cached", "tool_guard.cache_creation", "tool_guard.reasoning_tokens",
 *             "tool_guard.partial_ok" (bool: a struct_size covering one field got one field)
 *   ChunkHook "tool_guard.pieces", "tool_guard.reasoning_bytes",
 *             "tool_guard.stream_argument_bytes", "tool_guard.stream_calls" (string:
 *             "i<index>:<id>:<name>;" per call's first piece), "tool_guard.stream_cached",
 *             "tool_guard.stream_reasoning_tokens"
 * Built against a 1.2 header it uses no 1.3 service and only records the table facts:
 * "tool_guard.plugin_minor", "tool_guard.compiled_host_size" (its sizeof(bifrost_host_api)),
 * "tool_guard.host_minor", "tool_guard.host_struct_size". Built against 1.3 it checks the
 * host's struct_size before using a 1.3 service ("tool_guard.host_too_old": true if short). */
#include <bifrost_plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DENIED 16
#define NAME_LEN 64

typedef struct tool_guard {
    bifrost_plugin table;
    char denied[MAX_DENIED][NAME_LEN];
    size_t denied_count;
    char misuse[NAME_LEN * 2];
} tool_guard;

static const bifrost_host_api *host;

/* --- context helpers ------------------------------------------------------------- */

static bifrost_str str_of(const char *text) { return (bifrost_str){text, strlen(text)}; }

static void set_number(bifrost_context *ctx, const char *key, double number) {
    bifrost_value value = {BIFROST_VALUE_NUMBER, 0, number, {"", 0}};
    host->context_set(ctx, str_of(key), &value);
}

static void add_number(bifrost_context *ctx, const char *key, double amount) {
    bifrost_value current;
    double sum = amount;
    if (host->context_get(ctx, str_of(key), &current) == BIFROST_OK && current.kind == BIFROST_VALUE_NUMBER)
        sum += current.number;
    set_number(ctx, key, sum);
}

static void record_table_facts(bifrost_context *ctx) {
    set_number(ctx, "tool_guard.plugin_minor", BIFROST_ABI_VERSION_MINOR);
    set_number(ctx, "tool_guard.compiled_host_size", (double)sizeof(bifrost_host_api));
    set_number(ctx, "tool_guard.host_minor", host->abi_minor);
    set_number(ctx, "tool_guard.host_struct_size", host->struct_size);
}

#if BIFROST_ABI_VERSION_MINOR >= 3

static void set_text(bifrost_context *ctx, const char *key, const char *text, size_t len) {
    bifrost_value value = {BIFROST_VALUE_STRING, 0, 0, {text, len}};
    host->context_set(ctx, str_of(key), &value);
}

static void append_text(bifrost_context *ctx, const char *key, const char *text, size_t len) {
    char buffer[2048];
    size_t used = 0;
    bifrost_value current;
    if (host->context_get(ctx, str_of(key), &current) == BIFROST_OK && current.kind == BIFROST_VALUE_STRING &&
        current.string.len < sizeof buffer) {
        memcpy(buffer, current.string.ptr, current.string.len);
        used = current.string.len;
    }
    if (used + len > sizeof buffer) len = sizeof buffer - used;
    memcpy(buffer + used, text, len);
    set_text(ctx, key, buffer, used + len);
}

/* Whether the host's table reaches the last 1.3 service. */
static int host_has_1_3(void) {
    return host->struct_size >= offsetof(bifrost_host_api, chunk_get_usage_details) + sizeof host->chunk_get_usage_details;
}

static int is_denied(const tool_guard *guard, bifrost_str name) {
    for (size_t i = 0; i < guard->denied_count; i++) {
        if (strlen(guard->denied[i]) == name.len && memcmp(guard->denied[i], name.ptr, name.len) == 0) return 1;
    }
    return 0;
}

/* --- misuse, one accessor per mode ------------------------------------------------ */

#define MODE(text) (strcmp(guard->misuse, text) == 0)
#define NO_MISUSE (-100)

static int misuse_request(const tool_guard *guard, bifrost_request *req) {
    bifrost_str a, b, c;
    size_t count = 0;
    if (MODE("request_message_tool_call_count:range")) return host->request_message_tool_call_count(req, (size_t)-1, &count);
    if (MODE("request_message_tool_call_count:null")) return host->request_message_tool_call_count(req, 1, NULL);
    if (MODE("request_message_tool_call_get:range")) return host->request_message_tool_call_get(req, (size_t)-1, 0, &a, &b, &c);
    if (MODE("request_message_tool_call_get:range2")) {
        host->request_message_tool_call_count(req, 1, &count);
        return host->request_message_tool_call_get(req, 1, count, &a, &b, &c);
    }
    if (MODE("request_message_tool_call_get:null")) return host->request_message_tool_call_get(req, 1, 0, &a, &b, NULL);
    if (MODE("request_message_tool_call_id:range")) return host->request_message_tool_call_id(req, (size_t)-1, &a);
    if (MODE("request_message_tool_call_id:null")) return host->request_message_tool_call_id(req, 2, NULL);
    return NO_MISUSE;
}

static int misuse_response(const tool_guard *guard, bifrost_response *res) {
    bifrost_str a, b, c;
    size_t count = 0;
    bifrost_usage_details details = {sizeof details, 0, 0, 0};
    if (MODE("response_tool_call_count:range")) return host->response_tool_call_count(res, (size_t)-1, &count);
    if (MODE("response_tool_call_count:null")) return host->response_tool_call_count(res, 0, NULL);
    if (MODE("response_tool_call_get:range")) return host->response_tool_call_get(res, (size_t)-1, 0, &a, &b, &c);
    if (MODE("response_tool_call_get:range2")) {
        host->response_tool_call_count(res, 0, &count);
        return host->response_tool_call_get(res, 0, count, &a, &b, &c);
    }
    if (MODE("response_tool_call_get:null")) return host->response_tool_call_get(res, 0, 0, NULL, &b, &c);
    if (MODE("response_remove_tool_call:range")) return host->response_remove_tool_call(res, (size_t)-1, 0);
    if (MODE("response_remove_tool_call:range2")) {
        host->response_tool_call_count(res, 0, &count);
        return host->response_remove_tool_call(res, 0, count);
    }
    if (MODE("response_get_reasoning:range")) return host->response_get_reasoning(res, (size_t)-1, &a);
    if (MODE("response_get_reasoning:null")) return host->response_get_reasoning(res, 0, NULL);
    if (MODE("response_get_refusal:range")) return host->response_get_refusal(res, (size_t)-1, &a);
    if (MODE("response_get_refusal:null")) return host->response_get_refusal(res, 1, NULL);
    if (MODE("response_get_usage_details:null")) return host->response_get_usage_details(res, NULL);
    if (MODE("response_get_usage_details:size")) {
        details.struct_size = 0;
        return host->response_get_usage_details(res, &details);
    }
    return NO_MISUSE;
}

static int misuse_chunk(const tool_guard *guard, bifrost_chunk *chunk) {
    bifrost_str a, b, c;
    int64_t index;
    size_t count = 0;
    bifrost_usage_details details = {sizeof details, 0, 0, 0};
    if (MODE("chunk_tool_call_count:range")) return host->chunk_tool_call_count(chunk, (size_t)-1, &count);
    if (MODE("chunk_tool_call_count:null")) return host->chunk_tool_call_count(chunk, 0, NULL);
    if (MODE("chunk_tool_call_get:range")) return host->chunk_tool_call_get(chunk, (size_t)-1, 0, &index, &a, &b, &c);
    if (strncmp(guard->misuse, "chunk_tool_call_get:", 20) == 0) {
        /* The piece-index and NULL cases need a delta that has pieces. */
        if (host->chunk_tool_call_count(chunk, 0, &count) != BIFROST_OK || count == 0) return NO_MISUSE;
        if (MODE("chunk_tool_call_get:range2")) return host->chunk_tool_call_get(chunk, 0, count, &index, &a, &b, &c);
        if (MODE("chunk_tool_call_get:null")) return host->chunk_tool_call_get(chunk, 0, 0, NULL, &a, &b, &c);
    }
    if (MODE("chunk_get_reasoning:range")) return host->chunk_get_reasoning(chunk, (size_t)-1, &a);
    if (MODE("chunk_get_reasoning:null")) return host->chunk_get_reasoning(chunk, 0, NULL);
    if (MODE("chunk_get_usage_details:null")) return host->chunk_get_usage_details(chunk, NULL);
    if (MODE("chunk_get_usage_details:size")) {
        details.struct_size = 0;
        return host->chunk_get_usage_details(chunk, &details);
    }
    return NO_MISUSE;
}

/* --- hooks ------------------------------------------------------------------------ */

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)out;
    const tool_guard *guard = instance;
    record_table_facts(ctx);
    if (!host_has_1_3()) {
        bifrost_value yes = {BIFROST_VALUE_BOOL, 1, 0, {"", 0}};
        host->context_set(ctx, BIFROST_STR("tool_guard.host_too_old"), &yes);
        return BIFROST_ACTION_CONTINUE;
    }
    int status = misuse_request(guard, req);
    if (status != NO_MISUSE) {
        set_number(ctx, "tool_guard.status", status);
        return BIFROST_ACTION_CONTINUE;
    }
    size_t messages = 0;
    if (host->request_message_count(req, &messages) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    set_text(ctx, "tool_guard.request", "", 0);
    for (size_t m = 0; m < messages; m++) {
        char line[512];
        size_t calls = 0;
        if (host->request_message_tool_call_count(req, m, &calls) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        for (size_t k = 0; k < calls; k++) {
            bifrost_str id, name, arguments;
            if (host->request_message_tool_call_get(req, m, k, &id, &name, &arguments) != BIFROST_OK)
                return BIFROST_ACTION_FAULT;
            int n = snprintf(line, sizeof line, "m%zu:%.*s:%.*s:%.*s;", m, (int)id.len, id.ptr, (int)name.len, name.ptr,
                             (int)arguments.len, arguments.ptr);
            append_text(ctx, "tool_guard.request", line, (size_t)n);
        }
        bifrost_str answered;
        bifrost_status found = host->request_message_tool_call_id(req, m, &answered);
        if (found == BIFROST_OK) {
            int n = snprintf(line, sizeof line, "m%zu<-%.*s;", m, (int)answered.len, answered.ptr);
            append_text(ctx, "tool_guard.request", line, (size_t)n);
        } else if (found != BIFROST_ERR_NOT_FOUND) {
            return BIFROST_ACTION_FAULT;
        }
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    const tool_guard *guard = instance;
    bifrost_response *response;
    if (!host_has_1_3() || host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    int status = misuse_response(guard, response);
    if (status != NO_MISUSE) {
        set_number(ctx, "tool_guard.status", status);
        return BIFROST_ACTION_CONTINUE;
    }
    size_t choices = 0, remaining = 0;
    if (host->response_choice_count(response, &choices) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    set_text(ctx, "tool_guard.removed", "", 0);
    for (size_t c = 0; c < choices; c++) {
        size_t calls = 0;
        if (host->response_tool_call_count(response, c, &calls) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        /* From the last call down, so the positions still to visit do not move. */
        for (size_t k = calls; k-- > 0;) {
            bifrost_str id, name, arguments;
            if (host->response_tool_call_get(response, c, k, &id, &name, &arguments) != BIFROST_OK)
                return BIFROST_ACTION_FAULT;
            if (!is_denied(guard, name)) continue;
            char line[128];
            int n = snprintf(line, sizeof line, "c%zu:%.*s;", c, (int)name.len, name.ptr);
            if (host->response_remove_tool_call(response, c, k) != BIFROST_OK) return BIFROST_ACTION_FAULT;
            append_text(ctx, "tool_guard.removed", line, (size_t)n);
        }
        if (host->response_tool_call_count(response, c, &calls) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        remaining += calls;
        bifrost_str refusal;
        if (host->response_get_refusal(response, c, &refusal) == BIFROST_OK) {
            char line[256];
            int n = snprintf(line, sizeof line, "c%zu:%.*s", c, (int)refusal.len, refusal.ptr);
            set_text(ctx, "tool_guard.refusal", line, (size_t)n);
        }
    }
    set_number(ctx, "tool_guard.remaining", (double)remaining);
    bifrost_str text;
    if (choices > 0 && host->response_get_finish_reason(response, 0, &text) == BIFROST_OK)
        set_text(ctx, "tool_guard.finish", text.ptr, text.len);
    if (choices > 0 && host->response_get_reasoning(response, 0, &text) == BIFROST_OK)
        set_text(ctx, "tool_guard.reasoning", text.ptr, text.len);

    bifrost_usage_details details = {sizeof details, 0, 0, 0};
    if (host->response_get_usage_details(response, &details) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    set_number(ctx, "tool_guard.cached", (double)details.cached_prompt_tokens);
    set_number(ctx, "tool_guard.cache_creation", (double)details.cache_creation_prompt_tokens);
    set_number(ctx, "tool_guard.reasoning_tokens", (double)details.reasoning_tokens);

    /* A plugin whose struct ends after the first count gets that count and nothing past it. */
    bifrost_usage_details partial = {0, 7, 7, 7};
    partial.struct_size = offsetof(bifrost_usage_details, cached_prompt_tokens) + sizeof partial.cached_prompt_tokens;
    if (host->response_get_usage_details(response, &partial) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    bifrost_value ok = {BIFROST_VALUE_BOOL, 0, 0, {"", 0}};
    ok.boolean = partial.cached_prompt_tokens == details.cached_prompt_tokens && partial.cache_creation_prompt_tokens == 7 &&
                 partial.reasoning_tokens == 7;
    host->context_set(ctx, BIFROST_STR("tool_guard.partial_ok"), &ok);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action chunk_hook(void *instance, bifrost_context *ctx, bifrost_chunk *chunk, bifrost_outcome *out) {
    (void)out;
    const tool_guard *guard = instance;
    if (!host_has_1_3()) return BIFROST_ACTION_CONTINUE;
    int status = misuse_chunk(guard, chunk);
    if (status != NO_MISUSE) {
        set_number(ctx, "tool_guard.status", status);
        return BIFROST_ACTION_CONTINUE;
    }
    size_t choices = 0;
    if (host->chunk_choice_count(chunk, &choices) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    for (size_t c = 0; c < choices; c++) {
        size_t pieces = 0;
        if (host->chunk_tool_call_count(chunk, c, &pieces) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        if (pieces > 0) add_number(ctx, "tool_guard.pieces", (double)pieces);
        for (size_t p = 0; p < pieces; p++) {
            int64_t index = -1;
            bifrost_str id, name, arguments;
            if (host->chunk_tool_call_get(chunk, c, p, &index, &id, &name, &arguments) != BIFROST_OK)
                return BIFROST_ACTION_FAULT;
            add_number(ctx, "tool_guard.stream_argument_bytes", (double)arguments.len);
            if (id.len > 0) {
                char line[256];
                int n = snprintf(line, sizeof line, "i%lld:%.*s:%.*s;", (long long)index, (int)id.len, id.ptr,
                                 (int)name.len, name.ptr);
                append_text(ctx, "tool_guard.stream_calls", line, (size_t)n);
            }
        }
        bifrost_str reasoning;
        bifrost_status found = host->chunk_get_reasoning(chunk, c, &reasoning);
        if (found == BIFROST_OK) add_number(ctx, "tool_guard.reasoning_bytes", (double)reasoning.len);
        else if (found != BIFROST_ERR_NOT_FOUND) return BIFROST_ACTION_FAULT;
    }
    bifrost_usage_details details = {sizeof details, 0, 0, 0};
    bifrost_status found = host->chunk_get_usage_details(chunk, &details);
    if (found == BIFROST_OK) {
        set_number(ctx, "tool_guard.stream_cached", (double)details.cached_prompt_tokens);
        set_number(ctx, "tool_guard.stream_reasoning_tokens", (double)details.reasoning_tokens);
    } else if (found != BIFROST_ERR_NOT_FOUND) {
        return BIFROST_ACTION_FAULT;
    }
    return BIFROST_ACTION_CONTINUE;
}

#else /* built against a 1.2 header: no 1.3 service exists for this plugin */

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)instance; (void)req; (void)out;
    record_table_facts(ctx);
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)instance; (void)ctx;
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    size_t choices = 0;
    if (host->response_choice_count(response, &choices) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    char text[32];
    int n = snprintf(text, sizeof text, "%zu", choices);
    host->response_set_header(response, BIFROST_STR("x-tool-guard-choices"), (bifrost_str){text, (size_t)n});
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action chunk_hook(void *instance, bifrost_context *ctx, bifrost_chunk *chunk, bifrost_outcome *out) {
    (void)instance; (void)out;
    size_t choices = 0;
    if (host->chunk_choice_count(chunk, &choices) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    add_number(ctx, "tool_guard.chunks", 1);
    return BIFROST_ACTION_CONTINUE;
}

#endif

/* --- configuration ---------------------------------------------------------------- */

/* Copies the JSON string starting at `p` (just after its opening quote) into `into`;
 * returns the position after the closing quote. No escapes: the tests' names have none. */
static const char *copy_string(const char *p, char *into, size_t capacity) {
    size_t n = 0;
    while (*p && *p != '"') {
        if (n + 1 < capacity) into[n++] = *p;
        p++;
    }
    into[n] = 0;
    return *p == '"' ? p + 1 : p;
}

static void parse_config(tool_guard *guard, const char *config) {
    const char *deny = strstr(config, "\"deny\"");
    if (deny && (deny = strchr(deny, '['))) {
        const char *end = strchr(deny, ']');
        for (const char *p = deny; end && p < end && guard->denied_count < MAX_DENIED;) {
            const char *quote = strchr(p, '"');
            if (!quote || quote > end) break;
            p = copy_string(quote + 1, guard->denied[guard->denied_count++], NAME_LEN);
        }
    }
    const char *misuse = strstr(config, "\"misuse\"");
    if (misuse && (misuse = strchr(misuse + 8, '"'))) copy_string(misuse + 1, guard->misuse, sizeof guard->misuse);
}

static void destroy(void *instance) { free(instance); }

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *h, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config_len;
    if (h->abi_major != BIFROST_ABI_VERSION_MAJOR) return NULL;
    host = h;
    tool_guard *guard = calloc(1, sizeof *guard);
    if (!guard) {
        host->set_create_error(token, BIFROST_STR("out of memory"));
        return NULL;
    }
    parse_config(guard, config);
    guard->table.struct_size = sizeof guard->table;
    guard->table.abi_major = BIFROST_ABI_VERSION_MAJOR;
    guard->table.abi_minor = BIFROST_ABI_VERSION_MINOR;
    guard->table.name = "tool-guard";
    guard->table.version = "1.3.0";
    guard->table.instance = guard;
    guard->table.pre_hook = pre_hook;
    guard->table.post_hook = post_hook;
    guard->table.destroy = destroy;
    guard->table.chunk_hook = chunk_hook;
#if BIFROST_ABI_VERSION_MINOR >= 6
    /* Tool calls, and reasoning and refusals (message content). */
    guard->table.capabilities = BIFROST_CAPABILITY_MESSAGE_CONTENT | BIFROST_CAPABILITY_TOOL_CALLS;
#endif
    return &guard->table;
}
