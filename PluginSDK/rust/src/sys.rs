//! Raw bindings of `PluginSDK/CBifrostPlugin/include/bifrost_plugin.h` (ABI 1.4), field for
//! field and in the header's order. `tests/layout.rs` compiles a C program from the header
//! and checks every constant, every struct's size and alignment, and every field's offset and
//! size against these declarations.
//!
//! Names are the header's. A function slot is an `Option` of a function pointer: NULL is
//! `None`, as the header's "NULL when not provided" rule needs. Slots after 1.0 exist only when
//! the host's `struct_size` covers them; the safe layer ([`crate::Host`]) checks that before
//! every call.
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

/// `BIFROST_ABI_VERSION_MAJOR`: a host of another major refuses the plugin.
pub const BIFROST_ABI_VERSION_MAJOR: u16 = 1;
/// `BIFROST_ABI_VERSION_MINOR`: the minor these bindings were written against.
pub const BIFROST_ABI_VERSION_MINOR: u16 = 7;

/// The status every host function returns.
pub type bifrost_status = i32;
/// Done.
pub const BIFROST_OK: bifrost_status = 0;
/// The key, header, parameter or field is absent. Not a fault.
pub const BIFROST_ERR_NOT_FOUND: bifrost_status = 1;
/// An argument is malformed (NULL pointer, invalid UTF-8, bad value). Faults the hook.
pub const BIFROST_ERR_INVALID_ARGUMENT: bifrost_status = 2;
/// The handle is not valid here (its hook has returned, or wrong kind). Faults the hook.
pub const BIFROST_ERR_INVALID_HANDLE: bifrost_status = 3;
/// An index is out of range. Faults the hook.
pub const BIFROST_ERR_OUT_OF_RANGE: bifrost_status = 4;
/// The operation does not apply to this state (reading a response from an error).
pub const BIFROST_ERR_WRONG_STATE: bifrost_status = 5;
/// Since 1.4: more bytes than the host accepts (`state_write` past
/// [`BIFROST_HANDED_STATE_MAX_BYTES`]).
pub const BIFROST_ERR_TOO_LARGE: bifrost_status = 6;
/// Since 1.6: a configuration value exists but has another type than the lookup asked for.
pub const BIFROST_ERR_WRONG_TYPE: bifrost_status = 7;
/// Since 1.7, not an error: the host started the operation; return
/// [`BIFROST_ACTION_PENDING`] and the PreHook is called again with the result.
pub const BIFROST_PENDING: bifrost_status = 8;
/// Since 1.7: a callout's service could not be reached. Not a fault.
pub const BIFROST_ERR_UNAVAILABLE: bifrost_status = 9;
/// Since 1.7: a callout's service did not answer within its timeout. Not a fault.
pub const BIFROST_ERR_TIMEOUT: bifrost_status = 10;

/// A UTF-8 string as pointer + length, not NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_str {
    /// The first byte; never NULL when the plugin passes it in (even for an empty string).
    pub ptr: *const c_char,
    /// The length in bytes.
    pub len: usize,
}

/// Since 1.4: bytes as pointer + length, any content (not text).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_bytes {
    /// The first byte; may be NULL only when `len` is 0.
    pub ptr: *const u8,
    /// The length in bytes.
    pub len: usize,
}

/// Kinds of [`bifrost_value`].
pub type bifrost_value_kind = i32;
/// JSON null; as a value to set, removes the key or parameter.
pub const BIFROST_VALUE_NULL: bifrost_value_kind = 0;
/// `boolean` holds the value.
pub const BIFROST_VALUE_BOOL: bifrost_value_kind = 1;
/// `number` holds the value.
pub const BIFROST_VALUE_NUMBER: bifrost_value_kind = 2;
/// `string` holds the value.
pub const BIFROST_VALUE_STRING: bifrost_value_kind = 3;
/// Any other JSON value (array, object), as JSON text in `string`.
pub const BIFROST_VALUE_JSON: bifrost_value_kind = 4;

/// A request parameter or context value: read the member that `kind` names.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_value {
    /// Which member holds the value.
    pub kind: bifrost_value_kind,
    /// Non-zero for true.
    pub boolean: i32,
    /// A finite number.
    pub number: f64,
    /// A string, or JSON text.
    pub string: bifrost_str,
}

/// Token counts of a response.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct bifrost_usage {
    /// Prompt (input) tokens.
    pub prompt_tokens: i64,
    /// Completion (output) tokens.
    pub completion_tokens: i64,
    /// Their sum, as the provider reported it.
    pub total_tokens: i64,
}

/// Since 1.3: the details behind a response's token counts, each -1 when not reported.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_usage_details {
    /// `size_of::<bifrost_usage_details>()`: the host writes only the fields it covers.
    pub struct_size: u32,
    /// Prompt tokens read from the provider's prompt cache.
    pub cached_prompt_tokens: i64,
    /// Prompt tokens written to the prompt cache.
    pub cache_creation_prompt_tokens: i64,
    /// Generated tokens spent reasoning.
    pub reasoning_tokens: i64,
}

/// Since 1.2: kinds of metric.
pub type bifrost_metric_kind = i32;
/// Only goes up.
pub const BIFROST_METRIC_COUNTER: bifrost_metric_kind = 0;
/// Goes up and down; can be set.
pub const BIFROST_METRIC_GAUGE: bifrost_metric_kind = 1;
/// Counts observations into buckets.
pub const BIFROST_METRIC_HISTOGRAM: bifrost_metric_kind = 2;

/// Since 1.2: what `metric_define` creates.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_metric_spec {
    /// `size_of::<bifrost_metric_spec>()`.
    pub struct_size: u32,
    /// Counter, gauge or histogram.
    pub kind: bifrost_metric_kind,
    /// The Prometheus metric name.
    pub name: bifrost_str,
    /// The `# HELP` text.
    pub help: bifrost_str,
    /// The label names, `label_count` of them.
    pub label_names: *const bifrost_str,
    /// How many label names.
    pub label_count: usize,
    /// Histogram upper bounds, strictly ascending; NULL with 0 for the host's latency buckets.
    pub buckets: *const f64,
    /// How many bounds.
    pub bucket_count: usize,
}

/// Log levels of `bifrost_host_api.log`.
pub type bifrost_log_level = i32;
/// Debug.
pub const BIFROST_LOG_DEBUG: bifrost_log_level = 0;
/// Info.
pub const BIFROST_LOG_INFO: bifrost_log_level = 1;
/// Warning.
pub const BIFROST_LOG_WARNING: bifrost_log_level = 2;
/// Error.
pub const BIFROST_LOG_ERROR: bifrost_log_level = 3;

macro_rules! opaque {
    ($($(#[$doc:meta])* $name:ident;)*) => {
        $(
            $(#[$doc])*
            #[repr(C)]
            pub struct $name {
                _private: [u8; 0],
            }
        )*
    };
}

opaque! {
    /// Identifies one plugin to the host (attributed logging, refusing its config).
    bifrost_plugin_token;
    /// The per-request key/value store and fixed facts.
    bifrost_context;
    /// The chat request as a PreHook sees it.
    bifrost_request;
    /// What a request ends with: a response or an error.
    bifrost_outcome;
    /// A chat response inside an outcome.
    bifrost_response;
    /// Since 1.1: one chunk of a streamed answer.
    bifrost_chunk;
    /// An error inside an outcome.
    bifrost_error;
    /// Since 1.2: a metric family, valid for the life of the process.
    bifrost_metric;
    /// Since 1.2: one label combination of a metric family.
    bifrost_metric_series;
    /// Since 1.4: where `export_state` writes the state it hands on; valid only during that call.
    bifrost_state_writer;
    /// Since 1.6: one value of the plugin's configuration as the host parsed it; valid only
    /// while `bifrost_plugin_create` runs.
    bifrost_config;
}

/// What a hook returns; any other value is a fault.
pub type bifrost_hook_action = i32;
/// Go on.
pub const BIFROST_ACTION_CONTINUE: bifrost_hook_action = 0;
/// PreHook (and ChunkHook with an error): answer now with the outcome the hook filled in.
pub const BIFROST_ACTION_SHORT_CIRCUIT: bifrost_hook_action = 1;
/// The hook failed, after `report_fault`.
pub const BIFROST_ACTION_FAULT: bifrost_hook_action = 2;
/// Since 1.1, ChunkHook only: do not send this chunk.
pub const BIFROST_ACTION_DROP: bifrost_hook_action = 3;
/// Since 1.2, PreHook only: call this PreHook again after `outcome_set_wait`'s delay.
pub const BIFROST_ACTION_WAIT: bifrost_hook_action = 4;
/// Since 1.7, PreHook only: call this PreHook again once the operations that returned
/// [`BIFROST_PENDING`] have their results.
pub const BIFROST_ACTION_PENDING: bifrost_hook_action = 5;

/// `bifrost_pre_hook_fn`.
pub type bifrost_pre_hook_fn = Option<
    unsafe extern "C" fn(
        instance: *mut c_void,
        context: *mut bifrost_context,
        request: *mut bifrost_request,
        outcome: *mut bifrost_outcome,
    ) -> bifrost_hook_action,
>;
/// `bifrost_post_hook_fn`.
pub type bifrost_post_hook_fn = Option<
    unsafe extern "C" fn(
        instance: *mut c_void,
        context: *mut bifrost_context,
        outcome: *mut bifrost_outcome,
    ) -> bifrost_hook_action,
>;
/// `bifrost_destroy_fn`.
pub type bifrost_destroy_fn = Option<unsafe extern "C" fn(instance: *mut c_void)>;
/// Since 1.1: `bifrost_chunk_hook_fn`.
pub type bifrost_chunk_hook_fn = Option<
    unsafe extern "C" fn(
        instance: *mut c_void,
        context: *mut bifrost_context,
        chunk: *mut bifrost_chunk,
        outcome: *mut bifrost_outcome,
    ) -> bifrost_hook_action,
>;

/// Since 1.4: `bifrost_export_state_fn`, called on an instance a reload replaces; writes its
/// state with `state_write` and returns [`BIFROST_OK`] (any other status refuses the reload).
pub type bifrost_export_state_fn =
    Option<unsafe extern "C" fn(instance: *mut c_void, writer: *mut bifrost_state_writer) -> bifrost_status>;

/// Since 1.4: the most state one instance may hand on, in bytes (64 MiB).
pub const BIFROST_HANDED_STATE_MAX_BYTES: usize = 64 * 1024 * 1024;

/// Since 1.5: the types of a command's arguments and result.
pub type bifrost_type = i32;
/// Result only: the command returns nothing.
pub const BIFROST_TYPE_VOID: bifrost_type = 0;
/// `i64`.
pub const BIFROST_TYPE_INT64: bifrost_type = 1;
/// `f64`.
pub const BIFROST_TYPE_DOUBLE: bifrost_type = 2;
/// `i32`, 0 or 1.
pub const BIFROST_TYPE_BOOL: bifrost_type = 3;
/// `*const c_char`, NUL-terminated UTF-8: borrowed as an argument; as a result copied by the
/// host, then passed to the command's `release_result`.
pub const BIFROST_TYPE_STRING: bifrost_type = 4;

/// Since 1.5: one argument of a command.
#[repr(C)]
pub struct bifrost_command_arg {
    /// `size_of::<bifrost_command_arg>()`: the stride of `args`.
    pub struct_size: u32,
    /// A `BIFROST_TYPE_*` other than VOID.
    pub value_type: bifrost_type,
    /// NUL-terminated: 1-64 characters of `[a-z0-9_]`, starting with a letter.
    pub name: *const c_char,
    /// NUL-terminated, or NULL.
    pub description: *const c_char,
}

/// Since 1.5: a command's function, called as `R (*)(void *instance, A1, ..., An)`.
pub type bifrost_command_fn = Option<unsafe extern "C" fn()>;

/// Since 1.5: receives a string result once the host has copied it.
pub type bifrost_release_result_fn = Option<unsafe extern "C" fn(instance: *mut c_void, result: *const c_char)>;

/// Since 1.5: a command the plugin exports; valid until `destroy` returns.
#[repr(C)]
pub struct bifrost_command {
    /// `size_of::<bifrost_command>()`: the stride of `commands`.
    pub struct_size: u32,
    /// The `BIFROST_TYPE_*` of the function's return value.
    pub result_type: bifrost_type,
    /// NUL-terminated: 1-64 characters of `[a-z0-9_-]`, starting with a letter.
    pub name: *const c_char,
    /// NUL-terminated, or NULL.
    pub description: *const c_char,
    /// The arguments in order, after `instance`.
    pub args: *const bifrost_command_arg,
    /// At most [`BIFROST_COMMAND_MAX_ARGS`].
    pub arg_count: usize,
    /// The function, cast to a generic function pointer.
    pub function: bifrost_command_fn,
    /// Only for a string result; NULL when it needs no release.
    pub release_result: bifrost_release_result_fn,
}

/// Since 1.5: the most arguments one command may declare.
pub const BIFROST_COMMAND_MAX_ARGS: usize = 16;

/// Since 1.6: the client's credentials: the request headers `authorization`,
/// `proxy-authorization`, `cookie` and every name ending in `api-key`, any case. Undeclared,
/// `request_get_header` is NOT_FOUND for them (a plugin built before 1.6 keeps full access).
pub const BIFROST_CAPABILITY_CREDENTIALS: u64 = 1 << 0;
/// Since 1.6: the text of messages, responses, chunks, reasoning and refusals, and the request
/// or response as JSON. Undeclared, those reads are NOT_FOUND; `request_message_get` too when
/// `content_out` is not NULL (pass NULL to read the role alone).
pub const BIFROST_CAPABILITY_MESSAGE_CONTENT: u64 = 1 << 1;
/// Since 1.6: tool calls' names, ids and arguments; undeclared, NOT_FOUND (counts stay readable).
pub const BIFROST_CAPABILITY_TOOL_CALLS: u64 = 1 << 2;
/// Since 1.7: `callout`.
pub const BIFROST_CAPABILITY_CALLOUTS: u64 = 1 << 3;

/// Since 1.7: the longest state key, in bytes.
pub const BIFROST_STATE_KEY_MAX_BYTES: usize = 512;
/// Since 1.7: the largest state value, in bytes.
pub const BIFROST_STATE_VALUE_MAX_BYTES: usize = 4 * 1024 * 1024;
/// Since 1.7: the most calls again of one PreHook for one request after PENDING.
pub const BIFROST_PENDING_MAX_ROUNDS: u32 = 16;
/// Since 1.7: a callout's longest timeout.
pub const BIFROST_CALLOUT_MAX_TIMEOUT_MS: u32 = 30000;
/// Since 1.7: a callout's largest answer body.
pub const BIFROST_CALLOUT_MAX_RESPONSE_BYTES: u32 = 16 * 1024 * 1024;

/// Since 1.7: an HTTP request to a service a PreHook consults; copied by `callout`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_callout_request {
    /// `size_of::<bifrost_callout_request>()`.
    pub struct_size: u32,
    /// 1 to [`BIFROST_CALLOUT_MAX_TIMEOUT_MS`]; 0 means 1000.
    pub timeout_ms: u32,
    /// `GET`, `POST`, ...
    pub method: bifrost_str,
    /// An absolute `http://` or `https://` URL.
    pub url: bifrost_str,
    /// `header_count` names.
    pub header_names: *const bifrost_str,
    /// `header_count` values.
    pub header_values: *const bifrost_str,
    /// How many headers.
    pub header_count: usize,
    /// The body; empty for none.
    pub body: bifrost_bytes,
    /// The largest answer body accepted; 0 means 1 MiB.
    pub max_response_bytes: u32,
}

/// Since 1.7: a callout's answer, borrowed until the hook returns.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct bifrost_callout_response {
    /// `size_of::<bifrost_callout_response>()`: the host writes only the fields it covers.
    pub struct_size: u32,
    /// The HTTP status.
    pub status: i32,
    /// `header_count` lowercase names.
    pub header_names: *const bifrost_str,
    /// `header_count` values.
    pub header_values: *const bifrost_str,
    /// How many headers.
    pub header_count: usize,
    /// The body.
    pub body: bifrost_bytes,
}

/// Since 1.6: kinds of `bifrost_config` value.
pub type bifrost_config_kind = i32;
/// JSON null.
pub const BIFROST_CONFIG_NULL: bifrost_config_kind = 0;
/// JSON true or false.
pub const BIFROST_CONFIG_BOOL: bifrost_config_kind = 1;
/// A JSON number.
pub const BIFROST_CONFIG_NUMBER: bifrost_config_kind = 2;
/// A JSON string.
pub const BIFROST_CONFIG_STRING: bifrost_config_kind = 3;
/// A JSON array.
pub const BIFROST_CONFIG_ARRAY: bifrost_config_kind = 4;
/// A JSON object.
pub const BIFROST_CONFIG_OBJECT: bifrost_config_kind = 5;

/// The plugin asks to be fail-open unless its configuration says otherwise.
pub const BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT: u64 = 1 << 0;

/// The plugin's table, returned by `bifrost_plugin_create`; valid until `destroy` returns.
#[repr(C)]
pub struct bifrost_plugin {
    /// `size_of::<bifrost_plugin>()`.
    pub struct_size: u32,
    /// [`BIFROST_ABI_VERSION_MAJOR`].
    pub abi_major: u16,
    /// [`BIFROST_ABI_VERSION_MINOR`].
    pub abi_minor: u16,
    /// NUL-terminated: 1-64 characters of `[a-z0-9._-]`, starting with a letter or digit.
    pub name: *const c_char,
    /// NUL-terminated free-form version.
    pub version: *const c_char,
    /// `BIFROST_PLUGIN_FLAG_*` bits.
    pub flags: u64,
    /// Passed back to every hook and to `destroy`.
    pub instance: *mut c_void,
    /// NULL when not provided.
    pub pre_hook: bifrost_pre_hook_fn,
    /// NULL when not provided.
    pub post_hook: bifrost_post_hook_fn,
    /// NULL when not provided.
    pub destroy: bifrost_destroy_fn,
    /// Since 1.1; NULL when not provided.
    pub chunk_hook: bifrost_chunk_hook_fn,
    /// Since 1.4; NULL when not provided.
    pub export_state: bifrost_export_state_fn,
    /// Since 1.5: the exported commands; NULL with a count of 0 when none.
    pub commands: *const bifrost_command,
    /// Since 1.5: how many `commands` there are.
    pub command_count: usize,
    /// Since 1.6: `BIFROST_CAPABILITY_*` bits.
    pub capabilities: u64,
}

type Token = *mut bifrost_plugin_token;
type Context = *mut bifrost_context;
type Request = *mut bifrost_request;
type Outcome = *mut bifrost_outcome;
type Response = *mut bifrost_response;
type Chunk = *mut bifrost_chunk;
type Error = *mut bifrost_error;
type Metric = *mut bifrost_metric;
type Series = *mut bifrost_metric_series;
type Str = bifrost_str;
type StrOut = *mut bifrost_str;
type Status = bifrost_status;
type Config = *const bifrost_config;

/// The host's table, passed to `bifrost_plugin_create`; valid for the life of the process.
/// Append-only: a slot exists only if `struct_size` covers it.
#[repr(C)]
pub struct bifrost_host_api {
    /// The table's size as the host was compiled.
    pub struct_size: u32,
    /// The host's ABI major.
    pub abi_major: u16,
    /// The host's ABI minor.
    pub abi_minor: u16,

    /// Refuses creation with a message.
    pub set_create_error: Option<unsafe extern "C" fn(token: Token, message: Str) -> Status>,
    /// A log line attributed to the plugin; any thread, any time.
    pub log: Option<unsafe extern "C" fn(token: Token, level: bifrost_log_level, message: Str) -> Status>,
    /// Monotonic clock in nanoseconds.
    pub monotonic_now_ns: Option<unsafe extern "C" fn() -> u64>,

    /// Records why the current hook fails.
    pub report_fault: Option<unsafe extern "C" fn(context: Context, message: Str) -> Status>,

    /// Reads a per-request value.
    pub context_get: Option<unsafe extern "C" fn(context: Context, key: Str, value_out: *mut bifrost_value) -> Status>,
    /// Sets (kind NULL: removes) a per-request value.
    pub context_set: Option<unsafe extern "C" fn(context: Context, key: Str, value: *const bifrost_value) -> Status>,
    /// The request id.
    pub context_request_id: Option<unsafe extern "C" fn(context: Context, id_out: StrOut) -> Status>,
    /// Wall-clock arrival, ns since the Unix epoch.
    pub context_arrival_time_ns: Option<unsafe extern "C" fn(context: Context, ns_out: *mut u64) -> Status>,
    /// Who sent the request (never a secret).
    pub context_client_id: Option<unsafe extern "C" fn(context: Context, client_out: StrOut) -> Status>,
    /// The route, e.g. "/v1/chat/completions".
    pub context_route: Option<unsafe extern "C" fn(context: Context, route_out: StrOut) -> Status>,

    /// The request's provider.
    pub request_get_provider: Option<unsafe extern "C" fn(request: Request, provider_out: StrOut) -> Status>,
    /// Sets the request's provider.
    pub request_set_provider: Option<unsafe extern "C" fn(request: Request, provider: Str) -> Status>,
    /// The request's model.
    pub request_get_model: Option<unsafe extern "C" fn(request: Request, model_out: StrOut) -> Status>,
    /// Sets the request's model.
    pub request_set_model: Option<unsafe extern "C" fn(request: Request, model: Str) -> Status>,

    /// How many messages.
    pub request_message_count: Option<unsafe extern "C" fn(request: Request, count_out: *mut usize) -> Status>,
    /// One message's role and content.
    pub request_message_get:
        Option<unsafe extern "C" fn(request: Request, index: usize, role_out: StrOut, content_out: StrOut) -> Status>,
    /// Replaces one message.
    pub request_message_set: Option<unsafe extern "C" fn(request: Request, index: usize, role: Str, content: Str) -> Status>,
    /// Inserts before `index`; `index == count` appends.
    pub request_message_insert: Option<unsafe extern "C" fn(request: Request, index: usize, role: Str, content: Str) -> Status>,
    /// Removes one message.
    pub request_message_remove: Option<unsafe extern "C" fn(request: Request, index: usize) -> Status>,

    /// A parameter by its OpenAI name.
    pub request_get_param: Option<unsafe extern "C" fn(request: Request, name: Str, value_out: *mut bifrost_value) -> Status>,
    /// Sets (kind NULL: removes) a parameter.
    pub request_set_param: Option<unsafe extern "C" fn(request: Request, name: Str, value: *const bifrost_value) -> Status>,

    /// A request header (case-insensitive).
    pub request_get_header: Option<unsafe extern "C" fn(request: Request, name: Str, value_out: StrOut) -> Status>,
    /// Sets a request header.
    pub request_set_header: Option<unsafe extern "C" fn(request: Request, name: Str, value: Str) -> Status>,
    /// Removes a request header.
    pub request_remove_header: Option<unsafe extern "C" fn(request: Request, name: Str) -> Status>,

    /// Free-form metadata.
    pub request_get_metadata: Option<unsafe extern "C" fn(request: Request, key: Str, value_out: StrOut) -> Status>,
    /// Sets metadata.
    pub request_set_metadata: Option<unsafe extern "C" fn(request: Request, key: Str, value: Str) -> Status>,

    /// The slow path: the request as OpenAI chat JSON.
    pub request_to_json: Option<unsafe extern "C" fn(request: Request, json_out: StrOut) -> Status>,
    /// The slow path: replaces the request from OpenAI chat JSON.
    pub request_replace_from_json: Option<unsafe extern "C" fn(request: Request, json: Str) -> Status>,

    /// The outcome's response; WRONG_STATE for an error or empty outcome.
    pub outcome_get_response: Option<unsafe extern "C" fn(outcome: Outcome, response_out: *mut Response) -> Status>,
    /// The outcome's error; WRONG_STATE for a response or empty outcome.
    pub outcome_get_error: Option<unsafe extern "C" fn(outcome: Outcome, error_out: *mut Error) -> Status>,
    /// Replaces the outcome with an empty response to fill.
    pub outcome_set_response: Option<unsafe extern "C" fn(outcome: Outcome, response_out: *mut Response) -> Status>,
    /// Replaces the outcome with an error (status 400-599).
    pub outcome_set_error: Option<
        unsafe extern "C" fn(outcome: Outcome, http_status: i32, kind: Str, message: Str, error_out: *mut Error) -> Status,
    >,

    /// How many choices.
    pub response_choice_count: Option<unsafe extern "C" fn(response: Response, count_out: *mut usize) -> Status>,
    /// A choice's content.
    pub response_get_content: Option<unsafe extern "C" fn(response: Response, choice: usize, content_out: StrOut) -> Status>,
    /// Sets a choice's content.
    pub response_set_content: Option<unsafe extern "C" fn(response: Response, choice: usize, content: Str) -> Status>,
    /// A choice's finish reason.
    pub response_get_finish_reason: Option<unsafe extern "C" fn(response: Response, choice: usize, reason_out: StrOut) -> Status>,
    /// Sets a choice's finish reason.
    pub response_set_finish_reason: Option<unsafe extern "C" fn(response: Response, choice: usize, reason: Str) -> Status>,
    /// Appends an assistant choice.
    pub response_append_choice: Option<unsafe extern "C" fn(response: Response, content: Str, finish_reason: Str) -> Status>,
    /// The usage.
    pub response_get_usage: Option<unsafe extern "C" fn(response: Response, usage_out: *mut bifrost_usage) -> Status>,
    /// Sets the usage.
    pub response_set_usage: Option<unsafe extern "C" fn(response: Response, usage: *const bifrost_usage) -> Status>,
    /// The provider that served the response.
    pub response_get_provider: Option<unsafe extern "C" fn(response: Response, provider_out: StrOut) -> Status>,
    /// The model that served the response.
    pub response_get_model: Option<unsafe extern "C" fn(response: Response, model_out: StrOut) -> Status>,
    /// Sets the response's model.
    pub response_set_model: Option<unsafe extern "C" fn(response: Response, model: Str) -> Status>,
    /// A header sent to the client with the response.
    pub response_get_header: Option<unsafe extern "C" fn(response: Response, name: Str, value_out: StrOut) -> Status>,
    /// Sets a header sent to the client with the response.
    pub response_set_header: Option<unsafe extern "C" fn(response: Response, name: Str, value: Str) -> Status>,
    /// The slow path: the response as OpenAI JSON.
    pub response_to_json: Option<unsafe extern "C" fn(response: Response, json_out: StrOut) -> Status>,
    /// The slow path: replaces the response from OpenAI JSON.
    pub response_replace_from_json: Option<unsafe extern "C" fn(response: Response, json: Str) -> Status>,

    /// The error's HTTP status.
    pub error_get_status: Option<unsafe extern "C" fn(error: Error, http_status_out: *mut i32) -> Status>,
    /// Sets the error's HTTP status.
    pub error_set_status: Option<unsafe extern "C" fn(error: Error, http_status: i32) -> Status>,
    /// The error's type.
    pub error_get_type: Option<unsafe extern "C" fn(error: Error, type_out: StrOut) -> Status>,
    /// Sets the error's type.
    pub error_set_type: Option<unsafe extern "C" fn(error: Error, kind: Str) -> Status>,
    /// The error's code; NOT_FOUND when none.
    pub error_get_code: Option<unsafe extern "C" fn(error: Error, code_out: StrOut) -> Status>,
    /// Sets the error's code.
    pub error_set_code: Option<unsafe extern "C" fn(error: Error, code: Str) -> Status>,
    /// The error's message.
    pub error_get_message: Option<unsafe extern "C" fn(error: Error, message_out: StrOut) -> Status>,
    /// Sets the error's message.
    pub error_set_message: Option<unsafe extern "C" fn(error: Error, message: Str) -> Status>,
    /// Sets a header sent with the error.
    pub error_set_header: Option<unsafe extern "C" fn(error: Error, name: Str, value: Str) -> Status>,
    /// A header sent with the error.
    pub error_get_header: Option<unsafe extern "C" fn(error: Error, name: Str, value_out: StrOut) -> Status>,

    /// Since 1.1: how many choices the chunk has.
    pub chunk_choice_count: Option<unsafe extern "C" fn(chunk: Chunk, count_out: *mut usize) -> Status>,
    /// Since 1.1: a choice's delta text; NOT_FOUND when none.
    pub chunk_get_content: Option<unsafe extern "C" fn(chunk: Chunk, choice: usize, content_out: StrOut) -> Status>,
    /// Since 1.1: sets a choice's delta text.
    pub chunk_set_content: Option<unsafe extern "C" fn(chunk: Chunk, choice: usize, content: Str) -> Status>,
    /// Since 1.1: a choice's finish reason; NOT_FOUND until its last delta.
    pub chunk_get_finish_reason: Option<unsafe extern "C" fn(chunk: Chunk, choice: usize, reason_out: StrOut) -> Status>,
    /// Since 1.1: the chunk's usage; NOT_FOUND unless it carries usage.
    pub chunk_get_usage: Option<unsafe extern "C" fn(chunk: Chunk, usage_out: *mut bifrost_usage) -> Status>,
    /// Since 1.1: the chunk's model.
    pub chunk_get_model: Option<unsafe extern "C" fn(chunk: Chunk, model_out: StrOut) -> Status>,

    /// Since 1.2: defines a metric family, only while `bifrost_plugin_create` runs.
    pub metric_define:
        Option<unsafe extern "C" fn(token: Token, spec: *const bifrost_metric_spec, metric_out: *mut Metric) -> Status>,
    /// Since 1.2: adds to a counter or gauge, observes a histogram value.
    pub metric_record:
        Option<unsafe extern "C" fn(metric: Metric, label_values: *const Str, label_count: usize, value: f64) -> Status>,
    /// Since 1.2: sets a gauge.
    pub metric_set:
        Option<unsafe extern "C" fn(metric: Metric, label_values: *const Str, label_count: usize, value: f64) -> Status>,
    /// Since 1.2: one label combination, for recording without a lookup.
    pub metric_series: Option<
        unsafe extern "C" fn(metric: Metric, label_values: *const Str, label_count: usize, series_out: *mut Series) -> Status,
    >,
    /// Since 1.2: records into a series.
    pub metric_series_record: Option<unsafe extern "C" fn(series: Series, value: f64) -> Status>,
    /// Since 1.2: sets a gauge series.
    pub metric_series_set: Option<unsafe extern "C" fn(series: Series, value: f64) -> Status>,

    /// Since 1.2: how long to wait before the PreHook runs again.
    pub outcome_set_wait: Option<unsafe extern "C" fn(outcome: Outcome, delay_ns: u64) -> Status>,

    /// Since 1.2: how many parameters.
    pub request_param_count: Option<unsafe extern "C" fn(request: Request, count_out: *mut usize) -> Status>,
    /// Since 1.2: a parameter's name by position.
    pub request_param_name: Option<unsafe extern "C" fn(request: Request, index: usize, name_out: StrOut) -> Status>,

    /// Since 1.2: the request as canonical JSON without the listed parameters.
    pub request_to_canonical_json:
        Option<unsafe extern "C" fn(request: Request, omit_params: *const Str, omit_count: usize, json_out: StrOut) -> Status>,

    /// Since 1.2: a header of the client's answer, whatever it turns out to be.
    pub context_set_response_header: Option<unsafe extern "C" fn(context: Context, name: Str, value: Str) -> Status>,

    /// Since 1.2: who caused an error.
    pub error_get_source: Option<unsafe extern "C" fn(error: Error, kind_out: StrOut, name_out: StrOut) -> Status>,

    /// Since 1.3: how many tool calls a request message has.
    pub request_message_tool_call_count:
        Option<unsafe extern "C" fn(request: Request, message: usize, count_out: *mut usize) -> Status>,
    /// Since 1.3: one tool call of a request message.
    pub request_message_tool_call_get: Option<
        unsafe extern "C" fn(
            request: Request,
            message: usize,
            call: usize,
            id_out: StrOut,
            name_out: StrOut,
            arguments_out: StrOut,
        ) -> Status,
    >,
    /// Since 1.3: the `tool_call_id` a tool message answers.
    pub request_message_tool_call_id: Option<unsafe extern "C" fn(request: Request, message: usize, id_out: StrOut) -> Status>,

    /// Since 1.3: how many tool calls a response choice has.
    pub response_tool_call_count:
        Option<unsafe extern "C" fn(response: Response, choice: usize, count_out: *mut usize) -> Status>,
    /// Since 1.3: one tool call of a response choice.
    pub response_tool_call_get: Option<
        unsafe extern "C" fn(
            response: Response,
            choice: usize,
            call: usize,
            id_out: StrOut,
            name_out: StrOut,
            arguments_out: StrOut,
        ) -> Status,
    >,
    /// Since 1.3: removes one tool call from a choice.
    pub response_remove_tool_call: Option<unsafe extern "C" fn(response: Response, choice: usize, call: usize) -> Status>,
    /// Since 1.3: a choice's reasoning text.
    pub response_get_reasoning: Option<unsafe extern "C" fn(response: Response, choice: usize, reasoning_out: StrOut) -> Status>,
    /// Since 1.3: a choice's refusal text.
    pub response_get_refusal: Option<unsafe extern "C" fn(response: Response, choice: usize, refusal_out: StrOut) -> Status>,

    /// Since 1.3: how many tool-call pieces a chunk choice's delta has.
    pub chunk_tool_call_count: Option<unsafe extern "C" fn(chunk: Chunk, choice: usize, count_out: *mut usize) -> Status>,
    /// Since 1.3: one tool-call piece of a delta.
    pub chunk_tool_call_get: Option<
        unsafe extern "C" fn(
            chunk: Chunk,
            choice: usize,
            piece: usize,
            index_out: *mut i64,
            id_out: StrOut,
            name_out: StrOut,
            arguments_out: StrOut,
        ) -> Status,
    >,
    /// Since 1.3: the reasoning text a delta adds.
    pub chunk_get_reasoning: Option<unsafe extern "C" fn(chunk: Chunk, choice: usize, reasoning_out: StrOut) -> Status>,

    /// Since 1.3: a response's usage details.
    pub response_get_usage_details: Option<unsafe extern "C" fn(response: Response, out: *mut bifrost_usage_details) -> Status>,
    /// Since 1.3: a chunk's usage details; NOT_FOUND unless it carries usage.
    pub chunk_get_usage_details: Option<unsafe extern "C" fn(chunk: Chunk, out: *mut bifrost_usage_details) -> Status>,

    /// Since 1.4, only during `export_state`: appends bytes (copied) to the state handed on.
    pub state_write: Option<unsafe extern "C" fn(writer: *mut bifrost_state_writer, bytes: bifrost_bytes) -> Status>,
    /// Since 1.4, only during `bifrost_plugin_create`: the state the replaced instance handed
    /// on, borrowed until create returns; NOT_FOUND when none.
    pub get_handed_state: Option<unsafe extern "C" fn(token: Token, state_out: *mut bifrost_bytes) -> Status>,

    /// Since 1.6, only during `bifrost_plugin_create`: the whole configuration document.
    pub config_root: Option<unsafe extern "C" fn(token: Token, root_out: *mut Config) -> Status>,
    /// Since 1.6: the value at `path` below `node`.
    pub config_lookup: Option<unsafe extern "C" fn(node: Config, path: Str, value_out: *mut Config) -> Status>,
    /// Since 1.6: the kind of the value at `path`.
    pub config_kind: Option<unsafe extern "C" fn(node: Config, path: Str, kind_out: *mut bifrost_config_kind) -> Status>,
    /// Since 1.6: a string, borrowed until create returns.
    pub config_get_string: Option<unsafe extern "C" fn(node: Config, path: Str, value_out: StrOut) -> Status>,
    /// Since 1.6: a number as a double.
    pub config_get_double: Option<unsafe extern "C" fn(node: Config, path: Str, value_out: *mut f64) -> Status>,
    /// Since 1.6: an integer.
    pub config_get_int64: Option<unsafe extern "C" fn(node: Config, path: Str, value_out: *mut i64) -> Status>,
    /// Since 1.6: a bool as 0 or 1.
    pub config_get_bool: Option<unsafe extern "C" fn(node: Config, path: Str, value_out: *mut i32) -> Status>,
    /// Since 1.6: an array's length or an object's member count.
    pub config_count: Option<unsafe extern "C" fn(node: Config, path: Str, count_out: *mut usize) -> Status>,
    /// Since 1.6: an array's element by position.
    pub config_element: Option<unsafe extern "C" fn(node: Config, path: Str, index: usize, value_out: *mut Config) -> Status>,
    /// Since 1.6: an object's member by position: its name and value.
    pub config_member:
        Option<unsafe extern "C" fn(node: Config, path: Str, index: usize, name_out: StrOut, value_out: *mut Config) -> Status>,
    /// Since 1.6: refuses creation over one field, the message naming its path.
    pub config_refuse: Option<unsafe extern "C" fn(token: Token, node: Config, path: Str, message: Str) -> Status>,

    /// Since 1.7: adds to a counter in a window and reads it (a read), or only adds (a write,
    /// both out-pointers NULL).
    pub state_counter_add: Option<
        unsafe extern "C" fn(
            context: Context,
            key: Str,
            amount: i64,
            window_ms: u64,
            value_out: *mut i64,
            resets_in_ms_out: *mut u64,
        ) -> Status,
    >,
    /// Since 1.7: the value stored under a key (a read).
    pub state_value_get: Option<unsafe extern "C" fn(context: Context, key: Str, value_out: *mut bifrost_bytes) -> Status>,
    /// Since 1.7: stores a value with a time to live (a write).
    pub state_value_set: Option<unsafe extern "C" fn(context: Context, key: Str, value: bifrost_bytes, ttl_ms: u64) -> Status>,
    /// Since 1.7: removes a value (a write).
    pub state_value_remove: Option<unsafe extern "C" fn(context: Context, key: Str) -> Status>,
    /// Since 1.7: sends an HTTP request (a read).
    pub callout: Option<
        unsafe extern "C" fn(
            context: Context,
            request: *const bifrost_callout_request,
            response_out: *mut bifrost_callout_response,
        ) -> Status,
    >,
}

/// `bifrost_plugin_create_fn`: the one symbol a plugin exports, `bifrost_plugin_create`.
pub type bifrost_plugin_create_fn = Option<
    unsafe extern "C" fn(
        host: *const bifrost_host_api,
        token: *mut bifrost_plugin_token,
        config: *const c_char,
        config_len: usize,
    ) -> *const bifrost_plugin,
>;
