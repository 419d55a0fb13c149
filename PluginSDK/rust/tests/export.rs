//! `export_plugin!` against a fake host table written here: version and size checks at
//! create, the table it returns, configuration, and hooks whose errors and panics become
//! faults reported through `report_fault`, never an unwind into the host.
#![deny(unsafe_op_in_unsafe_fn)]

use bifrost_plugin::sys;
use bifrost_plugin::{
    export_plugin, Config, Context, Fault, Host, LogLevel, Outcome, Plugin, PostHook, PreAction, PreHook, Request,
};
use std::cell::{Cell, RefCell};
use std::ffi::CStr;
use std::os::raw::c_char;

thread_local! {
    // Each test runs on its own thread and calls the hooks directly, so the fake host's
    // records are per thread.
    static EVENTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static MODEL: RefCell<String> = const { RefCell::new(String::new()) };
    static DROPS: Cell<usize> = const { Cell::new(0) };
}

fn record(event: String) {
    EVENTS.with(|events| events.borrow_mut().push(event));
}

fn events() -> Vec<String> {
    EVENTS.with(|events| events.borrow_mut().drain(..).collect())
}

unsafe fn text(value: sys::bifrost_str) -> String {
    // SAFETY: the plugin lends `len` bytes for the call.
    String::from_utf8(unsafe { std::slice::from_raw_parts(value.ptr as *const u8, value.len) }.to_vec()).unwrap()
}

unsafe extern "C" fn set_create_error(_: *mut sys::bifrost_plugin_token, message: sys::bifrost_str) -> sys::bifrost_status {
    record(format!("refused: {}", unsafe { text(message) }));
    sys::BIFROST_OK
}

unsafe extern "C" fn log(
    token: *mut sys::bifrost_plugin_token,
    level: sys::bifrost_log_level,
    message: sys::bifrost_str,
) -> sys::bifrost_status {
    record(format!("log {} {} from token {:?}", level, unsafe { text(message) }, token));
    sys::BIFROST_OK
}

unsafe extern "C" fn report_fault(_: *mut sys::bifrost_context, message: sys::bifrost_str) -> sys::bifrost_status {
    record(format!("fault: {}", unsafe { text(message) }));
    sys::BIFROST_OK
}

unsafe extern "C" fn request_get_model(_: *mut sys::bifrost_request, out: *mut sys::bifrost_str) -> sys::bifrost_status {
    MODEL.with(|model| {
        let model = model.borrow();
        // The thread-local string outlives the hook call, as the host's arena does.
        unsafe { *out = sys::bifrost_str { ptr: model.as_ptr() as *const c_char, len: model.len() } };
    });
    sys::BIFROST_OK
}

unsafe extern "C" fn context_set_response_header(
    _: *mut sys::bifrost_context,
    name: sys::bifrost_str,
    value: sys::bifrost_str,
) -> sys::bifrost_status {
    record(format!("header {}: {}", unsafe { text(name) }, unsafe { text(value) }));
    sys::BIFROST_OK
}

unsafe extern "C" fn outcome_set_wait(_: *mut sys::bifrost_outcome, delay_ns: u64) -> sys::bifrost_status {
    record(format!("wait {}", delay_ns));
    sys::BIFROST_OK
}

/// Where the host-table slot `name` ends: what `struct_size` must reach for it to exist.
macro_rules! end_of {
    ($field:ident) => {{
        let table = std::mem::MaybeUninit::<sys::bifrost_host_api>::uninit();
        let base = table.as_ptr();
        // SAFETY: addr_of! takes the field's address without reading it.
        let field = unsafe { std::ptr::addr_of!((*base).$field) };
        (field as usize - base as usize + std::mem::size_of::<usize>()) as u32
    }};
}

/// A host table of this ABI version and size with the fake functions above.
fn host(major: u16, minor: u16, struct_size: u32) -> &'static sys::bifrost_host_api {
    Box::leak(Box::new(host_table(major, minor, struct_size)))
}

/// The table `host` leaks, to extend first.
fn host_table(major: u16, minor: u16, struct_size: u32) -> sys::bifrost_host_api {
    // SAFETY: every field is an integer or an Option of a function pointer: zero is valid (None).
    let mut api: sys::bifrost_host_api = unsafe { std::mem::zeroed() };
    api.struct_size = struct_size;
    api.abi_major = major;
    api.abi_minor = minor;
    api.set_create_error = Some(set_create_error);
    api.log = Some(log);
    api.report_fault = Some(report_fault);
    api.request_get_model = Some(request_get_model);
    api.context_set_response_header = Some(context_set_response_header);
    api.outcome_set_wait = Some(outcome_set_wait);
    api
}

fn current_host() -> &'static sys::bifrost_host_api {
    host(1, 4, std::mem::size_of::<sys::bifrost_host_api>() as u32)
}

struct Probe {
    host: Host,
}

impl Drop for Probe {
    fn drop(&mut self) {
        DROPS.with(|drops| drops.set(drops.get() + 1));
    }
}

impl Plugin for Probe {
    const NAME: &'static str = "probe";
    const VERSION: &'static str = "2.1.0";
    const FAIL_OPEN_BY_DEFAULT: bool = true;

    fn create(config: &Config<'_>, host: &Host) -> Result<Self, String> {
        let json = config.json()?;
        match json.get("mode").and_then(|mode| mode.as_str()) {
            Some("refuse") => Err("invalid configuration: mode 'refuse'".to_string()),
            Some("panic") => panic!("create was told to panic"),
            _ => {
                host.log(LogLevel::Info, "created");
                Ok(Probe { host: host.clone() })
            }
        }
    }
}

impl PreHook for Probe {
    fn pre_hook(&self, request: &Request<'_>, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<PreAction, Fault> {
        match request.model()? {
            "panic" => panic!("boom {}", 42),
            "fail" => Err(Fault::new("told to fail")),
            "wait" => Ok(PreAction::Wait(250)),
            "header" => {
                context.set_response_header("x-probe", "yes")?;
                Ok(PreAction::Continue)
            }
            "log" => {
                self.host.log(LogLevel::Warning, "from a hook");
                Ok(PreAction::Continue)
            }
            _ => Ok(PreAction::Continue),
        }
    }
}

impl PostHook for Probe {
    fn post_hook(&self, _context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<(), Fault> {
        panic!("{}", String::from("a String payload"))
    }
}

export_plugin!(Probe, pre_hook, post_hook);

const TOKEN: *mut sys::bifrost_plugin_token = 0x7070 as *mut sys::bifrost_plugin_token;

fn create_with(api: &'static sys::bifrost_host_api, config: &str) -> *const sys::bifrost_plugin {
    // SAFETY: a host table and config bytes as the host passes them.
    unsafe { bifrost_plugin_create(api, TOKEN, config.as_ptr() as *const c_char, config.len()) }
}

fn call_pre(table: *const sys::bifrost_plugin, model: &str) -> sys::bifrost_hook_action {
    MODEL.with(|current| *current.borrow_mut() = model.to_string());
    // SAFETY: the table create returned; dummy handles the fake host never dereferences.
    unsafe {
        let table = &*table;
        (table.pre_hook.unwrap())(table.instance, 0x10 as *mut _, 0x20 as *mut _, 0x30 as *mut _)
    }
}

fn destroy(table: *const sys::bifrost_plugin) {
    // SAFETY: the table create returned, destroyed once.
    unsafe { ((*table).destroy.unwrap())((*table).instance) }
}

#[test]
fn the_table_names_the_plugin_its_version_flags_and_only_its_hooks() {
    let table = create_with(current_host(), "{}");
    assert!(!table.is_null());
    // SAFETY: a table create returned, with NUL-terminated strings.
    unsafe {
        let plugin = &*table;
        assert_eq!(plugin.struct_size as usize, std::mem::size_of::<sys::bifrost_plugin>());
        assert_eq!((plugin.abi_major, plugin.abi_minor), (1, 7));
        assert_eq!(CStr::from_ptr(plugin.name).to_str(), Ok("probe"));
        assert_eq!(CStr::from_ptr(plugin.version).to_str(), Ok("2.1.0"));
        assert_eq!(plugin.flags, sys::BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT);
        assert!(plugin.pre_hook.is_some() && plugin.post_hook.is_some() && plugin.destroy.is_some());
        assert!(plugin.chunk_hook.is_none());
    }
    assert_eq!(events(), [format!("log 1 created from token {:?}", TOKEN)]);
    destroy(table);
}

#[test]
fn another_major_is_refused_naming_both_versions() {
    assert!(create_with(host(2, 0, 8 + 8), "{}").is_null());
    assert_eq!(
        events(),
        ["refused: plugin 'probe' was built for Bifrost plugin ABI 1.7 but the host speaks ABI 2.0; rebuild it against the host's bifrost_plugin.h"]
    );
}

#[test]
fn a_host_table_shorter_than_abi_1_0_is_refused() {
    let short = end_of!(error_get_header) - 8;
    assert!(create_with(host(1, 0, short), "{}").is_null());
    assert_eq!(
        events(),
        [format!(
            "refused: plugin 'probe' needs a host table of at least {} bytes (ABI 1.0), the host's has {}",
            short + 8,
            short
        )]
    );
}

#[test]
fn the_plugin_refuses_its_configuration_with_its_message() {
    assert!(create_with(current_host(), r#"{"mode": "refuse"}"#).is_null());
    assert_eq!(events(), ["refused: invalid configuration: mode 'refuse'"]);
    assert!(create_with(current_host(), "{oops").is_null());
    assert_eq!(events(), ["refused: invalid configuration: not valid JSON (expected a string key at byte 1)"]);
}

#[test]
fn a_panic_in_create_is_a_refusal_with_its_message() {
    assert!(create_with(current_host(), r#"{"mode": "panic"}"#).is_null());
    assert_eq!(events(), ["refused: panicked while creating: create was told to panic"]);
}

#[test]
fn a_panic_in_a_hook_is_a_fault_with_its_message_and_the_next_call_works() {
    let table = create_with(current_host(), "{}");
    events();
    assert_eq!(call_pre(table, "panic"), sys::BIFROST_ACTION_FAULT);
    assert_eq!(events(), ["fault: panicked: boom 42"]);
    assert_eq!(call_pre(table, "fine"), sys::BIFROST_ACTION_CONTINUE);
    assert_eq!(events(), Vec::<String>::new());
    // SAFETY: the table create returned; dummy handles.
    let action = unsafe { ((*table).post_hook.unwrap())((*table).instance, 0x10 as *mut _, 0x30 as *mut _) };
    assert_eq!(action, sys::BIFROST_ACTION_FAULT);
    assert_eq!(events(), ["fault: panicked: a String payload"]);
    destroy(table);
}

#[test]
fn an_error_from_a_hook_is_a_fault_with_its_message() {
    let table = create_with(current_host(), "{}");
    events();
    assert_eq!(call_pre(table, "fail"), sys::BIFROST_ACTION_FAULT);
    assert_eq!(events(), ["fault: told to fail"]);
    destroy(table);
}

#[test]
fn wait_sets_the_delay_and_returns_wait() {
    let table = create_with(current_host(), "{}");
    events();
    assert_eq!(call_pre(table, "wait"), sys::BIFROST_ACTION_WAIT);
    assert_eq!(events(), ["wait 250"]);
    destroy(table);
}

#[test]
fn a_function_beyond_the_hosts_struct_size_is_never_called() {
    // A 1.1 host: its table ends before the 1.2 services, although the fake's slot is set.
    let old = host(1, 1, end_of!(chunk_get_model));
    let table = create_with(old, "{}");
    events();
    assert_eq!(call_pre(table, "header"), sys::BIFROST_ACTION_FAULT);
    assert_eq!(events(), ["fault: host function context_set_response_header is not provided by this host"]);
    destroy(table);

    let table = create_with(current_host(), "{}");
    events();
    assert_eq!(call_pre(table, "header"), sys::BIFROST_ACTION_CONTINUE);
    assert_eq!(events(), ["header x-probe: yes"]);
    destroy(table);
}

#[test]
fn a_host_kept_from_create_logs_from_hooks() {
    let table = create_with(current_host(), "{}");
    events();
    assert_eq!(call_pre(table, "log"), sys::BIFROST_ACTION_CONTINUE);
    assert_eq!(events(), [format!("log 2 from a hook from token {:?}", TOKEN)]);
    destroy(table);
}

#[test]
fn destroy_drops_the_plugin_once() {
    let table = create_with(current_host(), "{}");
    let before = DROPS.with(|drops| drops.get());
    destroy(table);
    assert_eq!(DROPS.with(|drops| drops.get()), before + 1);
}

// A 1.6 host's parsed view of a fixed document, {"mode": "view", "list": [1.5, true, null]},
// whatever the bytes say: nodes are their index + 1, cast to a pointer (never dereferenced).
const VIEW_KINDS: [sys::bifrost_config_kind; 6] = [
    sys::BIFROST_CONFIG_OBJECT,
    sys::BIFROST_CONFIG_STRING,
    sys::BIFROST_CONFIG_ARRAY,
    sys::BIFROST_CONFIG_NUMBER,
    sys::BIFROST_CONFIG_BOOL,
    sys::BIFROST_CONFIG_NULL,
];

fn view_node(node: *const sys::bifrost_config) -> usize {
    node as usize - 1
}

fn view_handle(index: usize) -> *const sys::bifrost_config {
    (index + 1) as *const sys::bifrost_config
}

unsafe extern "C" fn config_root(_: *mut sys::bifrost_plugin_token, out: *mut *const sys::bifrost_config) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = view_handle(0) };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_kind(
    node: *const sys::bifrost_config,
    _: sys::bifrost_str,
    out: *mut sys::bifrost_config_kind,
) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = VIEW_KINDS[view_node(node)] };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_get_string(
    _: *const sys::bifrost_config,
    _: sys::bifrost_str,
    out: *mut sys::bifrost_str,
) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer; the literal is static.
    unsafe { *out = sys::bifrost_str { ptr: "view".as_ptr() as *const c_char, len: 4 } };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_get_double(_: *const sys::bifrost_config, _: sys::bifrost_str, out: *mut f64) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = 1.5 };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_get_bool(_: *const sys::bifrost_config, _: sys::bifrost_str, out: *mut i32) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = 1 };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_count(node: *const sys::bifrost_config, _: sys::bifrost_str, out: *mut usize) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = if view_node(node) == 0 { 2 } else { 3 } };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_element(
    _: *const sys::bifrost_config,
    _: sys::bifrost_str,
    index: usize,
    out: *mut *const sys::bifrost_config,
) -> sys::bifrost_status {
    // SAFETY: the SDK passes a valid out-pointer.
    unsafe { *out = view_handle(3 + index) };
    sys::BIFROST_OK
}

unsafe extern "C" fn config_member(
    _: *const sys::bifrost_config,
    _: sys::bifrost_str,
    index: usize,
    name: *mut sys::bifrost_str,
    out: *mut *const sys::bifrost_config,
) -> sys::bifrost_status {
    let key: &'static str = if index == 0 { "mode" } else { "list" };
    // SAFETY: the SDK passes valid out-pointers; the literals are static.
    unsafe {
        *name = sys::bifrost_str { ptr: key.as_ptr() as *const c_char, len: key.len() };
        *out = view_handle(1 + index);
    }
    sys::BIFROST_OK
}

unsafe extern "C" fn config_refuse(
    _: *mut sys::bifrost_plugin_token,
    _: *const sys::bifrost_config,
    _: sys::bifrost_str,
    _: sys::bifrost_str,
) -> sys::bifrost_status {
    sys::BIFROST_OK
}

#[test]
fn on_a_one_six_host_the_configuration_is_the_hosts_parsed_view() {
    let mut api = host_table(1, 6, std::mem::size_of::<sys::bifrost_host_api>() as u32);
    api.config_root = Some(config_root);
    api.config_kind = Some(config_kind);
    api.config_get_string = Some(config_get_string);
    api.config_get_double = Some(config_get_double);
    api.config_get_bool = Some(config_get_bool);
    api.config_count = Some(config_count);
    api.config_element = Some(config_element);
    api.config_member = Some(config_member);
    api.config_refuse = Some(config_refuse);
    let api: &'static sys::bifrost_host_api = Box::leak(Box::new(api));
    // The bytes say refuse; the host's view says "view", and the view is what the plugin reads.
    let table = create_with(api, r#"{"mode": "refuse"}"#);
    assert!(!table.is_null(), "{:?}", events());
    destroy(table);
    let bytes = br#"{"mode": "view", "list": [1.5, true, null]}"#;
    assert_eq!(
        Config::new(bytes).json(),
        Ok(bifrost_plugin::Json::Object(vec![
            ("mode".to_string(), bifrost_plugin::Json::String("view".to_string())),
            (
                "list".to_string(),
                bifrost_plugin::Json::Array(vec![
                    bifrost_plugin::Json::Number(1.5),
                    bifrost_plugin::Json::Bool(true),
                    bifrost_plugin::Json::Null
                ])
            ),
        ])),
        "the fake view describes the same document as these bytes"
    );
}
