/*
 * governance: virtual keys for teams, in plain C on the host services of ABI 1.7.
 *
 * Each client key (by its keyed client id, `bifrost client-id` prints it; the key itself is
 * never configured, stored or logged) belongs to a team; a team has the models it may use, a
 * request rate and a token budget per period, counted in the gateway's state, which replicas on
 * one Redis share. Answers:
 *  - 401 `authentication_error` without a key, or with a key no team has;
 *  - 403 `permission_error` for a model the team may not use;
 *  - 429 `rate_limit_exceeded` over the team's requests per minute, or once its budget is spent;
 * each message names the team and the rule, and says what is left. Every answer of a known key
 * carries `x-bifrost-team` and `x-bifrost-budget-remaining`.
 *
 * Configuration:
 *   {"teams": {"search": {"models": ["mock/echo", "openai/gpt-4o-mini"], "requests_per_minute": 600,
 *                         "token_budget": 1000000, "budget_period_s": 86400}},
 *    "keys": {"key:3f0c9a1b2c4d5e6f": "search"}}
 * A model pattern ending in '*' matches any rest ("mock/" followed by '*' matches every mock model).
 *
 * Build: cc -std=c99 -O2 -shared -fPIC -fvisibility=hidden -I PluginSDK/CBifrostPlugin/include \
 *            -o governance.so ExamplePlugins/governance/governance.c
 */
#include <bifrost_plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TEAMS 64
#define MAX_MODELS 16
#define MAX_KEYS 1024
#define MAX_TEXT 128

typedef struct team {
    char name[MAX_TEXT];
    char models[MAX_MODELS][MAX_TEXT];
    size_t model_count;
    int64_t requests_per_minute; /* 0: no limit */
    int64_t token_budget;        /* 0: no budget */
    int64_t budget_period_ms;
} team;

typedef struct client_key {
    char id[MAX_TEXT];
    size_t team;
} client_key;

typedef struct governance {
    bifrost_plugin table;
    const bifrost_host_api *host;
    size_t team_count;
    team teams[MAX_TEAMS];
    size_t key_count;
    client_key keys[MAX_KEYS];
} governance;

static const bifrost_str team_key = {"governance.team", sizeof("governance.team") - 1};

/* ---- configuration ------------------------------------------------------------------ */

static int copy_text(char *out, bifrost_str text) {
    if (text.len >= MAX_TEXT) return 0;
    memcpy(out, text.ptr, text.len);
    out[text.len] = '\0';
    return 1;
}

static int refuse(const bifrost_host_api *host, bifrost_plugin_token *token, const bifrost_config *node, const char *path,
                  const char *message) {
    host->config_refuse(token, node, (bifrost_str){path, strlen(path)}, (bifrost_str){message, strlen(message)});
    return 0;
}

static int read_team(const bifrost_host_api *host, bifrost_plugin_token *token, const bifrost_config *node, team *out) {
    const bifrost_config *models = NULL;
    if (host->config_lookup(node, BIFROST_STR("models"), &models) != BIFROST_OK)
        return refuse(host, token, node, "models", "required: the models the team may use, e.g. [\"mock/*\"]");
    size_t count = 0;
    if (host->config_count(models, BIFROST_STR(""), &count) != BIFROST_OK || count == 0 || count > MAX_MODELS)
        return refuse(host, token, node, "models", "expected an array of 1 to 16 \"provider/model\" patterns");
    for (size_t i = 0; i < count; i++) {
        const bifrost_config *element = NULL;
        bifrost_str pattern;
        host->config_element(models, BIFROST_STR(""), i, &element);
        if (host->config_get_string(element, BIFROST_STR(""), &pattern) != BIFROST_OK || pattern.len == 0 ||
            !copy_text(out->models[i], pattern))
            return refuse(host, token, node, "models", "each entry is a \"provider/model\" pattern (a trailing * matches any rest)");
    }
    out->model_count = count;
    out->requests_per_minute = 0;
    out->token_budget = 0;
    out->budget_period_ms = 86400000;
    bifrost_status status = host->config_get_int64(node, BIFROST_STR("requests_per_minute"), &out->requests_per_minute);
    if ((status != BIFROST_OK && status != BIFROST_ERR_NOT_FOUND) || out->requests_per_minute < 0)
        return refuse(host, token, node, "requests_per_minute", "expected a whole number >= 0 (0: no limit)");
    status = host->config_get_int64(node, BIFROST_STR("token_budget"), &out->token_budget);
    if ((status != BIFROST_OK && status != BIFROST_ERR_NOT_FOUND) || out->token_budget < 0)
        return refuse(host, token, node, "token_budget", "expected a whole number of tokens >= 0 (0: no budget)");
    int64_t period = 86400;
    status = host->config_get_int64(node, BIFROST_STR("budget_period_s"), &period);
    if ((status != BIFROST_OK && status != BIFROST_ERR_NOT_FOUND) || period < 1 || period > 366 * 86400)
        return refuse(host, token, node, "budget_period_s", "expected seconds from 1 to 31622400");
    out->budget_period_ms = period * 1000;
    return 1;
}

static int read_config(const bifrost_host_api *host, bifrost_plugin_token *token, governance *plugin) {
    const bifrost_config *root = NULL, *teams = NULL, *keys = NULL;
    host->config_root(token, &root);
    if (host->config_lookup(root, BIFROST_STR("teams"), &teams) != BIFROST_OK)
        return refuse(host, token, root, "teams", "required: {\"team\": {\"models\": [...], ...}}");
    size_t count = 0;
    if (host->config_count(teams, BIFROST_STR(""), &count) != BIFROST_OK || count == 0 || count > MAX_TEAMS)
        return refuse(host, token, root, "teams", "expected an object of 1 to 64 teams");
    for (size_t i = 0; i < count; i++) {
        bifrost_str name;
        const bifrost_config *value = NULL;
        host->config_member(teams, BIFROST_STR(""), i, &name, &value);
        if (!copy_text(plugin->teams[i].name, name)) return refuse(host, token, teams, "", "a team name is at most 127 bytes");
        if (!read_team(host, token, value, &plugin->teams[i])) return 0;
    }
    plugin->team_count = count;
    if (host->config_lookup(root, BIFROST_STR("keys"), &keys) != BIFROST_OK)
        return refuse(host, token, root, "keys", "required: {\"key:<client id>\": \"team\"} (bifrost client-id prints ids)");
    if (host->config_count(keys, BIFROST_STR(""), &count) != BIFROST_OK || count > MAX_KEYS)
        return refuse(host, token, root, "keys", "expected an object of at most 1024 client ids");
    for (size_t i = 0; i < count; i++) {
        bifrost_str id, team_name;
        const bifrost_config *value = NULL;
        host->config_member(keys, BIFROST_STR(""), i, &id, &value);
        if (id.len < 5 || memcmp(id.ptr, "key:", 4) != 0 || !copy_text(plugin->keys[i].id, id))
            return refuse(host, token, keys, "", "each name is a client id \"key:...\" as `bifrost client-id` prints it");
        if (host->config_get_string(value, BIFROST_STR(""), &team_name) != BIFROST_OK)
            return refuse(host, token, keys, "", "each client id maps to a team's name");
        size_t found = plugin->team_count;
        for (size_t t = 0; t < plugin->team_count; t++) {
            if (strlen(plugin->teams[t].name) == team_name.len && memcmp(plugin->teams[t].name, team_name.ptr, team_name.len) == 0)
                found = t;
        }
        if (found == plugin->team_count) return refuse(host, token, keys, "", "a client id maps to a team that is not in teams");
        plugin->keys[i].team = found;
    }
    plugin->key_count = count;
    return 1;
}

/* ---- hooks -------------------------------------------------------------------------- */

static bifrost_hook_action reject(const bifrost_host_api *host, bifrost_outcome *out, int32_t status, const char *type,
                                  const char *message) {
    bifrost_error *error;
    host->outcome_set_error(out, status, (bifrost_str){type, strlen(type)}, (bifrost_str){message, strlen(message)}, &error);
    return BIFROST_ACTION_SHORT_CIRCUIT;
}

static int model_allowed(const team *t, const char *model) {
    for (size_t i = 0; i < t->model_count; i++) {
        size_t len = strlen(t->models[i]);
        if (len > 0 && t->models[i][len - 1] == '*') {
            if (strncmp(t->models[i], model, len - 1) == 0) return 1;
        } else if (strcmp(t->models[i], model) == 0) {
            return 1;
        }
    }
    return 0;
}

static bifrost_hook_action pre_hook(void *instance, bifrost_context *ctx, bifrost_request *req, bifrost_outcome *out) {
    governance *plugin = instance;
    const bifrost_host_api *host = plugin->host;
    bifrost_str client;
    if (host->context_client_id(ctx, &client) != BIFROST_OK || client.len < 5 || memcmp(client.ptr, "key:", 4) != 0)
        return reject(host, out, 401, "authentication_error",
                      "governance: a client key is required (Authorization: Bearer <key> or x-api-key)");
    const team *t = NULL;
    size_t team_index = 0;
    for (size_t i = 0; i < plugin->key_count; i++) {
        if (strlen(plugin->keys[i].id) == client.len && memcmp(plugin->keys[i].id, client.ptr, client.len) == 0) {
            team_index = plugin->keys[i].team;
            t = &plugin->teams[team_index];
        }
    }
    if (t == NULL) return reject(host, out, 401, "authentication_error", "governance: this client key belongs to no team");
    host->context_set_response_header(ctx, BIFROST_STR("x-bifrost-team"), (bifrost_str){t->name, strlen(t->name)});

    bifrost_str provider, model;
    host->request_get_provider(req, &provider);
    host->request_get_model(req, &model);
    char full[2 * MAX_TEXT + 2];
    snprintf(full, sizeof full, "%.*s%s%.*s", (int)(provider.len < MAX_TEXT ? provider.len : MAX_TEXT), provider.ptr,
             provider.len ? "/" : "", (int)(model.len < MAX_TEXT ? model.len : MAX_TEXT), model.ptr);
    if (!model_allowed(t, full)) {
        char message[512];
        snprintf(message, sizeof message, "governance: team '%s' may not use the model '%s' (rule: teams.%s.models)", t->name,
                 full, t->name);
        return reject(host, out, 403, "permission_error", message);
    }

    char request_key[MAX_TEXT + 8], token_key[MAX_TEXT + 8];
    snprintf(request_key, sizeof request_key, "req:%s", t->name);
    snprintf(token_key, sizeof token_key, "tok:%s", t->name);
    int pending = 0;
    int64_t requests = 0, tokens = 0;
    uint64_t requests_reset = 0, tokens_reset = 0;
    if (t->requests_per_minute > 0) {
        bifrost_status status = host->state_counter_add(ctx, (bifrost_str){request_key, strlen(request_key)}, 1, 60000,
                                                        &requests, &requests_reset);
        if (status == BIFROST_PENDING) pending = 1;
        else if (status != BIFROST_OK) return BIFROST_ACTION_FAULT;
    }
    if (t->token_budget > 0) {
        bifrost_status status = host->state_counter_add(ctx, (bifrost_str){token_key, strlen(token_key)}, 0,
                                                        (uint64_t)t->budget_period_ms, &tokens, &tokens_reset);
        if (status == BIFROST_PENDING) pending = 1;
        else if (status != BIFROST_OK) return BIFROST_ACTION_FAULT;
    }
    if (pending) return BIFROST_ACTION_PENDING;

    if (t->token_budget > 0) {
        int64_t left = t->token_budget - tokens;
        if (left < 0) left = 0;
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)left);
        host->context_set_response_header(ctx, BIFROST_STR("x-bifrost-budget-remaining"), (bifrost_str){text, strlen(text)});
        if (left == 0) {
            char message[512];
            snprintf(message, sizeof message,
                     "governance: team '%s' has spent its budget of %lld tokens per %lld s (rule: teams.%s.token_budget); "
                     "0 left, it renews in %llu s",
                     t->name, (long long)t->token_budget, (long long)(t->budget_period_ms / 1000), t->name,
                     (unsigned long long)((tokens_reset + 999) / 1000));
            return reject(host, out, 429, "rate_limit_exceeded", message);
        }
    }
    if (t->requests_per_minute > 0 && requests > t->requests_per_minute) {
        char message[512];
        snprintf(message, sizeof message,
                 "governance: team '%s' is over its %lld requests per minute (rule: teams.%s.requests_per_minute); "
                 "retry in %llu s",
                 t->name, (long long)t->requests_per_minute, t->name, (unsigned long long)((requests_reset + 999) / 1000));
        return reject(host, out, 429, "rate_limit_exceeded", message);
    }
    bifrost_value value = {BIFROST_VALUE_NUMBER, 0, (double)team_index, {0}};
    host->context_set(ctx, team_key, &value);
    return BIFROST_ACTION_CONTINUE;
}

/* Charges the answer's tokens (a cut-short stream's too) to the team's budget: a write. */
static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    governance *plugin = instance;
    const bifrost_host_api *host = plugin->host;
    bifrost_value value;
    if (host->context_get(ctx, team_key, &value) != BIFROST_OK || value.kind != BIFROST_VALUE_NUMBER) return BIFROST_ACTION_CONTINUE;
    size_t index = (size_t)value.number;
    if (index >= plugin->team_count || plugin->teams[index].token_budget == 0) return BIFROST_ACTION_CONTINUE;
    bifrost_response *response;
    bifrost_usage usage;
    if (host->outcome_get_response(out, &response) != BIFROST_OK || host->response_get_usage(response, &usage) != BIFROST_OK ||
        usage.total_tokens <= 0)
        return BIFROST_ACTION_CONTINUE;
    char key[MAX_TEXT + 8];
    snprintf(key, sizeof key, "tok:%s", plugin->teams[index].name);
    if (host->state_counter_add(ctx, (bifrost_str){key, strlen(key)}, usage.total_tokens,
                                (uint64_t)plugin->teams[index].budget_period_ms, NULL, NULL) != BIFROST_OK)
        return BIFROST_ACTION_FAULT;
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { free(instance); }

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config; (void)config_len;
    if (host->abi_major != BIFROST_ABI_VERSION_MAJOR || host->abi_minor < 7) {
        host->set_create_error(token, BIFROST_STR("governance needs a host of plugin ABI 1.7 or later (state counters)"));
        return NULL;
    }
    governance *plugin = calloc(1, sizeof *plugin);
    if (plugin == NULL) {
        host->set_create_error(token, BIFROST_STR("out of memory"));
        return NULL;
    }
    plugin->host = host;
    if (!read_config(host, token, plugin)) {
        free(plugin);
        return NULL;
    }
    plugin->table = (bifrost_plugin){sizeof plugin->table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR,
                                     "governance", "1.0.0", 0, plugin, pre_hook, post_hook, destroy, NULL, NULL, NULL, 0, 0};
    return &plugin->table;
}
