/*
 * bifrost_plugin.h — the Bifrost for Swift plugin ABI, version 1 (minor 7).
 *
 * One header, C99, no dependencies beyond <stddef.h> and <stdint.h>. A plugin is a
 * shared object exporting one symbol, `bifrost_plugin_create`:
 *
 *     BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
 *         const bifrost_host_api *host, bifrost_plugin_token *token,
 *         const char *config, size_t config_len);
 *
 * Rules (see PluginSDK/README.md for the full guide):
 *
 *  - Versions both ways. The host passes `bifrost_host_api`, led by its size and ABI
 *    version; the plugin returns `bifrost_plugin`, led by its size and the ABI version it
 *    was built against. A different major version is refused at load. Structs only grow
 *    at the end: a field exists if `struct_size` covers it. A NULL hook means "not
 *    provided" and costs nothing per request.
 *  - Opaque handles. Requests, responses, errors, outcomes and contexts are opaque; read
 *    and change them only through the host functions. A handle is valid only during the
 *    hook call that received it; touching it afterwards is a fault.
 *  - Strings cross as pointer + length (`bifrost_str`), UTF-8, not NUL-terminated. What
 *    the host hands out is borrowed until the hook returns; what a plugin passes in is
 *    copied by the host before the call returns.
 *  - Every host function returns a `bifrost_status`. Misuse (a handle used after its
 *    hook returned, an index out of range, invalid UTF-8, a NULL out-pointer) returns an
 *    error status and marks the hook as faulted. An index is a `size_t` compared, unsigned,
 *    with its count: (size_t)-1 is out of range like any other.
 *  - Hooks run concurrently for different requests: instance state must be thread-safe.
 *    Hooks must not block their thread for long.
 *  - `destroy` is called exactly once: at shutdown, or after the last request of an
 *    instance a reload retired. The host never unloads the library.
 *  - Since 1.4, a reload that replaces a plugin (a changed file or configuration) may hand
 *    the old instance's state to the new one: the old instance's `export_state` writes bytes
 *    with `state_write`, and the new instance reads them during `bifrost_plugin_create` with
 *    `get_handed_state`.
 *  - Since 1.5, a plugin may export commands (`bifrost_command`): plain C functions with a
 *    declared signature that operators call through the admin API and `bifrost plugins call`.
 *  - Since 1.6, a plugin reads its configuration through the host's parsed view
 *    (`config_root` and the `config_*` lookups) and declares the sensitive data it reads
 *    (`capabilities`); reads it did not declare return NOT_FOUND.
 *  - Since 1.7, hooks reach state that outlives a request (counters and values, in the
 *    gateway or shared by its replicas through Redis) and HTTP services (callouts) without
 *    blocking: a PreHook starts an operation, returns BIFROST_ACTION_PENDING, and is called
 *    again with the result (see `state_counter_add`).
 */
#ifndef BIFROST_PLUGIN_H
#define BIFROST_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------- */
/* Versions and export                                                                */
/* ---------------------------------------------------------------------------------- */

#define BIFROST_ABI_VERSION_MAJOR 1
#define BIFROST_ABI_VERSION_MINOR 7

/* The name of the one symbol a plugin exports. */
#define BIFROST_PLUGIN_CREATE_SYMBOL "bifrost_plugin_create"

#if defined(_WIN32)
#define BIFROST_EXPORT __declspec(dllexport)
#else
#define BIFROST_EXPORT __attribute__((visibility("default")))
#endif

/* ---------------------------------------------------------------------------------- */
/* Status codes returned by every host function                                       */
/* ---------------------------------------------------------------------------------- */

typedef int32_t bifrost_status;

#define BIFROST_OK 0
/* The key, header, parameter or field is absent. Not a fault. */
#define BIFROST_ERR_NOT_FOUND 1
/* An argument is malformed (NULL pointer, invalid UTF-8, bad value). Faults the hook. */
#define BIFROST_ERR_INVALID_ARGUMENT 2
/* The handle is not valid here (its hook has returned, or wrong kind). Faults the hook. */
#define BIFROST_ERR_INVALID_HANDLE 3
/* An index is out of range. Faults the hook. */
#define BIFROST_ERR_OUT_OF_RANGE 4
/* The operation does not apply to this state (reading a response from an error). */
#define BIFROST_ERR_WRONG_STATE 5
/* Since 1.4: more bytes than the host accepts (state_write past
 * BIFROST_HANDED_STATE_MAX_BYTES). */
#define BIFROST_ERR_TOO_LARGE 6
/* Since 1.6: a configuration value exists but has another type than the lookup asked for
 * (a string read as a number). Not a fault. */
#define BIFROST_ERR_WRONG_TYPE 7
/* Since 1.7, not an error: the host started the operation (a state read or a callout) and
 * has no result yet. Return BIFROST_ACTION_PENDING from the PreHook; the host calls it again
 * once the result is in. */
#define BIFROST_PENDING 8
/* Since 1.7: a callout's service could not be reached (refused, reset, name not found,
 * TLS failed). Not a fault. */
#define BIFROST_ERR_UNAVAILABLE 9
/* Since 1.7: a callout's service did not answer within its timeout. Not a fault. */
#define BIFROST_ERR_TIMEOUT 10

/* ---------------------------------------------------------------------------------- */
/* Values crossing the boundary                                                       */
/* ---------------------------------------------------------------------------------- */

/* A UTF-8 string as pointer + length. Not NUL-terminated. */
typedef struct bifrost_str {
    const char *ptr;
    size_t len;
} bifrost_str;

/* Since 1.4: bytes as pointer + length, any content (not text). */
typedef struct bifrost_bytes {
    const uint8_t *ptr;
    size_t len;
} bifrost_bytes;

/* Kinds of `bifrost_value`. */
typedef int32_t bifrost_value_kind;
#define BIFROST_VALUE_NULL 0
#define BIFROST_VALUE_BOOL 1
#define BIFROST_VALUE_NUMBER 2
#define BIFROST_VALUE_STRING 3
/* Any other JSON value (array, object), as JSON text in `string`. */
#define BIFROST_VALUE_JSON 4

/* A request parameter or context value. Read the member that `kind` names. */
typedef struct bifrost_value {
    bifrost_value_kind kind;
    int32_t boolean;
    double number;
    bifrost_str string;
} bifrost_value;

/* Token counts of a response. */
typedef struct bifrost_usage {
    int64_t prompt_tokens;
    int64_t completion_tokens;
    int64_t total_tokens;
} bifrost_usage;

/* Since 1.3: the details behind a response's token counts, each -1 when the provider did
 * not report it. Set `struct_size` before the call: the host writes only the fields it
 * covers, so a plugin built against an older header is never written past its struct. */
typedef struct bifrost_usage_details {
    /* sizeof(bifrost_usage_details) as the plugin was compiled. */
    uint32_t struct_size;
    /* Prompt tokens read from the provider's prompt cache (OpenAI `cached_tokens`,
     * Anthropic `cache_read_input_tokens`); prompt_tokens includes them. */
    int64_t cached_prompt_tokens;
    /* Prompt tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`). */
    int64_t cache_creation_prompt_tokens;
    /* Generated tokens spent reasoning (OpenAI `reasoning_tokens`); completion_tokens
     * includes them. */
    int64_t reasoning_tokens;
} bifrost_usage_details;

/* Since 1.2: kinds of metric. */
typedef int32_t bifrost_metric_kind;
/* Only goes up: record adds a non-negative amount. */
#define BIFROST_METRIC_COUNTER 0
/* Goes up and down: record adds (may be negative), metric_set sets. */
#define BIFROST_METRIC_GAUGE 1
/* Counts observations into buckets: record observes one value. */
#define BIFROST_METRIC_HISTOGRAM 2

/* Since 1.2: what `metric_define` creates. Names follow Prometheus:
 * [a-zA-Z_:][a-zA-Z0-9_:]* for the metric, [a-zA-Z_][a-zA-Z0-9_]* for labels (not "le",
 * not starting with "__"). Strings and arrays are borrowed for the call. */
typedef struct bifrost_metric_spec {
    /* sizeof(bifrost_metric_spec) as the plugin was compiled. */
    uint32_t struct_size;
    bifrost_metric_kind kind;
    bifrost_str name;
    bifrost_str help;
    const bifrost_str *label_names;
    size_t label_count;
    /* Histogram upper bounds, strictly ascending and finite (+Inf is implied). NULL with
     * a count of 0 gives latency buckets in seconds from 100 us to 60 s. */
    const double *buckets;
    size_t bucket_count;
} bifrost_metric_spec;

/* Log levels of `bifrost_host_api.log`. */
typedef int32_t bifrost_log_level;
#define BIFROST_LOG_DEBUG 0
#define BIFROST_LOG_INFO 1
#define BIFROST_LOG_WARNING 2
#define BIFROST_LOG_ERROR 3

/* ---------------------------------------------------------------------------------- */
/* Opaque handles                                                                     */
/* ---------------------------------------------------------------------------------- */

/* Identifies one plugin to the host (attributed logging, refusing its config). */
typedef struct bifrost_plugin_token bifrost_plugin_token;
/* The per-request key/value store and fixed facts (request id, arrival, client). */
typedef struct bifrost_context bifrost_context;
/* The chat request as a PreHook sees it. */
typedef struct bifrost_request bifrost_request;
/* What a request ends with: a response or an error. */
typedef struct bifrost_outcome bifrost_outcome;
/* A chat response inside an outcome. */
typedef struct bifrost_response bifrost_response;
/* Since 1.1: one chunk of a streamed answer. */
typedef struct bifrost_chunk bifrost_chunk;
/* An error inside an outcome. */
typedef struct bifrost_error bifrost_error;
/* Since 1.2: a metric family defined by the plugin at create time. Valid for the life of
 * the process, from any thread. */
typedef struct bifrost_metric bifrost_metric;
/* Since 1.2: one label combination of a metric family, for recording without a label
 * lookup. Valid for the life of the process, from any thread. */
typedef struct bifrost_metric_series bifrost_metric_series;
/* Since 1.4: where `export_state` writes the state it hands on. Valid only during that call. */
typedef struct bifrost_state_writer bifrost_state_writer;
/* Since 1.6: one value of the plugin's configuration as the host parsed it (the whole
 * document, or an object, array, string, number, bool or null inside it). Valid only while
 * bifrost_plugin_create runs; copy what you keep. */
typedef struct bifrost_config bifrost_config;

/* ---------------------------------------------------------------------------------- */
/* Hooks                                                                              */
/* ---------------------------------------------------------------------------------- */

/* What a hook returns. Any other value is a fault. */
typedef int32_t bifrost_hook_action;
/* Go on: the next plugin (PreHook) or the outcome as it now stands (PostHook). */
#define BIFROST_ACTION_CONTINUE 0
/* PreHook only: answer now with the outcome the hook filled in (a response through
 * `outcome_set_response`, or a rejection through `outcome_set_error`). The provider is
 * not called; later PreHooks are skipped; PostHooks of the plugins entered so far,
 * this one included, still run. */
#define BIFROST_ACTION_SHORT_CIRCUIT 1
/* The hook failed; say why first with `report_fault`. The plugin's failure policy
 * decides: fail-closed answers 500 naming the plugin, fail-open skips it. */
#define BIFROST_ACTION_FAULT 2
/* Since 1.1, ChunkHook only: do not send this chunk. */
#define BIFROST_ACTION_DROP 3
/* Since 1.2, PreHook only: call this PreHook again for the same request after the delay
 * set with `outcome_set_wait` (a rate limiter that delays instead of rejecting). The host
 * holds no thread while the request waits; one wait is capped at 60 s, and the plugin
 * bounds the total (count its own rounds in the context). */
#define BIFROST_ACTION_WAIT 4
/* Since 1.7, PreHook only: the hook started host operations that returned BIFROST_PENDING;
 * call it again for the same request once their results are in (see `state_counter_add`).
 * The host holds no thread meanwhile. Returning it without a pending operation is a fault. */
#define BIFROST_ACTION_PENDING 5

/* Runs before the provider, in chain order. `outcome` is empty; fill it only to
 * short-circuit. */
typedef bifrost_hook_action (*bifrost_pre_hook_fn)(
    void *instance, bifrost_context *context, bifrost_request *request, bifrost_outcome *outcome);

/* Runs after the provider (or a short-circuit), in reverse chain order, only for plugins
 * whose PreHook ran. May change the response, recover an error into a response, or turn
 * a response into an error. Return CONTINUE or FAULT. */
typedef bifrost_hook_action (*bifrost_post_hook_fn)(
    void *instance, bifrost_context *context, bifrost_outcome *outcome);

/* Called once: at shutdown, or after the last request of an instance a reload retired.
 * Free the instance here. */
typedef void (*bifrost_destroy_fn)(void *instance);

/* Since 1.1. Runs on each chunk of a streamed answer, in reverse chain order, only for
 * plugins whose PreHook ran. Return CONTINUE (the chunk as it now stands goes on), DROP
 * (it is not sent), SHORT_CIRCUIT after `outcome_set_error` on `outcome` (the stream ends
 * with that error), or FAULT. When the stream ends, PostHooks run once with the assembled
 * response, usage included. */
typedef bifrost_hook_action (*bifrost_chunk_hook_fn)(
    void *instance, bifrost_context *context, bifrost_chunk *chunk, bifrost_outcome *outcome);

/* Since 1.4. Called on an instance a reload is about to replace (the same file with changed
 * content or configuration), before its successor is created: write the state the
 * successor should start from with `host->state_write` (any number of pieces, joined in
 * order; BIFROST_HANDED_STATE_MAX_BYTES in all) and return BIFROST_OK. Writing nothing hands
 * nothing on. Any other status refuses the reload: the old chain, this instance included,
 * keeps serving (say why first with `host->log`). The instance keeps serving requests while
 * and after this runs (until the new chain takes over, or for good if the reload is refused),
 * so read its state as a hook would and change nothing; what it serves after the export is
 * not in the bytes. */
typedef bifrost_status (*bifrost_export_state_fn)(void *instance, bifrost_state_writer *writer);

/* Since 1.4: the most state one instance may hand on, in bytes (64 MiB). */
#define BIFROST_HANDED_STATE_MAX_BYTES ((size_t)64 * 1024 * 1024)

/* Since 1.5: the types of a command's arguments and result, and how each crosses as a C
 * parameter or return value. */
typedef int32_t bifrost_type;
/* Result only: the command returns nothing (`void`); JSON null. */
#define BIFROST_TYPE_VOID 0
/* int64_t; JSON integers in [-2^63, 2^63). */
#define BIFROST_TYPE_INT64 1
/* double; any finite JSON number. */
#define BIFROST_TYPE_DOUBLE 2
/* int32_t, 0 or 1; JSON true and false. */
#define BIFROST_TYPE_BOOL 3
/* As an argument, `const char *`: NUL-terminated UTF-8, borrowed for the call (a JSON
 * string containing U+0000 is refused). As a result, `const char *`: NUL-terminated UTF-8
 * that the host copies when the function returns, then passes to the command's
 * `release_result` (when not NULL); NULL is JSON null. */
#define BIFROST_TYPE_STRING 4

/* Since 1.5: one argument of a command. */
typedef struct bifrost_command_arg {
    /* sizeof(bifrost_command_arg) as the plugin was compiled; the stride of `args`. */
    uint32_t struct_size;
    bifrost_type value_type;
    /* NUL-terminated: 1-64 characters of [a-z0-9_], starting with a letter; unique within
     * the command. The JSON member the caller names it by. */
    const char *name;
    /* NUL-terminated, or NULL. */
    const char *description;
} bifrost_command_arg;

/* Since 1.5: a command's function, called as `R (*)(void *instance, A1, ..., An)` with the
 * declared types in order (see BIFROST_TYPE_*); stored cast to this type. It may run
 * concurrently with hooks and other commands, on any thread: make it thread-safe. */
typedef void (*bifrost_command_fn)(void);

/* Since 1.5: a string result handed back to the plugin once the host has copied it. */
typedef void (*bifrost_release_result_fn)(void *instance, const char *result);

/* Since 1.5: a command the plugin exports. Owned by the plugin, valid until `destroy`
 * returns. The host checks every declaration at load and refuses the plugin, naming the
 * command, when one is malformed. */
typedef struct bifrost_command {
    /* sizeof(bifrost_command) as the plugin was compiled; the stride of `commands`. */
    uint32_t struct_size;
    /* The type of the function's return value. */
    bifrost_type result_type;
    /* NUL-terminated: 1-64 characters of [a-z0-9_-], starting with a letter; unique within
     * the plugin. */
    const char *name;
    /* NUL-terminated, or NULL. */
    const char *description;
    /* The arguments in order, after `instance`; at most BIFROST_COMMAND_MAX_ARGS. */
    const bifrost_command_arg *args;
    size_t arg_count;
    bifrost_command_fn function;
    /* Only for a BIFROST_TYPE_STRING result; NULL when the result needs no release (a
     * static string). */
    bifrost_release_result_fn release_result;
} bifrost_command;

/* Since 1.5: the most arguments one command may declare. */
#define BIFROST_COMMAND_MAX_ARGS 16

/* Since 1.6: sensitive data a plugin reads, declared in `capabilities`. A plugin whose table
 * says abi_minor >= 6 and whose struct_size covers `capabilities` sees only what it declares;
 * an older plugin (or a smaller table) keeps the access it had. An undeclared read returns
 * NOT_FOUND, exactly as if the data were absent: it is not a fault. Writing is never
 * restricted (a plugin may set a message it cannot read). The same holds in an isolated
 * worker. */
/* The client's credentials: the request headers "authorization", "proxy-authorization" and
 * "cookie", and every header whose name ends in "api-key" ("x-api-key" as Anthropic's clients
 * send it, "api-key", "x-goog-api-key"), names compared without regard to case. Undeclared,
 * request_get_header returns NOT_FOUND for them. No other accessor hands headers out (the
 * JSON views carry the body only). */
#define BIFROST_CAPABILITY_CREDENTIALS ((uint64_t)1 << 0)
/* The text of messages, responses, chunks, reasoning and refusals, and the request or
 * response as JSON. Undeclared, NOT_FOUND from: request_message_get when `content_out` is not
 * NULL (nothing is written; pass NULL to read the role alone), request_to_json,
 * request_to_canonical_json, response_get_content, response_get_reasoning,
 * response_get_refusal, response_to_json, chunk_get_content and chunk_get_reasoning. Roles,
 * counts, models, finish reasons, usage, parameters and headers stay readable. */
#define BIFROST_CAPABILITY_MESSAGE_CONTENT ((uint64_t)1 << 1)
/* Tool calls of requests, responses and chunks: names, ids and arguments. Undeclared,
 * NOT_FOUND from request_message_tool_call_get, request_message_tool_call_id,
 * response_tool_call_get and chunk_tool_call_get (nothing is written); the counts stay
 * readable, and response_remove_tool_call still works. */
#define BIFROST_CAPABILITY_TOOL_CALLS ((uint64_t)1 << 2)
/* Since 1.7: `callout`, which can send what the plugin read anywhere. Without it a callout
 * is WRONG_STATE, logged with the plugin's name. */
#define BIFROST_CAPABILITY_CALLOUTS ((uint64_t)1 << 3)

/* Since 1.7: the longest state key, in bytes. */
#define BIFROST_STATE_KEY_MAX_BYTES 512
/* Since 1.7: the largest state value, in bytes (4 MiB). */
#define BIFROST_STATE_VALUE_MAX_BYTES ((size_t)4 * 1024 * 1024)
/* Since 1.7: the most times one PreHook is called again for one request after PENDING. */
#define BIFROST_PENDING_MAX_ROUNDS 16
/* Since 1.7: a callout's longest timeout and largest answer body. */
#define BIFROST_CALLOUT_MAX_TIMEOUT_MS 30000
#define BIFROST_CALLOUT_MAX_RESPONSE_BYTES ((uint32_t)16 * 1024 * 1024)

/* Since 1.7: an HTTP request a PreHook sends to a service it must consult (a DLP or an auth
 * service), built by the plugin; the host copies it before `callout` returns. */
typedef struct bifrost_callout_request {
    /* sizeof(bifrost_callout_request) as the plugin was compiled. */
    uint32_t struct_size;
    /* The longest the exchange may take, from 1 to BIFROST_CALLOUT_MAX_TIMEOUT_MS; 0 means
     * 1000. */
    uint32_t timeout_ms;
    /* "GET", "POST", ... */
    bifrost_str method;
    /* An absolute http:// or https:// URL. */
    bifrost_str url;
    /* `header_count` names and values; both NULL when the count is 0. */
    const bifrost_str *header_names;
    const bifrost_str *header_values;
    size_t header_count;
    /* Empty for none. */
    bifrost_bytes body;
    /* The largest answer body accepted, up to BIFROST_CALLOUT_MAX_RESPONSE_BYTES; 0 means
     * 1 MiB. A longer body is BIFROST_ERR_TOO_LARGE, and the exchange is cut there. */
    uint32_t max_response_bytes;
} bifrost_callout_request;

/* Since 1.7: a callout's answer, written by the host (set `struct_size` first: the host
 * writes only the fields it covers). Everything is borrowed until the hook returns. */
typedef struct bifrost_callout_response {
    uint32_t struct_size;
    /* The HTTP status, e.g. 200. */
    int32_t status;
    /* `header_count` names (lowercase) and values. */
    const bifrost_str *header_names;
    const bifrost_str *header_values;
    size_t header_count;
    bifrost_bytes body;
} bifrost_callout_response;

/* Since 1.6: kinds of `bifrost_config` value. */
typedef int32_t bifrost_config_kind;
#define BIFROST_CONFIG_NULL 0
#define BIFROST_CONFIG_BOOL 1
#define BIFROST_CONFIG_NUMBER 2
#define BIFROST_CONFIG_STRING 3
#define BIFROST_CONFIG_ARRAY 4
#define BIFROST_CONFIG_OBJECT 5

/* Plugin flags. */
/* The plugin asks to be fail-open unless its configuration says otherwise. */
#define BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT ((uint64_t)1 << 0)

/* The plugin's table, returned by `bifrost_plugin_create`. Owned by the plugin; must stay
 * valid until `destroy` returns. Append-only: new fields go at the end. */
typedef struct bifrost_plugin {
    /* sizeof(bifrost_plugin) as the plugin was compiled. */
    uint32_t struct_size;
    /* The ABI version the plugin was built against: BIFROST_ABI_VERSION_MAJOR/MINOR. */
    uint16_t abi_major;
    uint16_t abi_minor;
    /* NUL-terminated, static or owned by the instance. Name: 1-64 characters of
     * [a-z0-9._-], starting with a letter or digit; unique in a chain. */
    const char *name;
    /* NUL-terminated free-form version, e.g. "1.2.0". */
    const char *version;
    /* BIFROST_PLUGIN_FLAG_* bits. */
    uint64_t flags;
    /* Passed back to every hook and to destroy. */
    void *instance;
    /* NULL when not provided. */
    bifrost_pre_hook_fn pre_hook;
    bifrost_post_hook_fn post_hook;
    bifrost_destroy_fn destroy;
    /* --- since 1.1 --- */
    bifrost_chunk_hook_fn chunk_hook;
    /* --- since 1.4 --- */
    bifrost_export_state_fn export_state;
    /* --- since 1.5 --- */
    /* The commands the plugin exports (an array with stride `commands->struct_size`); NULL
     * with a count of 0 when none. */
    const bifrost_command *commands;
    size_t command_count;
    /* --- since 1.6 --- */
    /* BIFROST_CAPABILITY_* bits: the sensitive data the plugin reads. */
    uint64_t capabilities;
} bifrost_plugin;

/* ---------------------------------------------------------------------------------- */
/* The host's services                                                                */
/* ---------------------------------------------------------------------------------- */

/* The host's table, passed to `bifrost_plugin_create`. Owned by the host, valid for the
 * life of the process. Append-only: check `struct_size` (or `abi_minor`) before using a
 * function added after 1.0. */
typedef struct bifrost_host_api {
    uint32_t struct_size;
    uint16_t abi_major;
    uint16_t abi_minor;

    /* --- create time and anywhere ------------------------------------------------- */

    /* Refuses creation: call before returning NULL from bifrost_plugin_create. The host
     * reports `message` with the plugin's file name. */
    bifrost_status (*set_create_error)(bifrost_plugin_token *token, bifrost_str message);
    /* Writes a log line attributed to the plugin. Safe from any thread, any time. */
    bifrost_status (*log)(bifrost_plugin_token *token, bifrost_log_level level, bifrost_str message);
    /* Monotonic clock in nanoseconds (for measuring durations). */
    uint64_t (*monotonic_now_ns)(void);

    /* --- faults ------------------------------------------------------------------- */

    /* Records why the current hook fails; return BIFROST_ACTION_FAULT afterwards. */
    bifrost_status (*report_fault)(bifrost_context *context, bifrost_str message);

    /* --- context ------------------------------------------------------------------ */

    /* Per-request values, shared by all hooks of one request. `value->string` is
     * borrowed until the hook returns. Keys starting with "bifrost." are the host's (read
     * only, since 1.2): "bifrost.upstream_ns" (number: nanoseconds the provider call took,
     * retries included; for a stream, until it opened), "bifrost.attempts" (number of
     * provider attempts), "bifrost.faulted" (string: plugins that faulted on this
     * request, comma-separated), and, in the PostHook of a stream its client left before
     * the end, "bifrost.cut_short" (bool true: the response is the part received until
     * then) and "bifrost.usage_estimated" (bool true: its usage, or part of it, is counted
     * by the host from the text, about four bytes per token, because the upstream's did not
     * arrive). Writing one is INVALID_ARGUMENT. */
    bifrost_status (*context_get)(bifrost_context *context, bifrost_str key, bifrost_value *value_out);
    /* Copies `value`; a value of kind NULL removes the key. */
    bifrost_status (*context_set)(bifrost_context *context, bifrost_str key, const bifrost_value *value);
    bifrost_status (*context_request_id)(bifrost_context *context, bifrost_str *id_out);
    /* Wall-clock arrival time, nanoseconds since the Unix epoch. */
    bifrost_status (*context_arrival_time_ns)(bifrost_context *context, uint64_t *ns_out);
    /* Who sent the request, as the transport identified it (never a secret): "key:" and 16
     * lowercase hex digits of the SipHash-2-4 of the client's key under the gateway's secret
     * (server.client_id_secret) when the request has `Authorization: Bearer <key>` or else
     * `x-api-key: <key>` (spaces and tabs around the key trimmed), so one key gives one id
     * whichever header carries it; otherwise the peer's IP address. Gateways sharing the
     * secret give a key the same id; without it the id reveals nothing of the key (a gateway
     * without a configured secret draws one at start). Readable without
     * BIFROST_CAPABILITY_CREDENTIALS. */
    bifrost_status (*context_client_id)(bifrost_context *context, bifrost_str *client_out);
    /* The route, e.g. "/v1/chat/completions". */
    bifrost_status (*context_route)(bifrost_context *context, bifrost_str *route_out);

    /* --- request ------------------------------------------------------------------ */

    bifrost_status (*request_get_provider)(bifrost_request *request, bifrost_str *provider_out);
    bifrost_status (*request_set_provider)(bifrost_request *request, bifrost_str provider);
    bifrost_status (*request_get_model)(bifrost_request *request, bifrost_str *model_out);
    bifrost_status (*request_set_model)(bifrost_request *request, bifrost_str model);

    bifrost_status (*request_message_count)(bifrost_request *request, size_t *count_out);
    /* Either out-pointer may be NULL. Since 1.6, without BIFROST_CAPABILITY_MESSAGE_CONTENT a
     * non-NULL `content_out` makes the call NOT_FOUND with nothing written. */
    bifrost_status (*request_message_get)(
        bifrost_request *request, size_t index, bifrost_str *role_out, bifrost_str *content_out);
    bifrost_status (*request_message_set)(
        bifrost_request *request, size_t index, bifrost_str role, bifrost_str content);
    /* Inserts before `index`; index == count appends. */
    bifrost_status (*request_message_insert)(
        bifrost_request *request, size_t index, bifrost_str role, bifrost_str content);
    bifrost_status (*request_message_remove)(bifrost_request *request, size_t index);

    /* Parameters by their OpenAI name: "temperature", "max_tokens", "top_p", "stop",
     * "seed", "user", "stream", ... Unknown names are kept and passed on. */
    bifrost_status (*request_get_param)(bifrost_request *request, bifrost_str name, bifrost_value *value_out);
    /* A value of kind NULL removes the parameter. */
    bifrost_status (*request_set_param)(bifrost_request *request, bifrost_str name, const bifrost_value *value);

    /* Request headers; names are case-insensitive. */
    bifrost_status (*request_get_header)(bifrost_request *request, bifrost_str name, bifrost_str *value_out);
    bifrost_status (*request_set_header)(bifrost_request *request, bifrost_str name, bifrost_str value);
    bifrost_status (*request_remove_header)(bifrost_request *request, bifrost_str name);

    /* Free-form string metadata travelling with the request. */
    bifrost_status (*request_get_metadata)(bifrost_request *request, bifrost_str key, bifrost_str *value_out);
    bifrost_status (*request_set_metadata)(bifrost_request *request, bifrost_str key, bifrost_str value);

    /* The slow path: the whole request as OpenAI chat JSON (borrowed until the hook
     * returns), and replacing it from such JSON. Costs microseconds; prefer the accessors. */
    bifrost_status (*request_to_json)(bifrost_request *request, bifrost_str *json_out);
    bifrost_status (*request_replace_from_json)(bifrost_request *request, bifrost_str json);

    /* --- outcome ------------------------------------------------------------------ */

    /* Fetches the response; BIFROST_ERR_WRONG_STATE if the outcome is an error or empty. */
    bifrost_status (*outcome_get_response)(bifrost_outcome *outcome, bifrost_response **response_out);
    /* Fetches the error; BIFROST_ERR_WRONG_STATE if the outcome is a response or empty. */
    bifrost_status (*outcome_get_error)(bifrost_outcome *outcome, bifrost_error **error_out);
    /* Replaces the outcome with an empty response (no choices, zero usage) and hands it out
     * to fill: answering in a PreHook, recovering from an error in a PostHook. Its provider
     * and model are the request's in a PreHook, the replaced response's in a PostHook, and
     * empty when a PostHook recovers from an error (set the model with response_set_model). */
    bifrost_status (*outcome_set_response)(bifrost_outcome *outcome, bifrost_response **response_out);
    /* Replaces the outcome with an error: rejecting in a PreHook, failing a response in a
     * PostHook. `type` like "rate_limit_exceeded"; status 400-599. */
    bifrost_status (*outcome_set_error)(
        bifrost_outcome *outcome, int32_t http_status, bifrost_str type, bifrost_str message,
        bifrost_error **error_out);

    /* --- response ----------------------------------------------------------------- */

    bifrost_status (*response_choice_count)(bifrost_response *response, size_t *count_out);
    bifrost_status (*response_get_content)(bifrost_response *response, size_t choice, bifrost_str *content_out);
    bifrost_status (*response_set_content)(bifrost_response *response, size_t choice, bifrost_str content);
    bifrost_status (*response_get_finish_reason)(bifrost_response *response, size_t choice, bifrost_str *reason_out);
    bifrost_status (*response_set_finish_reason)(bifrost_response *response, size_t choice, bifrost_str reason);
    /* Appends an assistant choice. */
    bifrost_status (*response_append_choice)(bifrost_response *response, bifrost_str content, bifrost_str finish_reason);
    bifrost_status (*response_get_usage)(bifrost_response *response, bifrost_usage *usage_out);
    bifrost_status (*response_set_usage)(bifrost_response *response, const bifrost_usage *usage);
    /* The provider and model that served the response. */
    bifrost_status (*response_get_provider)(bifrost_response *response, bifrost_str *provider_out);
    bifrost_status (*response_get_model)(bifrost_response *response, bifrost_str *model_out);
    bifrost_status (*response_set_model)(bifrost_response *response, bifrost_str model);
    /* Headers sent to the client with the response. */
    bifrost_status (*response_get_header)(bifrost_response *response, bifrost_str name, bifrost_str *value_out);
    bifrost_status (*response_set_header)(bifrost_response *response, bifrost_str name, bifrost_str value);
    bifrost_status (*response_to_json)(bifrost_response *response, bifrost_str *json_out);
    bifrost_status (*response_replace_from_json)(bifrost_response *response, bifrost_str json);

    /* --- error -------------------------------------------------------------------- */

    bifrost_status (*error_get_status)(bifrost_error *error, int32_t *http_status_out);
    bifrost_status (*error_set_status)(bifrost_error *error, int32_t http_status);
    bifrost_status (*error_get_type)(bifrost_error *error, bifrost_str *type_out);
    bifrost_status (*error_set_type)(bifrost_error *error, bifrost_str type);
    /* NOT_FOUND when the error has no code. */
    bifrost_status (*error_get_code)(bifrost_error *error, bifrost_str *code_out);
    bifrost_status (*error_set_code)(bifrost_error *error, bifrost_str code);
    bifrost_status (*error_get_message)(bifrost_error *error, bifrost_str *message_out);
    bifrost_status (*error_set_message)(bifrost_error *error, bifrost_str message);
    /* Headers sent to the client with the error, e.g. "retry-after". */
    bifrost_status (*error_set_header)(bifrost_error *error, bifrost_str name, bifrost_str value);
    bifrost_status (*error_get_header)(bifrost_error *error, bifrost_str name, bifrost_str *value_out);

    /* --- chunks of a streamed answer, since 1.1 ------------------------------------- */

    bifrost_status (*chunk_choice_count)(bifrost_chunk *chunk, size_t *count_out);
    /* NOT_FOUND when this delta carries no text. */
    bifrost_status (*chunk_get_content)(bifrost_chunk *chunk, size_t choice, bifrost_str *content_out);
    bifrost_status (*chunk_set_content)(bifrost_chunk *chunk, size_t choice, bifrost_str content);
    /* NOT_FOUND until the choice's last delta. */
    bifrost_status (*chunk_get_finish_reason)(bifrost_chunk *chunk, size_t choice, bifrost_str *reason_out);
    /* NOT_FOUND unless the chunk carries usage (usually the last one). */
    bifrost_status (*chunk_get_usage)(bifrost_chunk *chunk, bifrost_usage *usage_out);
    bifrost_status (*chunk_get_model)(bifrost_chunk *chunk, bifrost_str *model_out);

    /* --- since 1.2 ------------------------------------------------------------------- */

    /* Defines a metric family, exposed on the gateway's /metrics. Only while
     * bifrost_plugin_create runs (WRONG_STATE afterwards). Defining the same name again
     * with the same kind, labels and buckets returns the same family; anything else, or an
     * invalid name, is INVALID_ARGUMENT with the reason in the host's log. */
    bifrost_status (*metric_define)(
        bifrost_plugin_token *token, const bifrost_metric_spec *spec, bifrost_metric **metric_out);
    /* Counter: adds `value` (>= 0). Gauge: adds `value`. Histogram: observes `value`.
     * `label_values` has one value per label name, in order. Lock-free once a series
     * exists; safe from any thread. */
    bifrost_status (*metric_record)(
        bifrost_metric *metric, const bifrost_str *label_values, size_t label_count, double value);
    /* Gauge only: sets the series to `value`. */
    bifrost_status (*metric_set)(
        bifrost_metric *metric, const bifrost_str *label_values, size_t label_count, double value);
    /* The series of one label combination, created on first use. Keep it when the same
     * labels come back often: recording into it skips the label lookup. */
    bifrost_status (*metric_series)(
        bifrost_metric *metric, const bifrost_str *label_values, size_t label_count, bifrost_metric_series **series_out);
    /* As metric_record and metric_set, on a series: lock-free. */
    bifrost_status (*metric_series_record)(bifrost_metric_series *series, double value);
    bifrost_status (*metric_series_set)(bifrost_metric_series *series, double value);

    /* PreHook only: how long to wait before the host calls this PreHook again; return
     * BIFROST_ACTION_WAIT afterwards. */
    bifrost_status (*outcome_set_wait)(bifrost_outcome *outcome, uint64_t delay_ns);

    /* Request parameters by position, to read every one (a cache key): `index` from 0 to
     * count - 1, in the order the client sent them. */
    bifrost_status (*request_param_count)(bifrost_request *request, size_t *count_out);
    bifrost_status (*request_param_name)(bifrost_request *request, size_t index, bifrost_str *name_out);

    /* The request as canonical OpenAI chat JSON (object keys sorted at every level, no
     * whitespace: equal requests give equal bytes) without the listed parameters; for a
     * cache key that ignores "user" and "stream". Borrowed until the hook returns. */
    bifrost_status (*request_to_canonical_json)(
        bifrost_request *request, const bifrost_str *omit_params, size_t omit_count, bifrost_str *json_out);

    /* Sets a header of the client's answer, whatever it turns out to be: a response, an
     * error, or the head of a stream (set in a PreHook, it reaches a stream's head; a
     * PostHook runs after a stream's head is sent). Headers the answer itself carries
     * (response_set_header, error_set_header) take precedence. */
    bifrost_status (*context_set_response_header)(bifrost_context *context, bifrost_str name, bifrost_str value);

    /* Who caused an error: `kind_out` is "gateway", "plugin" or "provider"; `name_out`
     * the plugin's or provider's name (empty for the gateway). A rejection names the
     * plugin that rejected; a plugin fault has code "plugin_fault". */
    bifrost_status (*error_get_source)(bifrost_error *error, bifrost_str *kind_out, bifrost_str *name_out);

    /* --- since 1.3: tool calls, reasoning, usage details ----------------------------- */

    /* The tool calls of a request message (an assistant message's OpenAI `tool_calls`),
     * by position: `call` from 0 to count - 1 (the count is 0 for a message without calls).
     * `arguments_out` is the arguments' JSON text as the client sent it. Every out-pointer
     * is required. */
    bifrost_status (*request_message_tool_call_count)(bifrost_request *request, size_t message, size_t *count_out);
    bifrost_status (*request_message_tool_call_get)(
        bifrost_request *request, size_t message, size_t call, bifrost_str *id_out, bifrost_str *name_out,
        bifrost_str *arguments_out);
    /* The id of the call a tool message answers (its `tool_call_id`); NOT_FOUND when the
     * message has none. */
    bifrost_status (*request_message_tool_call_id)(bifrost_request *request, size_t message, bifrost_str *id_out);

    /* The tool calls of a response choice, by position, as for a request message. */
    bifrost_status (*response_tool_call_count)(bifrost_response *response, size_t choice, size_t *count_out);
    bifrost_status (*response_tool_call_get)(
        bifrost_response *response, size_t choice, size_t call, bifrost_str *id_out, bifrost_str *name_out,
        bifrost_str *arguments_out);
    /* Removes one tool call from a choice (a guardrail refusing it); later calls move down
     * by one position. When the last call goes and the finish reason is "tool_calls", it
     * becomes "stop" (another reason, such as "length", is kept). */
    bifrost_status (*response_remove_tool_call)(bifrost_response *response, size_t choice, size_t call);
    /* The choice's reasoning text (OpenAI `reasoning_content`, Anthropic thinking);
     * NOT_FOUND when there is none. */
    bifrost_status (*response_get_reasoning)(bifrost_response *response, size_t choice, bifrost_str *reasoning_out);
    /* The choice's refusal text; NOT_FOUND when the model did not refuse. */
    bifrost_status (*response_get_refusal)(bifrost_response *response, size_t choice, bifrost_str *refusal_out);

    /* The tool-call pieces of one choice's delta, by position: `piece` from 0 to count - 1.
     * `index_out` is the call's position among the choice's calls, which ties its pieces
     * together; a call's first piece carries its id and name (both empty on later pieces),
     * every piece a part of the arguments' JSON text (possibly empty). Every out-pointer is
     * required. */
    bifrost_status (*chunk_tool_call_count)(bifrost_chunk *chunk, size_t choice, size_t *count_out);
    bifrost_status (*chunk_tool_call_get)(
        bifrost_chunk *chunk, size_t choice, size_t piece, int64_t *index_out, bifrost_str *id_out,
        bifrost_str *name_out, bifrost_str *arguments_out);
    /* The reasoning text this delta adds; NOT_FOUND when it adds none. */
    bifrost_status (*chunk_get_reasoning)(bifrost_chunk *chunk, size_t choice, bifrost_str *reasoning_out);

    /* The usage details of a response, or of a chunk (NOT_FOUND unless the chunk carries
     * usage, like chunk_get_usage). Set `out->struct_size = sizeof *out` first; a size that
     * covers no field is INVALID_ARGUMENT. */
    bifrost_status (*response_get_usage_details)(bifrost_response *response, bifrost_usage_details *out);
    bifrost_status (*chunk_get_usage_details)(bifrost_chunk *chunk, bifrost_usage_details *out);

    /* --- since 1.4: state handed on by a reload ------------------------------------ */

    /* Only during `export_state`, with the writer it received: appends `bytes` (copied) to
     * the state handed to the successor. TOO_LARGE, with nothing appended, when the state
     * would exceed BIFROST_HANDED_STATE_MAX_BYTES; returning an error status from
     * export_state then refuses the reload. INVALID_HANDLE after export_state returned. */
    bifrost_status (*state_write)(bifrost_state_writer *writer, bifrost_bytes bytes);
    /* Only during bifrost_plugin_create (WRONG_STATE afterwards): the state the instance
     * this one replaces exported, borrowed until create returns (copy what you keep).
     * NOT_FOUND when none was handed: a first load, a predecessor without export_state or one
     * that wrote nothing. */
    bifrost_status (*get_handed_state)(bifrost_plugin_token *token, bifrost_bytes *state_out);

    /* --- since 1.6: the configuration as the host parsed it --------------------------- */

    /* Only during bifrost_plugin_create (WRONG_STATE afterwards): the whole configuration
     * document, the same JSON as `config`, parsed once by the host. A node is valid only
     * while create runs: every config_* call with a node kept past create returns
     * WRONG_STATE, one with a value that is no node INVALID_HANDLE (neither is dereferenced).
     * Misuse (a NULL out-pointer, a malformed path, an index out of range) is logged with the
     * plugin's name; there is no hook to fault. */
    bifrost_status (*config_root)(bifrost_plugin_token *token, const bifrost_config **root_out);
    /* The value at `path` below `node`: member names joined by "." and array positions in
     * brackets, e.g. "limits.rules[2].model"; an empty path is `node` itself. A member
     * name containing ".", "[", "]" or '"', or an empty one, is written in brackets and quotes,
     * with \" and \\ as the only escapes: ["a.b"], [""], limits["x\"y"]. A position beyond
     * an array's end is NOT_FOUND like an absent member.
     * NOT_FOUND when any step is absent, WRONG_TYPE when a step goes into a value that is
     * not an object (a name) or an array (a position), INVALID_ARGUMENT for a malformed
     * path. The lookups below take the same paths. */
    bifrost_status (*config_lookup)(const bifrost_config *node, bifrost_str path, const bifrost_config **value_out);
    bifrost_status (*config_kind)(const bifrost_config *node, bifrost_str path, bifrost_config_kind *kind_out);
    /* Typed reads: WRONG_TYPE when the value has another kind. Strings are borrowed until
     * create returns. Numbers keep the text they were written with: config_get_int64 gives
     * an integer exactly as written (also `2.0` or `1e3`, whole values up to 2^53) and is
     * WRONG_TYPE for a fraction or a value outside int64_t; config_get_double gives the
     * nearest double and is WRONG_TYPE only beyond a double's range (`1e400`).
     * config_get_bool writes 1 or 0. */
    bifrost_status (*config_get_string)(const bifrost_config *node, bifrost_str path, bifrost_str *value_out);
    bifrost_status (*config_get_double)(const bifrost_config *node, bifrost_str path, double *value_out);
    bifrost_status (*config_get_int64)(const bifrost_config *node, bifrost_str path, int64_t *value_out);
    bifrost_status (*config_get_bool)(const bifrost_config *node, bifrost_str path, int32_t *value_out);
    /* An array's length or an object's member count. */
    bifrost_status (*config_count)(const bifrost_config *node, bifrost_str path, size_t *count_out);
    /* An array's element by position; OUT_OF_RANGE when `index` >= its length. */
    bifrost_status (*config_element)(
        const bifrost_config *node, bifrost_str path, size_t index, const bifrost_config **value_out);
    /* An object's member by position, in the order written: its name (borrowed until create
     * returns) and value; either out-pointer may be NULL, not both. OUT_OF_RANGE when `index`
     * >= its member count. */
    bifrost_status (*config_member)(
        const bifrost_config *node, bifrost_str path, size_t index, bifrost_str *name_out,
        const bifrost_config **value_out);
    /* Refuses creation over one field: as set_create_error, with the host's message naming
     * the field's full path from the document's root ("limits.rules[2].model: ..."). The
     * field is `path` below `node` and need not exist (a required field that is missing);
     * return NULL afterwards. */
    bifrost_status (*config_refuse)(bifrost_plugin_token *token, const bifrost_config *node, bifrost_str path,
                                    bifrost_str message);

    /* --- since 1.7: state that outlives a request, and HTTP callouts ---------------- */

    /* Keys are 1 to BIFROST_STATE_KEY_MAX_BYTES bytes, any content, and belong to the plugin:
     * the host keeps each plugin's keys apart (by its name), so no plugin reads another's
     * state, and instances of one plugin on replicas sharing a backend share theirs. Counters
     * and values live in separate spaces. Where state lives is the gateway's configuration
     * ("state": in memory, or Redis shared by replicas); the plugin's state policy decides
     * what happens when the backend cannot be reached: fail-open performs the operation on
     * the gateway's own memory (with a warning), fail-closed answers 503 naming the plugin,
     * without calling the hook again.
     *
     * Reads (an out-pointer given) are PreHook only (WRONG_STATE elsewhere). The first call
     * starts the operation and returns BIFROST_PENDING; start any others, then return
     * BIFROST_ACTION_PENDING. The host performs them, in order, without holding a thread,
     * then calls the PreHook again for the same request: the same calls in the same order
     * now return their results (borrowed until the hook returns) instead of starting
     * anything, and a call past them starts the next round. A call that differs from the one
     * at its position (another function, key, or callout URL) is WRONG_STATE and faults the
     * hook. At most BIFROST_PENDING_MAX_ROUNDS rounds per PreHook and request.
     *
     * Writes (no out-pointer) work in every hook and return OK at once: the host performs
     * them in order after the hook returns, and before a non-streamed answer is sent. A write
     * repeated at its position on a call again returns OK without being performed twice.
     */

    /* Adds `amount` (negative subtracts) to the counter `key` and reads it: atomically on the
     * backend, exact across replicas. A counter that does not exist starts at 0 and lives
     * `window_ms` (> 0) from that first add: a fixed window for rate limits and budgets.
     * `amount` 0 reads without changing it. `value_out` gets the counter after the add,
     * `resets_in_ms_out` the time left in its window; both NULL make it a write. */
    bifrost_status (*state_counter_add)(
        bifrost_context *context, bifrost_str key, int64_t amount, uint64_t window_ms, int64_t *value_out,
        uint64_t *resets_in_ms_out);
    /* The value stored under `key` (a read); NOT_FOUND when there is none or it expired. */
    bifrost_status (*state_value_get)(bifrost_context *context, bifrost_str key, bifrost_bytes *value_out);
    /* Stores `value` (at most BIFROST_STATE_VALUE_MAX_BYTES, else TOO_LARGE) under `key` for
     * `ttl_ms` (0: until removed or evicted); a write. The gateway's memory store is bounded
     * and evicts the oldest values first. */
    bifrost_status (*state_value_set)(bifrost_context *context, bifrost_str key, bifrost_bytes value, uint64_t ttl_ms);
    /* Removes the value `key` (absent is not an error); a write. */
    bifrost_status (*state_value_remove)(bifrost_context *context, bifrost_str key);
    /* Sends an HTTP request (a read; needs BIFROST_CAPABILITY_CALLOUTS). On the call again
     * it returns OK with the answer in `response_out` (any status, 500 included),
     * BIFROST_ERR_UNAVAILABLE, BIFROST_ERR_TIMEOUT or BIFROST_ERR_TOO_LARGE. */
    bifrost_status (*callout)(
        bifrost_context *context, const bifrost_callout_request *request, bifrost_callout_response *response_out);
} bifrost_host_api;

/* ---------------------------------------------------------------------------------- */
/* The entry point                                                                    */
/* ---------------------------------------------------------------------------------- */

/* Creates the plugin. `config` is the plugin's configuration as JSON bytes (borrowed for
 * this call; "{}" when none), followed by a NUL byte that `config_len` does not count.
 * Returns the plugin's table, or NULL after calling `host->set_create_error` to refuse.
 * Check `host->abi_major` before using the host: in every major version the host table
 * begins with struct_size, abi_major, abi_minor and set_create_error, at these offsets,
 * so a plugin can always refuse a host it does not speak with a message. */
typedef const bifrost_plugin *(*bifrost_plugin_create_fn)(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len);

BIFROST_EXPORT const bifrost_plugin *bifrost_plugin_create(
    const bifrost_host_api *host, bifrost_plugin_token *token, const char *config, size_t config_len);

/* Builds a bifrost_str from a NUL-terminated literal or array. */
#define BIFROST_STR(literal) ((bifrost_str){(literal), sizeof(literal) - 1})

#ifdef __cplusplus
}
#endif

#endif /* BIFROST_PLUGIN_H */
