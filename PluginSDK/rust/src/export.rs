//! The plugin traits and what `export_plugin!` expands to: checking the host, creating the
//! plugin, the table, and hook trampolines that turn errors and panics into faults.

use crate::config::Config;
use crate::config_view::HostView;
use crate::host::{lend, Host};
use crate::sys;
use crate::views::{Chunk, Context, Outcome, Request};
use std::any::Any;
use std::ffi::CString;
use std::fmt;
use std::os::raw::{c_char, c_void};
use std::panic::{catch_unwind, AssertUnwindSafe};

// A panic that aborts cannot be caught: it would take the whole gateway down with it.
#[cfg(panic = "abort")]
compile_error!("bifrost-plugin needs panic = \"unwind\": a panic in a hook must become a fault, not abort the gateway");

/// Why a hook fails. The host answers the request by the plugin's failure policy (a 500
/// naming the plugin, or the plugin skipped) and the message is what the operator reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    message: String,
}

impl Fault {
    /// A fault with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Fault { message: message.into() }
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<crate::HostError> for Fault {
    fn from(error: crate::HostError) -> Self {
        Fault::new(error.to_string())
    }
}

impl From<String> for Fault {
    fn from(message: String) -> Self {
        Fault::new(message)
    }
}

impl From<&str> for Fault {
    fn from(message: &str) -> Self {
        Fault::new(message)
    }
}

/// A plugin: its identity and how it is created from its configuration.
///
/// Hooks are called concurrently for different requests (hence `Sync`): keep immutable
/// configuration in plain fields and mutable shared state behind a `Mutex` or atomics.
/// Dropping the plugin is its shutdown: the host calls `destroy` once, which drops it.
pub trait Plugin: Sized + Send + Sync + 'static {
    /// 1-64 characters of `[a-z0-9._-]`, starting with a letter or digit; unique in a chain.
    const NAME: &'static str;
    /// Free-form version, e.g. `1.0.0`.
    const VERSION: &'static str;
    /// Asks to be skipped (fail-open) rather than fail its requests when it faults, unless the
    /// operator's configuration says otherwise: right for observability, wrong for enforcement.
    const FAIL_OPEN_BY_DEFAULT: bool = false;
    /// The sensitive data the plugin reads (ABI 1.6): `sys::BIFROST_CAPABILITY_*` bits for the
    /// client's credential headers, message content and tool calls. The host hides what is not
    /// declared (reading it is `BIFROST_ERR_NOT_FOUND`, as if absent). Defaults to none.
    ///
    /// ```text
    /// const CAPABILITIES: u64 = bifrost_plugin::sys::BIFROST_CAPABILITY_MESSAGE_CONTENT;
    /// ```
    const CAPABILITIES: u64 = 0;

    /// Creates the plugin, or refuses with the message the gateway prints with the file name.
    /// Metrics are defined here (the host refuses `metric_define` afterwards).
    fn create(config: &Config<'_>, host: &Host) -> Result<Self, String>;
}

/// What a PreHook decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PreAction {
    /// Go on to the next plugin with the request as it now stands.
    Continue,
    /// Answer now with the outcome the hook filled ([`Outcome::respond`] or [`Outcome::fail`]).
    ShortCircuit,
    /// Call this PreHook again for the same request after this many nanoseconds (ABI 1.2).
    Wait(u64),
}

/// What a chunk hook decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkAction {
    /// Send the chunk as it now stands.
    Continue,
    /// Do not send this chunk.
    Drop,
    /// End the stream with the error the hook set with [`Outcome::fail`].
    ShortCircuit,
}

/// A plugin with a PreHook: runs before the provider, in chain order.
pub trait PreHook: Plugin {
    /// Reads and changes the request; fills `outcome` only to short-circuit.
    fn pre_hook(&self, request: &Request<'_>, context: &Context<'_>, outcome: &Outcome<'_>) -> Result<PreAction, Fault>;
}

/// A plugin with a PostHook: runs after the provider (or a short-circuit), in reverse order.
pub trait PostHook: Plugin {
    /// Reads and changes the outcome: the response, or the error.
    fn post_hook(&self, context: &Context<'_>, outcome: &Outcome<'_>) -> Result<(), Fault>;
}

/// A plugin with a chunk hook (ABI 1.1): runs on each chunk of a streamed answer.
pub trait ChunkHook: Plugin {
    /// Reads and changes the chunk; fills `outcome` with an error only to end the stream.
    fn chunk_hook(&self, chunk: &Chunk<'_>, context: &Context<'_>, outcome: &Outcome<'_>) -> Result<ChunkAction, Fault>;
}

/// The hooks `export_plugin!` puts in the table: each builder method requires its trait, so
/// listing a hook the plugin does not implement is a compile error, and an unlisted hook's
/// slot stays NULL (free for the host).
pub struct Hooks<P> {
    pre: sys::bifrost_pre_hook_fn,
    post: sys::bifrost_post_hook_fn,
    chunk: sys::bifrost_chunk_hook_fn,
    plugin: std::marker::PhantomData<fn() -> P>,
}

impl<P: Plugin> Hooks<P> {
    /// No hooks.
    pub fn none() -> Self {
        Hooks { pre: None, post: None, chunk: None, plugin: std::marker::PhantomData }
    }

    /// Adds the PreHook.
    pub fn pre_hook(mut self) -> Self
    where
        P: PreHook,
    {
        self.pre = Some(pre_hook_trampoline::<P>);
        self
    }

    /// Adds the PostHook.
    pub fn post_hook(mut self) -> Self
    where
        P: PostHook,
    {
        self.post = Some(post_hook_trampoline::<P>);
        self
    }

    /// Adds the chunk hook.
    pub fn chunk_hook(mut self) -> Self
    where
        P: ChunkHook,
    {
        self.chunk = Some(chunk_hook_trampoline::<P>);
        self
    }
}

/// What the table's `instance` points to. The table lives inside it, so the table, its strings
/// and the plugin stay valid together until `destroy` frees them (the header's rule).
struct Instance<P> {
    table: sys::bifrost_plugin,
    host: Host,
    plugin: P,
    // Own the strings the table points to.
    _name: CString,
    _version: CString,
}

/// Exports `$plugin` as this library's `bifrost_plugin_create`, with the listed hooks
/// (`pre_hook`, `post_hook`, `chunk_hook`; each needs its trait).
///
/// ```text
/// bifrost_plugin::export_plugin!(ModelAlias, pre_hook, post_hook);
/// ```
///
/// Build the crate as a `cdylib`; the library exports exactly this one symbol.
#[macro_export]
macro_rules! export_plugin {
    ($plugin:ty $(, $hook:ident)* $(,)?) => {
        /// The plugin's entry point, called once by the host at load.
        ///
        /// # Safety
        /// Called by the host with its table, this plugin's token and the configuration bytes.
        #[no_mangle]
        pub unsafe extern "C" fn bifrost_plugin_create(
            host: *const $crate::sys::bifrost_host_api,
            token: *mut $crate::sys::bifrost_plugin_token,
            config: *const ::std::os::raw::c_char,
            config_len: usize,
        ) -> *const $crate::sys::bifrost_plugin {
            $crate::create::<$plugin>(host, token, config, config_len, $crate::Hooks::<$plugin>::none()$(.$hook())*)
        }
    };
}

/// The body of `bifrost_plugin_create`, as `export_plugin!` calls it: checks the host table
/// (non-NULL, same ABI major, at least the 1.0 table), the name, and creates the plugin,
/// catching a panic in `create` as a refusal. Returns the table, or NULL after
/// `set_create_error`.
///
/// # Safety
/// The arguments must be those the host passed to `bifrost_plugin_create`.
pub unsafe fn create<P: Plugin>(
    host: *const sys::bifrost_host_api,
    token: *mut sys::bifrost_plugin_token,
    config: *const c_char,
    config_len: usize,
    hooks: Hooks<P>,
) -> *const sys::bifrost_plugin {
    if host.is_null() {
        return std::ptr::null();
    }
    // SAFETY: the host's table lives as long as the process (the header's rule).
    let api: &'static sys::bifrost_host_api = unsafe { &*host };
    if api.abi_major != sys::BIFROST_ABI_VERSION_MAJOR {
        refuse(
            api,
            token,
            &format!(
                "plugin '{}' was built for Bifrost plugin ABI {}.{} but the host speaks ABI {}.{}; rebuild it against the host's bifrost_plugin.h",
                P::NAME,
                sys::BIFROST_ABI_VERSION_MAJOR,
                sys::BIFROST_ABI_VERSION_MINOR,
                api.abi_major,
                api.abi_minor
            ),
        );
        return std::ptr::null();
    }
    // Services after 1.0 are checked call by call; the 1.0 table must be there in full.
    let minimum = slot_end!(error_get_header);
    if (api.struct_size as usize) < minimum {
        refuse(
            api,
            token,
            &format!(
                "plugin '{}' needs a host table of at least {} bytes (ABI {}.0), the host's has {}",
                P::NAME,
                minimum,
                sys::BIFROST_ABI_VERSION_MAJOR,
                api.struct_size
            ),
        );
        return std::ptr::null();
    }
    if let Some(problem) = name_problem(P::NAME) {
        refuse(api, token, &problem);
        return std::ptr::null();
    }
    let (name, version) = match (CString::new(P::NAME), CString::new(P::VERSION)) {
        (Ok(name), Ok(version)) => (name, version),
        _ => {
            refuse(api, token, &format!("plugin '{}': the version must not contain NUL", P::NAME));
            return std::ptr::null();
        }
    };
    let bytes: &[u8] = if config.is_null() {
        b"{}"
    } else {
        // SAFETY: the host passes `config_len` bytes, borrowed for this call.
        unsafe { std::slice::from_raw_parts(config as *const u8, config_len) }
    };
    // SAFETY: the host's own table and token.
    let host = unsafe { Host::new(api, token) };
    // SAFETY: during create, with the host's token.
    let view = unsafe { HostView::open(api, token) };
    let created = catch_unwind(AssertUnwindSafe(|| P::create(&Config::from_host(bytes, view), &host)));
    let plugin = match created {
        Ok(Ok(plugin)) => plugin,
        Ok(Err(message)) => {
            refuse(api, token, &message);
            return std::ptr::null();
        }
        Err(payload) => {
            refuse(api, token, &format!("panicked while creating: {}", panic_message(payload.as_ref())));
            return std::ptr::null();
        }
    };
    let table = sys::bifrost_plugin {
        struct_size: std::mem::size_of::<sys::bifrost_plugin>() as u32,
        abi_major: sys::BIFROST_ABI_VERSION_MAJOR,
        abi_minor: sys::BIFROST_ABI_VERSION_MINOR,
        name: name.as_ptr(),
        version: version.as_ptr(),
        flags: if P::FAIL_OPEN_BY_DEFAULT { sys::BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT } else { 0 },
        instance: std::ptr::null_mut(),
        pre_hook: hooks.pre,
        post_hook: hooks.post,
        destroy: Some(destroy_trampoline::<P>),
        chunk_hook: hooks.chunk,
        export_state: None,
        commands: std::ptr::null(),
        command_count: 0,
        capabilities: P::CAPABILITIES,
    };
    let instance = Box::into_raw(Box::new(Instance { table, host, plugin, _name: name, _version: version }));
    // SAFETY: just allocated; it lives until destroy_trampoline frees it.
    unsafe {
        (*instance).table.instance = instance as *mut c_void;
        &(*instance).table
    }
}

/// Reports a refusal through `set_create_error`, if the host's table reaches it: a host of
/// another major keeps that slot at this offset (the header's promise).
fn refuse(api: &sys::bifrost_host_api, token: *mut sys::bifrost_plugin_token, message: &str) {
    if let Ok(set_create_error) = host_fn!(api, set_create_error) {
        // SAFETY: the host's function with its token; the message is lent for the call.
        unsafe { set_create_error(token, lend(message)) };
    }
}

/// Why a name breaks the header's rule, or `None` if it is fine.
pub(crate) fn name_problem(name: &str) -> Option<String> {
    let bytes = name.as_bytes();
    let lower_alphanumeric = |byte: u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    if bytes.is_empty() || bytes.len() > 64 {
        return Some(format!("plugin name '{}' must be 1-64 characters long, it has {}", name, bytes.len()));
    }
    if !lower_alphanumeric(bytes[0]) {
        return Some(format!("plugin name '{}' must start with a lowercase letter or digit", name));
    }
    if let Some(&bad) = bytes.iter().find(|&&byte| !(lower_alphanumeric(byte) || b"._-".contains(&byte))) {
        return Some(format!("plugin name '{}' may only contain a-z, 0-9, '.', '_' and '-'; found '{}'", name, bad as char));
    }
    None
}

/// The message of a panic payload (`panic!("…")` gives a `&str` or a `String`).
fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "a panic without a message"
    }
}

/// Runs a hook body: `Ok(action)` passes through; an error or a panic is reported with
/// `report_fault` and becomes `BIFROST_ACTION_FAULT`, so nothing unwinds into the host.
fn run_hook(
    host: &Host,
    context: *mut sys::bifrost_context,
    body: impl FnOnce() -> Result<sys::bifrost_hook_action, Fault>,
) -> sys::bifrost_hook_action {
    let message = match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(action)) => return action,
        Ok(Err(fault)) => fault.message,
        Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
    };
    // Reporting must not unwind either: catch a panic in the report itself.
    let reported = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: the context handle of the running hook.
        unsafe { Context::from_raw(context, host) }.report_fault(&message)
    }));
    drop(reported);
    sys::BIFROST_ACTION_FAULT
}

/// # Safety
/// `instance` must be the pointer `create::<P>` put in the table.
unsafe fn instance<'a, P>(instance: *mut c_void) -> &'a Instance<P> {
    // SAFETY: the caller passes the pointer create::<P> made; it lives until destroy.
    unsafe { &*(instance as *const Instance<P>) }
}

unsafe extern "C" fn pre_hook_trampoline<P: PreHook>(
    raw: *mut c_void,
    context: *mut sys::bifrost_context,
    request: *mut sys::bifrost_request,
    outcome: *mut sys::bifrost_outcome,
) -> sys::bifrost_hook_action {
    // SAFETY: the host passes back the instance of this plugin's table.
    let this = unsafe { instance::<P>(raw) };
    run_hook(&this.host, context, || {
        // SAFETY: the handles of this hook call; the views do not outlive it.
        let (request, context, outcome) = unsafe {
            (
                Request::from_raw(request, &this.host),
                Context::from_raw(context, &this.host),
                Outcome::from_raw(outcome, &this.host),
            )
        };
        Ok(match this.plugin.pre_hook(&request, &context, &outcome)? {
            PreAction::Continue => sys::BIFROST_ACTION_CONTINUE,
            PreAction::ShortCircuit => sys::BIFROST_ACTION_SHORT_CIRCUIT,
            PreAction::Wait(delay_ns) => {
                outcome.set_wait(delay_ns)?;
                sys::BIFROST_ACTION_WAIT
            }
        })
    })
}

unsafe extern "C" fn post_hook_trampoline<P: PostHook>(
    raw: *mut c_void,
    context: *mut sys::bifrost_context,
    outcome: *mut sys::bifrost_outcome,
) -> sys::bifrost_hook_action {
    // SAFETY: the host passes back the instance of this plugin's table.
    let this = unsafe { instance::<P>(raw) };
    run_hook(&this.host, context, || {
        // SAFETY: the handles of this hook call; the views do not outlive it.
        let (context, outcome) = unsafe { (Context::from_raw(context, &this.host), Outcome::from_raw(outcome, &this.host)) };
        this.plugin.post_hook(&context, &outcome)?;
        Ok(sys::BIFROST_ACTION_CONTINUE)
    })
}

unsafe extern "C" fn chunk_hook_trampoline<P: ChunkHook>(
    raw: *mut c_void,
    context: *mut sys::bifrost_context,
    chunk: *mut sys::bifrost_chunk,
    outcome: *mut sys::bifrost_outcome,
) -> sys::bifrost_hook_action {
    // SAFETY: the host passes back the instance of this plugin's table.
    let this = unsafe { instance::<P>(raw) };
    run_hook(&this.host, context, || {
        // SAFETY: the handles of this hook call; the views do not outlive it.
        let (chunk, context, outcome) = unsafe {
            (Chunk::from_raw(chunk, &this.host), Context::from_raw(context, &this.host), Outcome::from_raw(outcome, &this.host))
        };
        Ok(match this.plugin.chunk_hook(&chunk, &context, &outcome)? {
            ChunkAction::Continue => sys::BIFROST_ACTION_CONTINUE,
            ChunkAction::Drop => sys::BIFROST_ACTION_DROP,
            ChunkAction::ShortCircuit => sys::BIFROST_ACTION_SHORT_CIRCUIT,
        })
    })
}

unsafe extern "C" fn destroy_trampoline<P: Plugin>(raw: *mut c_void) {
    if raw.is_null() {
        return;
    }
    // SAFETY: `create::<P>` made this pointer with Box::into_raw; the host calls destroy once.
    let instance = unsafe { Box::from_raw(raw as *mut Instance<P>) };
    // A panicking Drop must not unwind into the host; there is no one left to report it to.
    drop(catch_unwind(AssertUnwindSafe(move || drop(instance))));
}
