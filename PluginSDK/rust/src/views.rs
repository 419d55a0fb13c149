//! Safe borrowed views over the handles a hook receives.
//!
//! A view lives only as long as the hook call (`'h`): the header makes a handle valid only
//! during the hook that received it, so views are neither `Send` nor `Sync` and cannot be kept.
//! Strings read through a view are borrowed from the host until the hook returns, without a
//! copy. Every call checks the host's `struct_size` before using a function added after 1.0.
//! `BIFROST_ERR_NOT_FOUND` reads as `None`; any other failure is a [`HostError`], which the
//! hook can return with `?` to fault.

use crate::host::{borrow, check, empty, found, lend, with_lent, Host, HostError, LogLevel, NotSend};
use crate::sys;

/// A request parameter or context value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// JSON null. Setting it removes the key or parameter.
    Null,
    /// A boolean.
    Bool(bool),
    /// A finite number.
    Number(f64),
    /// A string.
    String(&'a str),
    /// An array or object, as JSON text.
    Json(&'a str),
}

impl<'a> Value<'a> {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&'a str> {
        match *self {
            Value::String(text) => Some(text),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Number(number) => Some(number),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match *self {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    fn to_raw(self) -> sys::bifrost_value {
        let mut raw = sys::bifrost_value { kind: sys::BIFROST_VALUE_NULL, boolean: 0, number: 0.0, string: lend("") };
        match self {
            Value::Null => {}
            Value::Bool(flag) => {
                raw.kind = sys::BIFROST_VALUE_BOOL;
                raw.boolean = i32::from(flag);
            }
            Value::Number(number) => {
                raw.kind = sys::BIFROST_VALUE_NUMBER;
                raw.number = number;
            }
            Value::String(text) => {
                raw.kind = sys::BIFROST_VALUE_STRING;
                raw.string = lend(text);
            }
            Value::Json(text) => {
                raw.kind = sys::BIFROST_VALUE_JSON;
                raw.string = lend(text);
            }
        }
        raw
    }

    /// # Safety
    /// `raw` must come from the host during the hook that `'a` spans.
    unsafe fn from_raw(raw: &sys::bifrost_value, function: &'static str) -> Result<Value<'a>, HostError> {
        Ok(match raw.kind {
            sys::BIFROST_VALUE_BOOL => Value::Bool(raw.boolean != 0),
            sys::BIFROST_VALUE_NUMBER => Value::Number(raw.number),
            // SAFETY: the caller's promise: the value comes from the host during this hook.
            sys::BIFROST_VALUE_STRING => Value::String(unsafe { borrow(raw.string, function) }?),
            // SAFETY: as above.
            sys::BIFROST_VALUE_JSON => Value::Json(unsafe { borrow(raw.string, function) }?),
            _ => Value::Null,
        })
    }
}

fn empty_value() -> sys::bifrost_value {
    sys::bifrost_value { kind: sys::BIFROST_VALUE_NULL, boolean: 0, number: 0.0, string: empty() }
}

/// Token counts of a response or chunk.
pub type Usage = sys::bifrost_usage;

/// The details behind the token counts (ABI 1.3); `None` where the provider did not report one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UsageDetails {
    /// Prompt tokens read from the provider's prompt cache (included in the prompt tokens).
    pub cached_prompt_tokens: Option<i64>,
    /// Prompt tokens written to the prompt cache.
    pub cache_creation_prompt_tokens: Option<i64>,
    /// Generated tokens spent reasoning (included in the completion tokens).
    pub reasoning_tokens: Option<i64>,
}

impl UsageDetails {
    fn read(
        call: impl FnOnce(*mut sys::bifrost_usage_details) -> sys::bifrost_status,
        function: &'static str,
    ) -> Result<Option<UsageDetails>, HostError> {
        // -1 is the header's "not reported"; fields a shorter host does not write stay -1.
        let mut raw = sys::bifrost_usage_details {
            struct_size: std::mem::size_of::<sys::bifrost_usage_details>() as u32,
            cached_prompt_tokens: -1,
            cache_creation_prompt_tokens: -1,
            reasoning_tokens: -1,
        };
        if !found(call(&mut raw), function)? {
            return Ok(None);
        }
        let known = |count: i64| if count < 0 { None } else { Some(count) };
        Ok(Some(UsageDetails {
            cached_prompt_tokens: known(raw.cached_prompt_tokens),
            cache_creation_prompt_tokens: known(raw.cache_creation_prompt_tokens),
            reasoning_tokens: known(raw.reasoning_tokens),
        }))
    }
}

/// One tool call of a request message or response choice (ABI 1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolCall<'h> {
    /// The call's id.
    pub id: &'h str,
    /// The function's name.
    pub name: &'h str,
    /// The arguments' JSON text as sent.
    pub arguments: &'h str,
}

/// One tool-call piece of a streamed delta (ABI 1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ToolCallPiece<'h> {
    /// The call's position among the choice's calls: ties its pieces together.
    pub index: i64,
    /// The call's id, on its first piece; empty on later ones.
    pub id: &'h str,
    /// The function's name, on its first piece; empty on later ones.
    pub name: &'h str,
    /// A part of the arguments' JSON text, possibly empty.
    pub arguments: &'h str,
}

/// Reads one string through a host getter; `None` for NOT_FOUND.
fn read_str<'h>(
    function: &'static str,
    call: impl FnOnce(*mut sys::bifrost_str) -> sys::bifrost_status,
) -> Result<Option<&'h str>, HostError> {
    let mut out = empty();
    if !found(call(&mut out), function)? {
        return Ok(None);
    }
    // SAFETY: the host just handed the string out during this hook.
    unsafe { borrow(out, function) }.map(Some)
}

/// Reads a string the host always has (a model, a request id): NOT_FOUND is an error too.
fn read_required<'h>(
    function: &'static str,
    call: impl FnOnce(*mut sys::bifrost_str) -> sys::bifrost_status,
) -> Result<&'h str, HostError> {
    let mut out = empty();
    check(call(&mut out), function)?;
    // SAFETY: the host just handed the string out during this hook.
    unsafe { borrow(out, function) }
}

fn read_count(function: &'static str, call: impl FnOnce(*mut usize) -> sys::bifrost_status) -> Result<usize, HostError> {
    let mut count = 0usize;
    check(call(&mut count), function)?;
    Ok(count)
}

/// Reads a tool call through a getter of (id, name, arguments).
fn read_tool_call<'h>(
    function: &'static str,
    call: impl FnOnce(*mut sys::bifrost_str, *mut sys::bifrost_str, *mut sys::bifrost_str) -> sys::bifrost_status,
) -> Result<ToolCall<'h>, HostError> {
    let (mut id, mut name, mut arguments) = (empty(), empty(), empty());
    check(call(&mut id, &mut name, &mut arguments), function)?;
    // SAFETY: the host just handed the strings out during this hook.
    unsafe { Ok(ToolCall { id: borrow(id, function)?, name: borrow(name, function)?, arguments: borrow(arguments, function)? }) }
}

/// The per-request context: values shared by every hook of one request, and fixed facts.
pub struct Context<'h> {
    raw: *mut sys::bifrost_context,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> Context<'h> {
    /// Wraps a context handle a hook received.
    ///
    /// # Safety
    /// `raw` must be the context handle of the running hook; the view must not outlive it.
    pub unsafe fn from_raw(raw: *mut sys::bifrost_context, host: &'h Host) -> Self {
        Context { raw, host, _thread: NotSend::default() }
    }

    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_context {
        self.raw
    }

    /// The host (logging, clock, raw table).
    pub fn host(&self) -> &'h Host {
        self.host
    }

    /// Writes a log line attributed to the plugin.
    pub fn log(&self, level: LogLevel, message: &str) {
        self.host.log(level, message)
    }

    /// A value set by this or another plugin's hook for this request, or one of the host's
    /// read-only `bifrost.` keys; `None` when absent.
    pub fn get(&self, key: &str) -> Result<Option<Value<'h>>, HostError> {
        let get = host_fn!(self.host.raw(), context_get)?;
        let mut out = empty_value();
        // SAFETY: a live handle, a lent key and a local out-value.
        if !found(unsafe { get(self.raw, lend(key), &mut out) }, "context_get")? {
            return Ok(None);
        }
        // SAFETY: the host just handed the value out during this hook.
        unsafe { Value::from_raw(&out, "context_get") }.map(Some)
    }

    /// Sets a value for later hooks of this request (the host copies it); [`Value::Null`]
    /// removes the key. Namespace your keys (`my-plugin.start`).
    pub fn set(&self, key: &str, value: Value<'_>) -> Result<(), HostError> {
        let set = host_fn!(self.host.raw(), context_set)?;
        let raw = value.to_raw();
        // SAFETY: a live handle; key and value lent for the call.
        check(unsafe { set(self.raw, lend(key), &raw) }, "context_set")
    }

    /// The request id (also the client's `x-request-id`).
    pub fn request_id(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.host.raw(), context_request_id)?;
        // SAFETY: a live handle.
        read_required("context_request_id", |out| unsafe { get(self.raw, out) })
    }

    /// Wall-clock arrival time, nanoseconds since the Unix epoch.
    pub fn arrival_time_ns(&self) -> Result<u64, HostError> {
        let get = host_fn!(self.host.raw(), context_arrival_time_ns)?;
        let mut ns = 0u64;
        // SAFETY: a live handle and a local out-value.
        check(unsafe { get(self.raw, &mut ns) }, "context_arrival_time_ns")?;
        Ok(ns)
    }

    /// Who sent the request, as the transport identified it (never a secret).
    pub fn client_id(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.host.raw(), context_client_id)?;
        // SAFETY: a live handle.
        read_required("context_client_id", |out| unsafe { get(self.raw, out) })
    }

    /// The route, e.g. `/v1/chat/completions`.
    pub fn route(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.host.raw(), context_route)?;
        // SAFETY: a live handle.
        read_required("context_route", |out| unsafe { get(self.raw, out) })
    }

    /// A header of the client's answer, whatever it turns out to be (ABI 1.2).
    pub fn set_response_header(&self, name: &str, value: &str) -> Result<(), HostError> {
        let set = host_fn!(self.host.raw(), context_set_response_header)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { set(self.raw, lend(name), lend(value)) }, "context_set_response_header")
    }

    /// Records why the running hook fails; the SDK calls it when a hook returns an error or panics.
    pub(crate) fn report_fault(&self, message: &str) {
        if let Ok(report) = host_fn!(self.host.raw(), report_fault) {
            // SAFETY: a live handle; the message is lent for the call.
            unsafe { report(self.raw, lend(message)) };
        }
    }
}

/// The chat request as a PreHook sees it.
pub struct Request<'h> {
    raw: *mut sys::bifrost_request,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> Request<'h> {
    /// Wraps a request handle a hook received.
    ///
    /// # Safety
    /// `raw` must be the request handle of the running hook; the view must not outlive it.
    pub unsafe fn from_raw(raw: *mut sys::bifrost_request, host: &'h Host) -> Self {
        Request { raw, host, _thread: NotSend::default() }
    }

    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_request {
        self.raw
    }

    fn api(&self) -> &'static sys::bifrost_host_api {
        self.host.raw()
    }

    /// The provider (`mock` of `mock/echo`); empty when the client named a bare model.
    pub fn provider(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), request_get_provider)?;
        // SAFETY: a live handle.
        read_required("request_get_provider", |out| unsafe { get(self.raw, out) })
    }

    /// Routes the request to another provider.
    pub fn set_provider(&self, provider: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_set_provider)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(provider)) }, "request_set_provider")
    }

    /// The model (`echo` of `mock/echo`).
    pub fn model(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), request_get_model)?;
        // SAFETY: a live handle.
        read_required("request_get_model", |out| unsafe { get(self.raw, out) })
    }

    /// Changes the model.
    pub fn set_model(&self, model: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_set_model)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(model)) }, "request_set_model")
    }

    /// How many messages the request has.
    pub fn message_count(&self) -> Result<usize, HostError> {
        let count = host_fn!(self.api(), request_message_count)?;
        // SAFETY: a live handle.
        read_count("request_message_count", |out| unsafe { count(self.raw, out) })
    }

    /// One message's `(role, content)`.
    pub fn message(&self, index: usize) -> Result<(&'h str, &'h str), HostError> {
        let get = host_fn!(self.api(), request_message_get)?;
        let (mut role, mut content) = (empty(), empty());
        // SAFETY: a live handle; the host checks the index.
        check(unsafe { get(self.raw, index, &mut role, &mut content) }, "request_message_get")?;
        // SAFETY: the host just handed the strings out during this hook.
        unsafe { Ok((borrow(role, "request_message_get")?, borrow(content, "request_message_get")?)) }
    }

    /// Replaces one message.
    pub fn set_message(&self, index: usize, role: &str, content: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_message_set)?;
        // SAFETY: a live handle; strings lent for the call; the host checks the index.
        check(unsafe { set(self.raw, index, lend(role), lend(content)) }, "request_message_set")
    }

    /// Inserts a message before `index`; `index == message_count()` appends.
    pub fn insert_message(&self, index: usize, role: &str, content: &str) -> Result<(), HostError> {
        let insert = host_fn!(self.api(), request_message_insert)?;
        // SAFETY: a live handle; strings lent for the call; the host checks the index.
        check(unsafe { insert(self.raw, index, lend(role), lend(content)) }, "request_message_insert")
    }

    /// Removes one message.
    pub fn remove_message(&self, index: usize) -> Result<(), HostError> {
        let remove = host_fn!(self.api(), request_message_remove)?;
        // SAFETY: a live handle; the host checks the index.
        check(unsafe { remove(self.raw, index) }, "request_message_remove")
    }

    /// A parameter by its OpenAI name (`temperature`, `max_tokens`, …); `None` when absent.
    pub fn param(&self, name: &str) -> Result<Option<Value<'h>>, HostError> {
        let get = host_fn!(self.api(), request_get_param)?;
        let mut out = empty_value();
        // SAFETY: a live handle, a lent name and a local out-value.
        if !found(unsafe { get(self.raw, lend(name), &mut out) }, "request_get_param")? {
            return Ok(None);
        }
        // SAFETY: the host just handed the value out during this hook.
        unsafe { Value::from_raw(&out, "request_get_param") }.map(Some)
    }

    /// Sets a parameter; [`Value::Null`] removes it.
    pub fn set_param(&self, name: &str, value: Value<'_>) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_set_param)?;
        let raw = value.to_raw();
        // SAFETY: a live handle; name and value lent for the call.
        check(unsafe { set(self.raw, lend(name), &raw) }, "request_set_param")
    }

    /// The names of every parameter, in the order the client sent them (ABI 1.2).
    pub fn param_names(&self) -> Result<Vec<&'h str>, HostError> {
        let count = host_fn!(self.api(), request_param_count)?;
        let name = host_fn!(self.api(), request_param_name)?;
        // SAFETY: a live handle.
        let total = read_count("request_param_count", |out| unsafe { count(self.raw, out) })?;
        // SAFETY: a live handle; indices below the count.
        (0..total).map(|index| read_required("request_param_name", |out| unsafe { name(self.raw, index, out) })).collect()
    }

    /// A request header (names are case-insensitive); `None` when absent.
    pub fn header(&self, name: &str) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), request_get_header)?;
        // SAFETY: a live handle; the name is lent for the call.
        read_str("request_get_header", |out| unsafe { get(self.raw, lend(name), out) })
    }

    /// Sets a request header (sent upstream).
    pub fn set_header(&self, name: &str, value: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_set_header)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { set(self.raw, lend(name), lend(value)) }, "request_set_header")
    }

    /// Removes a request header.
    pub fn remove_header(&self, name: &str) -> Result<(), HostError> {
        let remove = host_fn!(self.api(), request_remove_header)?;
        // SAFETY: a live handle; the name is lent for the call.
        check(unsafe { remove(self.raw, lend(name)) }, "request_remove_header")
    }

    /// Free-form metadata travelling with the request; `None` when absent.
    pub fn metadata(&self, key: &str) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), request_get_metadata)?;
        // SAFETY: a live handle; the key is lent for the call.
        read_str("request_get_metadata", |out| unsafe { get(self.raw, lend(key), out) })
    }

    /// Sets metadata.
    pub fn set_metadata(&self, key: &str, value: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), request_set_metadata)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { set(self.raw, lend(key), lend(value)) }, "request_set_metadata")
    }

    /// The slow path: the whole request as OpenAI chat JSON (microseconds; prefer accessors).
    pub fn to_json(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), request_to_json)?;
        // SAFETY: a live handle.
        read_required("request_to_json", |out| unsafe { get(self.raw, out) })
    }

    /// The slow path: replaces the request from OpenAI chat JSON.
    pub fn replace_from_json(&self, json: &str) -> Result<(), HostError> {
        let replace = host_fn!(self.api(), request_replace_from_json)?;
        // SAFETY: a live handle; the JSON is lent for the call.
        check(unsafe { replace(self.raw, lend(json)) }, "request_replace_from_json")
    }

    /// The request as canonical JSON (keys sorted, no whitespace) without the listed
    /// parameters: a cache key (ABI 1.2).
    pub fn canonical_json(&self, omit: &[&str]) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), request_to_canonical_json)?;
        with_lent(omit, |names| {
            // SAFETY: a live handle; the names are lent for the call.
            read_required("request_to_canonical_json", |out| unsafe { get(self.raw, names.as_ptr(), names.len(), out) })
        })
    }

    /// The tool calls of a request message (an assistant message's `tool_calls`; ABI 1.3).
    pub fn tool_calls(&self, message: usize) -> Result<Vec<ToolCall<'h>>, HostError> {
        let count = host_fn!(self.api(), request_message_tool_call_count)?;
        let get = host_fn!(self.api(), request_message_tool_call_get)?;
        // SAFETY: a live handle; the host checks the index.
        let total = read_count("request_message_tool_call_count", |out| unsafe { count(self.raw, message, out) })?;
        (0..total)
            .map(|call| {
                read_tool_call("request_message_tool_call_get", |id, name, arguments| {
                    // SAFETY: a live handle; indices below the counts.
                    unsafe { get(self.raw, message, call, id, name, arguments) }
                })
            })
            .collect()
    }

    /// The `tool_call_id` a tool message answers; `None` when it has none (ABI 1.3).
    pub fn tool_call_id(&self, message: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), request_message_tool_call_id)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("request_message_tool_call_id", |out| unsafe { get(self.raw, message, out) })
    }
}

/// What a request ends with (a response or an error), or the empty outcome a PreHook fills
/// to short-circuit.
pub struct Outcome<'h> {
    raw: *mut sys::bifrost_outcome,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> Outcome<'h> {
    /// Wraps an outcome handle a hook received.
    ///
    /// # Safety
    /// `raw` must be the outcome handle of the running hook; the view must not outlive it.
    pub unsafe fn from_raw(raw: *mut sys::bifrost_outcome, host: &'h Host) -> Self {
        Outcome { raw, host, _thread: NotSend::default() }
    }

    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_outcome {
        self.raw
    }

    /// The response, or `None` when the outcome is an error or empty.
    pub fn response(&self) -> Result<Option<Response<'h>>, HostError> {
        let get = host_fn!(self.host.raw(), outcome_get_response)?;
        let mut raw: *mut sys::bifrost_response = std::ptr::null_mut();
        // SAFETY: a live handle and a local out-pointer.
        let status = unsafe { get(self.raw, &mut raw) };
        if status == sys::BIFROST_ERR_WRONG_STATE {
            return Ok(None);
        }
        check(status, "outcome_get_response")?;
        Ok(Some(Response { raw, host: self.host, _thread: NotSend::default() }))
    }

    /// The error, or `None` when the outcome is a response or empty.
    pub fn error(&self) -> Result<Option<HookError<'h>>, HostError> {
        let get = host_fn!(self.host.raw(), outcome_get_error)?;
        let mut raw: *mut sys::bifrost_error = std::ptr::null_mut();
        // SAFETY: a live handle and a local out-pointer.
        let status = unsafe { get(self.raw, &mut raw) };
        if status == sys::BIFROST_ERR_WRONG_STATE {
            return Ok(None);
        }
        check(status, "outcome_get_error")?;
        Ok(Some(HookError { raw, host: self.host, _thread: NotSend::default() }))
    }

    /// Replaces the outcome with an empty response to fill: answering in a PreHook (then
    /// return [`crate::PreAction::ShortCircuit`]), recovering from an error in a PostHook.
    pub fn respond(&self) -> Result<Response<'h>, HostError> {
        let set = host_fn!(self.host.raw(), outcome_set_response)?;
        let mut raw: *mut sys::bifrost_response = std::ptr::null_mut();
        // SAFETY: a live handle and a local out-pointer.
        check(unsafe { set(self.raw, &mut raw) }, "outcome_set_response")?;
        Ok(Response { raw, host: self.host, _thread: NotSend::default() })
    }

    /// Replaces the outcome with an error (HTTP status 400-599, a type like
    /// `rate_limit_exceeded`, the message the client reads): rejecting in a PreHook (then
    /// return [`crate::PreAction::ShortCircuit`]), failing a response in a PostHook.
    pub fn fail(&self, status: i32, kind: &str, message: &str) -> Result<HookError<'h>, HostError> {
        let set = host_fn!(self.host.raw(), outcome_set_error)?;
        let mut raw: *mut sys::bifrost_error = std::ptr::null_mut();
        // SAFETY: a live handle; strings lent for the call; a local out-pointer.
        check(unsafe { set(self.raw, status, lend(kind), lend(message), &mut raw) }, "outcome_set_error")?;
        Ok(HookError { raw, host: self.host, _thread: NotSend::default() })
    }

    /// PreHook only: how long to wait before the PreHook runs again (ABI 1.2); the SDK calls
    /// it for [`crate::PreAction::Wait`].
    pub(crate) fn set_wait(&self, delay_ns: u64) -> Result<(), HostError> {
        let set = host_fn!(self.host.raw(), outcome_set_wait)?;
        // SAFETY: a live handle.
        check(unsafe { set(self.raw, delay_ns) }, "outcome_set_wait")
    }
}

/// A chat response inside an outcome.
pub struct Response<'h> {
    raw: *mut sys::bifrost_response,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> Response<'h> {
    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_response {
        self.raw
    }

    fn api(&self) -> &'static sys::bifrost_host_api {
        self.host.raw()
    }

    /// How many choices.
    pub fn choice_count(&self) -> Result<usize, HostError> {
        let count = host_fn!(self.api(), response_choice_count)?;
        // SAFETY: a live handle.
        read_count("response_choice_count", |out| unsafe { count(self.raw, out) })
    }

    /// A choice's content.
    pub fn content(&self, choice: usize) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), response_get_content)?;
        // SAFETY: a live handle; the host checks the index.
        read_required("response_get_content", |out| unsafe { get(self.raw, choice, out) })
    }

    /// Replaces a choice's content.
    pub fn set_content(&self, choice: usize, content: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), response_set_content)?;
        // SAFETY: a live handle; the string is lent; the host checks the index.
        check(unsafe { set(self.raw, choice, lend(content)) }, "response_set_content")
    }

    /// A choice's finish reason; `None` when it has none.
    pub fn finish_reason(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), response_get_finish_reason)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("response_get_finish_reason", |out| unsafe { get(self.raw, choice, out) })
    }

    /// Sets a choice's finish reason.
    pub fn set_finish_reason(&self, choice: usize, reason: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), response_set_finish_reason)?;
        // SAFETY: a live handle; the string is lent; the host checks the index.
        check(unsafe { set(self.raw, choice, lend(reason)) }, "response_set_finish_reason")
    }

    /// Appends an assistant choice.
    pub fn append_choice(&self, content: &str, finish_reason: &str) -> Result<(), HostError> {
        let append = host_fn!(self.api(), response_append_choice)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { append(self.raw, lend(content), lend(finish_reason)) }, "response_append_choice")
    }

    /// The token counts.
    pub fn usage(&self) -> Result<Usage, HostError> {
        let get = host_fn!(self.api(), response_get_usage)?;
        let mut usage = Usage::default();
        // SAFETY: a live handle and a local out-value.
        check(unsafe { get(self.raw, &mut usage) }, "response_get_usage")?;
        Ok(usage)
    }

    /// Sets the token counts.
    pub fn set_usage(&self, usage: Usage) -> Result<(), HostError> {
        let set = host_fn!(self.api(), response_set_usage)?;
        // SAFETY: a live handle; the value is lent for the call.
        check(unsafe { set(self.raw, &usage) }, "response_set_usage")
    }

    /// The details behind the token counts (ABI 1.3).
    pub fn usage_details(&self) -> Result<Option<UsageDetails>, HostError> {
        let get = host_fn!(self.api(), response_get_usage_details)?;
        // SAFETY: a live handle; the struct's size is set before the call.
        UsageDetails::read(|out| unsafe { get(self.raw, out) }, "response_get_usage_details")
    }

    /// The provider that served the response.
    pub fn provider(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), response_get_provider)?;
        // SAFETY: a live handle.
        read_required("response_get_provider", |out| unsafe { get(self.raw, out) })
    }

    /// The model that served the response.
    pub fn model(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), response_get_model)?;
        // SAFETY: a live handle.
        read_required("response_get_model", |out| unsafe { get(self.raw, out) })
    }

    /// Sets the response's model.
    pub fn set_model(&self, model: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), response_set_model)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(model)) }, "response_set_model")
    }

    /// A header sent to the client with the response; `None` when absent.
    pub fn header(&self, name: &str) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), response_get_header)?;
        // SAFETY: a live handle; the name is lent for the call.
        read_str("response_get_header", |out| unsafe { get(self.raw, lend(name), out) })
    }

    /// Sets a header sent to the client with the response.
    pub fn set_header(&self, name: &str, value: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), response_set_header)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { set(self.raw, lend(name), lend(value)) }, "response_set_header")
    }

    /// The slow path: the whole response as OpenAI JSON.
    pub fn to_json(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), response_to_json)?;
        // SAFETY: a live handle.
        read_required("response_to_json", |out| unsafe { get(self.raw, out) })
    }

    /// The slow path: replaces the response from OpenAI JSON.
    pub fn replace_from_json(&self, json: &str) -> Result<(), HostError> {
        let replace = host_fn!(self.api(), response_replace_from_json)?;
        // SAFETY: a live handle; the JSON is lent for the call.
        check(unsafe { replace(self.raw, lend(json)) }, "response_replace_from_json")
    }

    /// The tool calls of a choice (ABI 1.3).
    pub fn tool_calls(&self, choice: usize) -> Result<Vec<ToolCall<'h>>, HostError> {
        let count = host_fn!(self.api(), response_tool_call_count)?;
        let get = host_fn!(self.api(), response_tool_call_get)?;
        // SAFETY: a live handle; the host checks the index.
        let total = read_count("response_tool_call_count", |out| unsafe { count(self.raw, choice, out) })?;
        (0..total)
            .map(|call| {
                read_tool_call("response_tool_call_get", |id, name, arguments| {
                    // SAFETY: a live handle; indices below the counts.
                    unsafe { get(self.raw, choice, call, id, name, arguments) }
                })
            })
            .collect()
    }

    /// Removes one tool call from a choice; later calls move down by one (ABI 1.3).
    pub fn remove_tool_call(&self, choice: usize, call: usize) -> Result<(), HostError> {
        let remove = host_fn!(self.api(), response_remove_tool_call)?;
        // SAFETY: a live handle; the host checks the indices.
        check(unsafe { remove(self.raw, choice, call) }, "response_remove_tool_call")
    }

    /// A choice's reasoning text; `None` when there is none (ABI 1.3).
    pub fn reasoning(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), response_get_reasoning)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("response_get_reasoning", |out| unsafe { get(self.raw, choice, out) })
    }

    /// A choice's refusal text; `None` when the model did not refuse (ABI 1.3).
    pub fn refusal(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), response_get_refusal)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("response_get_refusal", |out| unsafe { get(self.raw, choice, out) })
    }
}

/// An error inside an outcome.
pub struct HookError<'h> {
    raw: *mut sys::bifrost_error,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> HookError<'h> {
    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_error {
        self.raw
    }

    fn api(&self) -> &'static sys::bifrost_host_api {
        self.host.raw()
    }

    /// The HTTP status.
    pub fn status(&self) -> Result<i32, HostError> {
        let get = host_fn!(self.api(), error_get_status)?;
        let mut status = 0i32;
        // SAFETY: a live handle and a local out-value.
        check(unsafe { get(self.raw, &mut status) }, "error_get_status")?;
        Ok(status)
    }

    /// Sets the HTTP status (400-599).
    pub fn set_status(&self, status: i32) -> Result<(), HostError> {
        let set = host_fn!(self.api(), error_set_status)?;
        // SAFETY: a live handle.
        check(unsafe { set(self.raw, status) }, "error_set_status")
    }

    /// The type, e.g. `rate_limit_exceeded`.
    pub fn kind(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), error_get_type)?;
        // SAFETY: a live handle.
        read_required("error_get_type", |out| unsafe { get(self.raw, out) })
    }

    /// Sets the type.
    pub fn set_kind(&self, kind: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), error_set_type)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(kind)) }, "error_set_type")
    }

    /// The code; `None` when the error has none.
    pub fn code(&self) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), error_get_code)?;
        // SAFETY: a live handle.
        read_str("error_get_code", |out| unsafe { get(self.raw, out) })
    }

    /// Sets the code.
    pub fn set_code(&self, code: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), error_set_code)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(code)) }, "error_set_code")
    }

    /// The message the client reads.
    pub fn message(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), error_get_message)?;
        // SAFETY: a live handle.
        read_required("error_get_message", |out| unsafe { get(self.raw, out) })
    }

    /// Sets the message.
    pub fn set_message(&self, message: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), error_set_message)?;
        // SAFETY: a live handle; the string is lent for the call.
        check(unsafe { set(self.raw, lend(message)) }, "error_set_message")
    }

    /// A header sent with the error; `None` when absent.
    pub fn header(&self, name: &str) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), error_get_header)?;
        // SAFETY: a live handle; the name is lent for the call.
        read_str("error_get_header", |out| unsafe { get(self.raw, lend(name), out) })
    }

    /// Sets a header sent with the error, e.g. `retry-after`.
    pub fn set_header(&self, name: &str, value: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), error_set_header)?;
        // SAFETY: a live handle; strings lent for the call.
        check(unsafe { set(self.raw, lend(name), lend(value)) }, "error_set_header")
    }

    /// Who caused the error: `(kind, name)` with kind `gateway`, `plugin` or `provider`
    /// and the plugin's or provider's name (ABI 1.2).
    pub fn source(&self) -> Result<(&'h str, &'h str), HostError> {
        let get = host_fn!(self.api(), error_get_source)?;
        let (mut kind, mut name) = (empty(), empty());
        // SAFETY: a live handle and local out-values.
        check(unsafe { get(self.raw, &mut kind, &mut name) }, "error_get_source")?;
        // SAFETY: the host just handed the strings out during this hook.
        unsafe { Ok((borrow(kind, "error_get_source")?, borrow(name, "error_get_source")?)) }
    }
}

/// One chunk of a streamed answer (ABI 1.1).
pub struct Chunk<'h> {
    raw: *mut sys::bifrost_chunk,
    host: &'h Host,
    _thread: NotSend,
}

impl<'h> Chunk<'h> {
    /// Wraps a chunk handle a hook received.
    ///
    /// # Safety
    /// `raw` must be the chunk handle of the running hook; the view must not outlive it.
    pub unsafe fn from_raw(raw: *mut sys::bifrost_chunk, host: &'h Host) -> Self {
        Chunk { raw, host, _thread: NotSend::default() }
    }

    /// The raw handle, for host functions newer than this SDK.
    pub fn raw(&self) -> *mut sys::bifrost_chunk {
        self.raw
    }

    fn api(&self) -> &'static sys::bifrost_host_api {
        self.host.raw()
    }

    /// How many choices the chunk has.
    pub fn choice_count(&self) -> Result<usize, HostError> {
        let count = host_fn!(self.api(), chunk_choice_count)?;
        // SAFETY: a live handle.
        read_count("chunk_choice_count", |out| unsafe { count(self.raw, out) })
    }

    /// The text a choice's delta adds; `None` when it carries none.
    pub fn content(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), chunk_get_content)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("chunk_get_content", |out| unsafe { get(self.raw, choice, out) })
    }

    /// Replaces the text a choice's delta adds.
    pub fn set_content(&self, choice: usize, content: &str) -> Result<(), HostError> {
        let set = host_fn!(self.api(), chunk_set_content)?;
        // SAFETY: a live handle; the string is lent; the host checks the index.
        check(unsafe { set(self.raw, choice, lend(content)) }, "chunk_set_content")
    }

    /// A choice's finish reason; `None` until its last delta.
    pub fn finish_reason(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), chunk_get_finish_reason)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("chunk_get_finish_reason", |out| unsafe { get(self.raw, choice, out) })
    }

    /// The usage; `None` unless the chunk carries it (usually the last one).
    pub fn usage(&self) -> Result<Option<Usage>, HostError> {
        let get = host_fn!(self.api(), chunk_get_usage)?;
        let mut usage = Usage::default();
        // SAFETY: a live handle and a local out-value.
        Ok(if found(unsafe { get(self.raw, &mut usage) }, "chunk_get_usage")? { Some(usage) } else { None })
    }

    /// The details behind the usage; `None` unless the chunk carries usage (ABI 1.3).
    pub fn usage_details(&self) -> Result<Option<UsageDetails>, HostError> {
        let get = host_fn!(self.api(), chunk_get_usage_details)?;
        // SAFETY: a live handle; the struct's size is set before the call.
        UsageDetails::read(|out| unsafe { get(self.raw, out) }, "chunk_get_usage_details")
    }

    /// The model.
    pub fn model(&self) -> Result<&'h str, HostError> {
        let get = host_fn!(self.api(), chunk_get_model)?;
        // SAFETY: a live handle.
        read_required("chunk_get_model", |out| unsafe { get(self.raw, out) })
    }

    /// The tool-call pieces of a choice's delta (ABI 1.3).
    pub fn tool_call_pieces(&self, choice: usize) -> Result<Vec<ToolCallPiece<'h>>, HostError> {
        let count = host_fn!(self.api(), chunk_tool_call_count)?;
        let get = host_fn!(self.api(), chunk_tool_call_get)?;
        // SAFETY: a live handle; the host checks the index.
        let total = read_count("chunk_tool_call_count", |out| unsafe { count(self.raw, choice, out) })?;
        (0..total)
            .map(|piece| {
                let (mut index, mut id, mut name, mut arguments) = (0i64, empty(), empty(), empty());
                // SAFETY: a live handle; indices below the counts; local out-values.
                let status = unsafe { get(self.raw, choice, piece, &mut index, &mut id, &mut name, &mut arguments) };
                check(status, "chunk_tool_call_get")?;
                // SAFETY: the host just handed the strings out during this hook.
                unsafe {
                    Ok(ToolCallPiece {
                        index,
                        id: borrow(id, "chunk_tool_call_get")?,
                        name: borrow(name, "chunk_tool_call_get")?,
                        arguments: borrow(arguments, "chunk_tool_call_get")?,
                    })
                }
            })
            .collect()
    }

    /// The reasoning text a choice's delta adds; `None` when it adds none (ABI 1.3).
    pub fn reasoning(&self, choice: usize) -> Result<Option<&'h str>, HostError> {
        let get = host_fn!(self.api(), chunk_get_reasoning)?;
        // SAFETY: a live handle; the host checks the index.
        read_str("chunk_get_reasoning", |out| unsafe { get(self.raw, choice, out) })
    }
}
