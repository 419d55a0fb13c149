/*
 * model-alias: a Bifrost plugin in plain C, built with only bifrost_plugin.h.
 *
 * Maps short model names to provider/model names before dispatch, e.g. "fast" ->
 * "mock/echo", and tells the client which alias it used in the response header
 * `x-bifrost-model-alias`.
 *
 * Configuration: {"aliases": {"fast": "mock/echo", "smart": "openai/gpt-4o"}}
 *
 * Build: cc -std=c99 -O2 -shared -fPIC -fvisibility=hidden -I PluginSDK/CBifrostPlugin/include \
 *            -o 10-model-alias.so ExamplePlugins/model-alias/model_alias.c
 */
#include <bifrost_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ALIASES 256
#define MAX_TEXT 256

typedef struct alias {
    char from[MAX_TEXT];
    size_t from_len;
    char provider[MAX_TEXT];
    size_t provider_len;
    char model[MAX_TEXT];
    size_t model_len;
} alias;

typedef struct model_alias {
    bifrost_plugin table;
    const bifrost_host_api *host;
    bifrost_plugin_token *token;
    size_t count;
    alias aliases[MAX_ALIASES];
} model_alias;

static const bifrost_str context_key = {"model-alias.from", sizeof("model-alias.from") - 1};

/* ---- a tiny JSON reader for {"aliases": {"name": "provider/model", ...}} ---------------- */

typedef struct reader {
    const char *text;
    size_t len;
    size_t pos;
    char error[256];
} reader;

static void skip_space(reader *r) {
    while (r->pos < r->len && (r->text[r->pos] == ' ' || r->text[r->pos] == '\n' || r->text[r->pos] == '\r' ||
                               r->text[r->pos] == '\t')) {
        r->pos++;
    }
}

static int fail(reader *r, const char *what) {
    if (r->error[0] == '\0') snprintf(r->error, sizeof r->error, "%s at byte %zu", what, r->pos);
    return 0;
}

static int expect(reader *r, char c) {
    skip_space(r);
    if (r->pos >= r->len || r->text[r->pos] != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return fail(r, what);
    }
    r->pos++;
    return 1;
}

/* Reads a JSON string without \u escapes into out (NUL-terminated). */
static int read_string(reader *r, char *out, size_t cap, size_t *out_len) {
    size_t n = 0;
    if (!expect(r, '"')) return 0;
    while (r->pos < r->len && r->text[r->pos] != '"') {
        char c = r->text[r->pos++];
        if (c == '\\') {
            if (r->pos >= r->len) return fail(r, "unterminated escape");
            char e = r->text[r->pos++];
            switch (e) {
                case '"': c = '"'; break;
                case '\\': c = '\\'; break;
                case '/': c = '/'; break;
                case 'n': c = '\n'; break;
                case 't': c = '\t'; break;
                default: return fail(r, "unsupported escape in string");
            }
        }
        if (n + 1 >= cap) return fail(r, "string longer than 255 bytes");
        out[n++] = c;
    }
    if (r->pos >= r->len) return fail(r, "unterminated string");
    r->pos++;
    out[n] = '\0';
    *out_len = n;
    return 1;
}

static int read_aliases(reader *r, model_alias *plugin) {
    if (!expect(r, '{')) return 0;
    skip_space(r);
    if (r->pos < r->len && r->text[r->pos] == '}') {
        r->pos++;
        return 1;
    }
    for (;;) {
        if (plugin->count == MAX_ALIASES) return fail(r, "more than 256 aliases");
        alias *a = &plugin->aliases[plugin->count];
        char target[MAX_TEXT];
        size_t target_len = 0;
        skip_space(r);
        if (!read_string(r, a->from, sizeof a->from, &a->from_len)) return 0;
        if (a->from_len == 0) return fail(r, "empty alias name");
        if (!expect(r, ':')) return 0;
        skip_space(r);
        if (r->pos < r->len && r->text[r->pos] != '"') {
            snprintf(r->error, sizeof r->error, "aliases.%.64s: expected a \"provider/model\" string", a->from);
            return 0;
        }
        if (!read_string(r, target, sizeof target, &target_len)) return 0;
        const char *slash = memchr(target, '/', target_len);
        if (slash == NULL || slash == target || slash == target + target_len - 1) {
            snprintf(r->error, sizeof r->error, "aliases.%.64s: expected \"provider/model\", got \"%.64s\"", a->from, target);
            return 0;
        }
        a->provider_len = (size_t)(slash - target);
        memcpy(a->provider, target, a->provider_len);
        a->provider[a->provider_len] = '\0';
        a->model_len = target_len - a->provider_len - 1;
        memcpy(a->model, slash + 1, a->model_len);
        a->model[a->model_len] = '\0';
        plugin->count++;
        skip_space(r);
        if (r->pos < r->len && r->text[r->pos] == ',') {
            r->pos++;
            continue;
        }
        return expect(r, '}');
    }
}

static int read_config(reader *r, model_alias *plugin) {
    char key[MAX_TEXT];
    size_t key_len = 0;
    int saw_aliases = 0;
    if (!expect(r, '{')) return 0;
    skip_space(r);
    if (r->pos < r->len && r->text[r->pos] == '}') {
        r->pos++;
    } else {
        for (;;) {
            skip_space(r);
            if (!read_string(r, key, sizeof key, &key_len)) return 0;
            if (!expect(r, ':')) return 0;
            if (strcmp(key, "aliases") != 0) {
                snprintf(r->error, sizeof r->error, "unknown field \"%.64s\"; expected \"aliases\"", key);
                return 0;
            }
            if (!read_aliases(r, plugin)) return 0;
            saw_aliases = 1;
            skip_space(r);
            if (r->pos < r->len && r->text[r->pos] == ',') {
                r->pos++;
                continue;
            }
            if (!expect(r, '}')) return 0;
            break;
        }
    }
    skip_space(r);
    if (r->pos != r->len) return fail(r, "unexpected content after the configuration object");
    if (!saw_aliases) {
        snprintf(r->error, sizeof r->error, "missing \"aliases\": expected {\"aliases\": {\"name\": \"provider/model\"}}");
        return 0;
    }
    return 1;
}

/* ---- hooks ------------------------------------------------------------------------------ */

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    (void)out;
    model_alias *plugin = instance;
    const bifrost_host_api *host = plugin->host;
    bifrost_str provider, model;
    if (host->request_get_provider(req, &provider) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    if (host->request_get_model(req, &model) != BIFROST_OK) return BIFROST_ACTION_FAULT;
    for (size_t i = 0; i < plugin->count; i++) {
        const alias *a = &plugin->aliases[i];
        int matches;
        if (provider.len == 0) {
            matches = model.len == a->from_len && memcmp(model.ptr, a->from, a->from_len) == 0;
        } else {
            /* An alias may itself look like provider/model. */
            matches = provider.len + 1 + model.len == a->from_len && memcmp(a->from, provider.ptr, provider.len) == 0 &&
                      a->from[provider.len] == '/' && memcmp(a->from + provider.len + 1, model.ptr, model.len) == 0;
        }
        if (!matches) continue;
        bifrost_value from = {BIFROST_VALUE_STRING, 0, 0, {a->from, a->from_len}};
        if (host->context_set(ctx, context_key, &from) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        if (host->request_set_provider(req, (bifrost_str){a->provider, a->provider_len}) != BIFROST_OK)
            return BIFROST_ACTION_FAULT;
        if (host->request_set_model(req, (bifrost_str){a->model, a->model_len}) != BIFROST_OK) return BIFROST_ACTION_FAULT;
        break;
    }
    return BIFROST_ACTION_CONTINUE;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    model_alias *plugin = instance;
    const bifrost_host_api *host = plugin->host;
    bifrost_value from;
    if (host->context_get(ctx, context_key, &from) != BIFROST_OK || from.kind != BIFROST_VALUE_STRING) {
        return BIFROST_ACTION_CONTINUE;
    }
    bifrost_response *response;
    if (host->outcome_get_response(out, &response) == BIFROST_OK) {
        if (host->response_set_header(response, BIFROST_STR("x-bifrost-model-alias"), from.string) != BIFROST_OK)
            return BIFROST_ACTION_FAULT;
    }
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { free(instance); }

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    if (host == NULL || host->abi_major != BIFROST_ABI_VERSION_MAJOR) return NULL;
    model_alias *plugin = calloc(1, sizeof *plugin);
    if (plugin == NULL) {
        host->set_create_error(token, BIFROST_STR("out of memory"));
        return NULL;
    }
    reader r = {config, config_len, 0, {0}};
    if (!read_config(&r, plugin)) {
        char message[320];
        int n = snprintf(message, sizeof message, "invalid configuration: %s", r.error);
        host->set_create_error(token, (bifrost_str){message, (size_t)n});
        free(plugin);
        return NULL;
    }
    plugin->host = host;
    plugin->token = token;
    plugin->table = (bifrost_plugin){
        .struct_size = sizeof(bifrost_plugin),
        .abi_major = BIFROST_ABI_VERSION_MAJOR,
        .abi_minor = BIFROST_ABI_VERSION_MINOR,
        .name = "model-alias",
        .version = "1.0.0",
        .flags = 0,
        .instance = plugin,
        .pre_hook = pre_hook,
        .post_hook = post_hook,
        .destroy = destroy,
    };
    char line[64];
    int n = snprintf(line, sizeof line, "%zu alias(es) configured", plugin->count);
    host->log(token, BIFROST_LOG_INFO, (bifrost_str){line, (size_t)n});
    return &plugin->table;
}
