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

/* ---- configuration, read through the host's parsed view (ABI 1.6) ---------------------- */

/* Copies a borrowed string into a fixed buffer; 0 when it does not fit. */
static int copy_text(char *out, size_t *out_len, const char *text, size_t len) {
    if (len >= MAX_TEXT) return 0;
    memcpy(out, text, len);
    out[len] = '\0';
    *out_len = len;
    return 1;
}

/* Reads {"aliases": {"name": "provider/model", ...}}; on a bad field, refuses it with
 * config_refuse (the host's message names the field's path) and returns 0. */
static int read_config(const bifrost_host_api *host, bifrost_plugin_token *token, model_alias *plugin) {
    const bifrost_config *root = NULL;
    if (host->config_root(token, &root) != BIFROST_OK) {
        host->set_create_error(token, BIFROST_STR("the host has no parsed configuration"));
        return 0;
    }
    size_t fields = 0;
    if (host->config_count(root, BIFROST_STR(""), &fields) != BIFROST_OK) {
        host->config_refuse(token, root, BIFROST_STR(""), BIFROST_STR("expected an object with \"aliases\""));
        return 0;
    }
    for (size_t i = 0; i < fields; i++) {
        bifrost_str name;
        const bifrost_config *value = NULL;
        host->config_member(root, BIFROST_STR(""), i, &name, &value);
        if (name.len != 7 || memcmp(name.ptr, "aliases", 7) != 0) {
            /* Refusing the member's value lets the host write its path, quoting the name if need be. */
            host->config_refuse(token, value, BIFROST_STR(""), BIFROST_STR("unknown field; expected \"aliases\""));
            return 0;
        }
    }
    const bifrost_config *aliases = NULL;
    bifrost_config_kind kind = BIFROST_CONFIG_NULL;
    bifrost_status status = host->config_lookup(root, BIFROST_STR("aliases"), &aliases);
    if (status == BIFROST_OK) host->config_kind(aliases, BIFROST_STR(""), &kind);
    if (status != BIFROST_OK || kind != BIFROST_CONFIG_OBJECT) {
        host->config_refuse(token, root, BIFROST_STR("aliases"),
                            BIFROST_STR("expected an object of alias names to \"provider/model\" strings"));
        return 0;
    }
    size_t count = 0;
    host->config_count(aliases, BIFROST_STR(""), &count);
    if (count > MAX_ALIASES) {
        host->config_refuse(token, root, BIFROST_STR("aliases"), BIFROST_STR("more than 256 aliases"));
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        alias *a = &plugin->aliases[i];
        bifrost_str from, target;
        const bifrost_config *value = NULL;
        host->config_member(aliases, BIFROST_STR(""), i, &from, &value);
        if (from.len == 0 || !copy_text(a->from, &a->from_len, from.ptr, from.len)) {
            host->config_refuse(token, value, BIFROST_STR(""), BIFROST_STR("alias names are 1-255 bytes"));
            return 0;
        }
        if (host->config_get_string(value, BIFROST_STR(""), &target) != BIFROST_OK) {
            host->config_refuse(token, value, BIFROST_STR(""), BIFROST_STR("expected a \"provider/model\" string"));
            return 0;
        }
        const char *slash = memchr(target.ptr, '/', target.len);
        if (target.len >= MAX_TEXT || slash == NULL || slash == target.ptr || slash == target.ptr + target.len - 1) {
            char message[MAX_TEXT + 48];
            int n = snprintf(message, sizeof message, "expected \"provider/model\", got \"%.*s\"",
                             target.len > 64 ? 64 : (int)target.len, target.ptr);
            host->config_refuse(token, value, BIFROST_STR(""), (bifrost_str){message, (size_t)n});
            return 0;
        }
        copy_text(a->provider, &a->provider_len, target.ptr, (size_t)(slash - target.ptr));
        copy_text(a->model, &a->model_len, slash + 1, target.len - a->provider_len - 1);
        plugin->count++;
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
    (void)config; (void)config_len;
    if (host == NULL || host->abi_major != BIFROST_ABI_VERSION_MAJOR) return NULL;
    if (host->abi_minor < 6) {
        host->set_create_error(token, BIFROST_STR("needs a host of plugin ABI 1.6 or later (the parsed configuration)"));
        return NULL;
    }
    model_alias *plugin = calloc(1, sizeof *plugin);
    if (plugin == NULL) {
        host->set_create_error(token, BIFROST_STR("out of memory"));
        return NULL;
    }
    if (!read_config(host, token, plugin)) {
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
        /* Reads only the provider and model: no credentials, content or tool calls. */
        .capabilities = 0,
    };
    char line[64];
    int n = snprintf(line, sizeof line, "%zu alias(es) configured", plugin->count);
    host->log(token, BIFROST_LOG_INFO, (bifrost_str){line, (size_t)n});
    return &plugin->table;
}
