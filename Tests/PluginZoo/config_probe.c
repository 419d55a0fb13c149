/* Probes the host's parsed configuration view (ABI 1.6) from bifrost_plugin_create.
 *
 * The configuration is {"probes": [[op, node_path, path, index?], ...], "data": {...}}. Each
 * probe looks up `node_path` below "data" with config_lookup, then runs `op` on that node
 * with `path`: "string", "double", "int64", "bool", "kind", "count", "lookup" (the kind of
 * the node found), "element" (the kind of element `index`), "member" (the name of member
 * `index`), or "refuse" (config_refuse, then return NULL). Reading the probes uses the view
 * itself. The outcomes, "status:value" joined by "|", are set as the x-probe header of every
 * answer; x-late has the statuses of config_root and config_get_string called from the
 * PostHook, after create returned. */
#include <bifrost_plugin.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const bifrost_host_api *host;

/* Per instance: tests load the same library with different configurations concurrently. */
typedef struct probe_state {
    bifrost_plugin table;
    bifrost_plugin_token *token;
    const bifrost_config *root;
    char results[4096];
    size_t used;
} probe_state;

static __thread probe_state *current;

static void append(const char *text, size_t length) {
    if (current->used + length >= sizeof current->results) return;
    memcpy(current->results + current->used, text, length);
    current->used += length;
}

static void record(bifrost_status status, const char *value, size_t length) {
    char head[16];
    int n = snprintf(head, sizeof head, "%s%d:", current->used == 0 ? "" : "|", (int)status);
    append(head, (size_t)n);
    if (status == BIFROST_OK) append(value, length);
}

static bifrost_str text_of(const bifrost_config *node, const char *path) {
    bifrost_str value = {"", 0};
    host->config_get_string(node, (bifrost_str){path, strlen(path)}, &value);
    return value;
}

static int same(bifrost_str value, const char *literal) {
    return value.len == strlen(literal) && memcmp(value.ptr, literal, value.len) == 0;
}

/* Runs one probe; returns 1 when it refused. */
static int probe(bifrost_plugin_token *token, const bifrost_config *entry, const bifrost_config *data) {
    bifrost_str op = text_of(entry, "[0]"), node_path = text_of(entry, "[1]"), path = text_of(entry, "[2]");
    int64_t index = 0;
    host->config_get_int64(entry, BIFROST_STR("[3]"), &index);
    const bifrost_config *node = NULL;
    bifrost_status status = host->config_lookup(data, node_path, &node);
    if (status != BIFROST_OK) {
        record(status, "", 0);
        return 0;
    }
    char buffer[64];
    int n = 0;
    if (same(op, "string")) {
        bifrost_str value;
        status = host->config_get_string(node, path, &value);
        record(status, value.ptr, status == BIFROST_OK ? value.len : 0);
        return 0;
    }
    if (same(op, "double")) {
        double value = 0;
        status = host->config_get_double(node, path, &value);
        n = snprintf(buffer, sizeof buffer, "%.17g", value);
    } else if (same(op, "int64")) {
        int64_t value = 0;
        status = host->config_get_int64(node, path, &value);
        n = snprintf(buffer, sizeof buffer, "%" PRId64, value);
    } else if (same(op, "bool")) {
        int32_t value = 0;
        status = host->config_get_bool(node, path, &value);
        n = snprintf(buffer, sizeof buffer, "%d", (int)value);
    } else if (same(op, "kind")) {
        bifrost_config_kind kind = -1;
        status = host->config_kind(node, path, &kind);
        n = snprintf(buffer, sizeof buffer, "%d", (int)kind);
    } else if (same(op, "count")) {
        size_t count = 0;
        status = host->config_count(node, path, &count);
        n = snprintf(buffer, sizeof buffer, "%zu", count);
    } else if (same(op, "lookup") || same(op, "element")) {
        const bifrost_config *found = NULL;
        status = same(op, "lookup") ? host->config_lookup(node, path, &found)
                                    : host->config_element(node, path, (size_t)index, &found);
        bifrost_config_kind kind = -1;
        if (status == BIFROST_OK) status = host->config_kind(found, BIFROST_STR(""), &kind);
        n = snprintf(buffer, sizeof buffer, "%d", (int)kind);
    } else if (same(op, "member")) {
        bifrost_str name = {"", 0};
        const bifrost_config *value = NULL;
        status = host->config_member(node, path, (size_t)index, &name, &value);
        record(status, name.ptr, status == BIFROST_OK ? name.len : 0);
        return 0;
    } else if (same(op, "refuse")) {
        status = host->config_refuse(token, node, path, BIFROST_STR("not a model this plugin knows"));
        if (status == BIFROST_OK) return 1;
    } else {
        status = -1;
    }
    record(status, buffer, (size_t)(n > 0 ? n : 0));
    return 0;
}

static bifrost_hook_action post_hook(void *instance, bifrost_context *ctx, bifrost_outcome *out) {
    (void)ctx;
    probe_state *self = instance;
    bifrost_response *response = NULL;
    if (host->outcome_get_response(out, &response) != BIFROST_OK) return BIFROST_ACTION_CONTINUE;
    host->response_set_header(response, BIFROST_STR("x-probe"), (bifrost_str){self->results, self->used});
    const bifrost_config *root = NULL;
    bifrost_status late_root = host->config_root(self->token, &root);
    bifrost_str value;
    bifrost_status late_read = host->config_get_string(self->root, BIFROST_STR("data"), &value);
    char late[32];
    int n = snprintf(late, sizeof late, "%d,%d", (int)late_root, (int)late_read);
    host->response_set_header(response, BIFROST_STR("x-late"), (bifrost_str){late, (size_t)n});
    return BIFROST_ACTION_CONTINUE;
}

static void destroy(void *instance) { free(instance); }

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *api, bifrost_plugin_token *token, const char *config, size_t config_len) {
    (void)config; (void)config_len;
    host = api;
    const bifrost_config *root = NULL;
    if (api->config_root(token, &root) != BIFROST_OK) {
        api->set_create_error(token, BIFROST_STR("config_root failed"));
        return NULL;
    }
    probe_state *self = calloc(1, sizeof *self);
    if (self == NULL) return NULL;
    self->token = token;
    self->root = root;
    /* Only read during this create call, on its thread. */
    current = self;
    const bifrost_config *data = NULL;
    api->config_lookup(root, BIFROST_STR("data"), &data);
    size_t count = 0;
    api->config_count(root, BIFROST_STR("probes"), &count);
    for (size_t i = 0; i < count; i++) {
        const bifrost_config *entry = NULL;
        api->config_element(root, BIFROST_STR("probes"), i, &entry);
        if (probe(token, entry, data)) {
            free(self);
            return NULL;
        }
    }
    self->table = (bifrost_plugin){sizeof self->table, BIFROST_ABI_VERSION_MAJOR, BIFROST_ABI_VERSION_MINOR,
                                   "config-probe", "1.0", 0, self, NULL, post_hook, destroy, NULL, NULL, NULL, 0, 0};
    return &self->table;
}
