//! Proves `bifrost_plugin::sys` matches `bifrost_plugin.h`.
//!
//! The header itself is the reference: this test reads every struct, field and numeric
//! `#define` out of it, writes a C program that prints each struct's size and alignment, each
//! field's offset and size and each constant's value as the C compiler sees them, compiles it
//! with `cc` against the header and compares every line with what Rust computes from `sys`.
//! Function slots are also compared by signature: the header's parameter and return types,
//! mapped to Rust, against the Rust function pointer types. A field missing on either side, one
//! slot out of place, or a parameter of the wrong type fails the test.

use bifrost_plugin::sys;
use std::any::type_name;
use std::collections::BTreeMap;
use std::mem::{align_of, size_of, MaybeUninit};
use std::process::Command;

const HEADER_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../CBifrostPlugin/include");

/// One field of a struct in the header: its name and, for a function slot, its signature.
struct Field {
    name: String,
    signature: Option<Vec<String>>,
}

/// What the header declares: structs with their fields, function-pointer typedefs, constants.
struct Header {
    structs: Vec<(String, Vec<Field>)>,
    constants: Vec<String>,
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find("*/").expect("unterminated comment") + start + 2;
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// Maps one C type, e.g. `const bifrost_str *`, to the name Rust's `type_name` gives the
/// matching `sys` type with its paths removed, e.g. `*const bifrost_str`.
fn rust_type(c_type: &str, typedefs: &BTreeMap<String, Vec<String>>) -> String {
    let depth = c_type.matches('*').count();
    let words: Vec<&str> = c_type.split(|c: char| c == '*' || c.is_whitespace()).filter(|w| !w.is_empty()).collect();
    let is_const = words.first() == Some(&"const");
    let base: Vec<&str> = words.into_iter().filter(|w| *w != "const").collect();
    assert_eq!(base.len(), 1, "unexpected C type {:?}", c_type);
    let base = match base[0] {
        "void" if depth == 0 => "()".to_string(),
        "void" => "c_void".to_string(),
        "char" => short(type_name::<std::os::raw::c_char>()),
        "size_t" => "usize".into(),
        "int32_t"
        | "bifrost_status"
        | "bifrost_value_kind"
        | "bifrost_metric_kind"
        | "bifrost_log_level"
        | "bifrost_hook_action"
        | "bifrost_type"
        | "bifrost_config_kind" => "i32".into(),
        "uint64_t" => "u64".into(),
        "int64_t" => "i64".into(),
        "uint32_t" => "u32".into(),
        "uint8_t" => "u8".into(),
        "uint16_t" => "u16".into(),
        "double" => "f64".into(),
        name if typedefs.contains_key(name) => return format!("fn{:?}", typedefs[name]),
        name => name.to_string(),
    };
    let mut pointers = String::new();
    for level in 0..depth {
        // `const T *` makes only the innermost pointer const.
        pointers.push_str(if is_const && level == depth - 1 { "*const " } else { "*mut " });
    }
    format!("{}{}", pointers, base)
}

/// Splits `R (*name)(P1 a, P2 b)` into name and [R, P1, P2] as Rust types.
fn function_slot(declaration: &str, typedefs: &BTreeMap<String, Vec<String>>) -> (String, Vec<String>) {
    let star = declaration.find("(*").unwrap();
    let close = star + declaration[star..].find(')').unwrap();
    let name = declaration[star + 2..close].trim().to_string();
    let params = &declaration[close + 1..];
    let params = params.trim().trim_start_matches('(').trim_end_matches(')');
    let mut signature = vec![rust_type(&declaration[..star], typedefs)];
    if params.trim() != "void" {
        for param in params.split(',') {
            let param = param.trim();
            // Drop the parameter's name: the last identifier after the type.
            let cut = param.rfind(|c: char| !(c.is_alphanumeric() || c == '_')).map_or(0, |i| i + 1);
            signature.push(rust_type(&param[..cut], typedefs));
        }
    }
    (name, signature)
}

fn parse_header(text: &str) -> Header {
    let text = strip_comments(text);
    let mut typedefs = BTreeMap::new();
    let mut structs = Vec::new();
    let mut constants = Vec::new();
    for line in text.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.len() >= 3 && words[0] == "#define" && words[1].starts_with("BIFROST_") {
            let value = words[2..].join(" ");
            // Numeric constants only: not BIFROST_EXPORT, the symbol's name or BIFROST_STR(…).
            if !words[1].contains('(') && !value.starts_with('"') && !value.contains("__") {
                constants.push(words[1].to_string());
            }
        }
    }
    // Declarations end with ';'; a typedef of a function pointer or a struct with a body.
    let mut rest = text.as_str();
    while let Some(start) = rest.find("typedef ") {
        rest = &rest[start + "typedef ".len()..];
        if rest.starts_with("struct ") && rest[..rest.find(';').unwrap()].contains('{') {
            let open = rest.find('{').unwrap();
            let name = rest["struct ".len()..open].trim().to_string();
            let close = rest.find('}').unwrap();
            let fields = rest[open + 1..close]
                .split(';')
                .map(|d| d.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|d| !d.is_empty())
                .map(|declaration| {
                    if declaration.contains("(*") {
                        let (name, signature) = function_slot(&declaration, &typedefs);
                        Field { name, signature: Some(signature) }
                    } else {
                        // `const char *name`: the name is the identifier after the last space or '*'.
                        let cut = declaration.rfind([' ', '*']).unwrap();
                        let c_type = declaration[..cut + 1].trim();
                        // A field whose type is a function-pointer typedef is a slot too.
                        let signature = typedefs.get(c_type).cloned();
                        Field { name: declaration[cut + 1..].to_string(), signature }
                    }
                })
                .collect();
            structs.push((name, fields));
            rest = &rest[close..];
        } else {
            let end = rest.find(';').unwrap();
            let declaration = rest[..end].split_whitespace().collect::<Vec<_>>().join(" ");
            if declaration.contains("(*") {
                let (name, signature) = function_slot(&declaration, &typedefs);
                typedefs.insert(name, signature);
            }
            rest = &rest[end..];
        }
    }
    Header { structs, constants }
}

fn short(name: &str) -> String {
    // `*const bifrost_plugin::sys::bifrost_str` -> `*const bifrost_str`.
    let mut out = String::new();
    for (index, word) in name.split(' ').enumerate() {
        if index > 0 {
            out.push(' ');
        }
        out.push_str(word.rsplit("::").next().unwrap());
    }
    out
}

/// The signature of a function slot as Rust sees it: [return, parameters...], short names.
trait Signature {
    fn signature() -> Vec<String>;
}

macro_rules! signature_for_arity {
    ($($param:ident),*) => {
        impl<R $(, $param)*> Signature for Option<unsafe extern "C" fn($($param),*) -> R> {
            fn signature() -> Vec<String> {
                vec![short(type_name::<R>()) $(, short(type_name::<$param>()))*]
            }
        }
    };
}
signature_for_arity!();
signature_for_arity!(A);
signature_for_arity!(A, B);
signature_for_arity!(A, B, C);
signature_for_arity!(A, B, C, D);
signature_for_arity!(A, B, C, D, E);
signature_for_arity!(A, B, C, D, E, F);
signature_for_arity!(A, B, C, D, E, F, G);

fn size_of_pointee<T>(_: *const T) -> usize {
    size_of::<T>()
}

fn signature_of<T: Signature>(_: *const T) -> Vec<String> {
    T::signature()
}

/// What Rust says about `sys`: `"size S"` → "size align", `"field S.f"` → "offset size",
/// `"const N"` → value; and slot signatures by `"S.f"`.
#[derive(Default)]
struct RustLayout {
    lines: BTreeMap<String, String>,
    signatures: BTreeMap<String, Vec<String>>,
}

macro_rules! record_struct {
    ($layout:ident, $ty:ident { $($field:ident),* $(,)? } slots { $($slot:ident),* $(,)? }) => {{
        let value = MaybeUninit::<sys::$ty>::uninit();
        let base = value.as_ptr();
        $layout.lines.insert(
            format!("size {}", stringify!($ty)),
            format!("{} {}", size_of::<sys::$ty>(), align_of::<sys::$ty>()),
        );
        $(
            // SAFETY: addr_of! takes the field's address without reading it.
            let field = unsafe { std::ptr::addr_of!((*base).$field) };
            $layout.lines.insert(
                format!("field {}.{}", stringify!($ty), stringify!($field)),
                format!("{} {}", field as usize - base as usize, size_of_pointee(field)),
            );
        )*
        $(
            // SAFETY: as above.
            let field = unsafe { std::ptr::addr_of!((*base).$slot) };
            $layout.lines.insert(
                format!("field {}.{}", stringify!($ty), stringify!($slot)),
                format!("{} {}", field as usize - base as usize, size_of_pointee(field)),
            );
            $layout.signatures.insert(format!("{}.{}", stringify!($ty), stringify!($slot)), signature_of(field));
        )*
    }};
}

macro_rules! record_constants {
    ($layout:ident, $($name:ident),* $(,)?) => {
        $( $layout.lines.insert(format!("const {}", stringify!($name)), (sys::$name as i64).to_string()); )*
    };
}

fn rust_layout() -> RustLayout {
    let mut layout = RustLayout::default();
    record_struct!(layout, bifrost_str { ptr, len } slots {});
    record_struct!(layout, bifrost_bytes { ptr, len } slots {});
    record_struct!(layout, bifrost_value { kind, boolean, number, string } slots {});
    record_struct!(layout, bifrost_usage { prompt_tokens, completion_tokens, total_tokens } slots {});
    record_struct!(layout, bifrost_usage_details {
        struct_size, cached_prompt_tokens, cache_creation_prompt_tokens, reasoning_tokens
    } slots {});
    record_struct!(layout, bifrost_metric_spec {
        struct_size, kind, name, help, label_names, label_count, buckets, bucket_count
    } slots {});
    record_struct!(layout, bifrost_plugin {
        struct_size, abi_major, abi_minor, name, version, flags, instance
    } slots { pre_hook, post_hook, destroy, chunk_hook, export_state });
    record_struct!(layout, bifrost_plugin { commands, command_count, capabilities } slots {});
    record_struct!(layout, bifrost_command_arg { struct_size, value_type, name, description } slots {});
    record_struct!(layout, bifrost_command {
        struct_size, result_type, name, description, args, arg_count
    } slots { function, release_result });
    record_struct!(layout, bifrost_host_api { struct_size, abi_major, abi_minor } slots {
        set_create_error, log, monotonic_now_ns, report_fault,
        context_get, context_set, context_request_id, context_arrival_time_ns, context_client_id, context_route,
        request_get_provider, request_set_provider, request_get_model, request_set_model,
        request_message_count, request_message_get, request_message_set, request_message_insert, request_message_remove,
        request_get_param, request_set_param, request_get_header, request_set_header, request_remove_header,
        request_get_metadata, request_set_metadata, request_to_json, request_replace_from_json,
        outcome_get_response, outcome_get_error, outcome_set_response, outcome_set_error,
        response_choice_count, response_get_content, response_set_content, response_get_finish_reason,
        response_set_finish_reason, response_append_choice, response_get_usage, response_set_usage,
        response_get_provider, response_get_model, response_set_model, response_get_header, response_set_header,
        response_to_json, response_replace_from_json,
        error_get_status, error_set_status, error_get_type, error_set_type, error_get_code, error_set_code,
        error_get_message, error_set_message, error_set_header, error_get_header,
        chunk_choice_count, chunk_get_content, chunk_set_content, chunk_get_finish_reason, chunk_get_usage, chunk_get_model,
        metric_define, metric_record, metric_set, metric_series, metric_series_record, metric_series_set,
        outcome_set_wait, request_param_count, request_param_name, request_to_canonical_json,
        context_set_response_header, error_get_source,
        request_message_tool_call_count, request_message_tool_call_get, request_message_tool_call_id,
        response_tool_call_count, response_tool_call_get, response_remove_tool_call, response_get_reasoning,
        response_get_refusal, chunk_tool_call_count, chunk_tool_call_get, chunk_get_reasoning,
        response_get_usage_details, chunk_get_usage_details, state_write, get_handed_state,
        config_root, config_lookup, config_kind, config_get_string, config_get_double, config_get_int64,
        config_get_bool, config_count, config_element, config_member, config_refuse,
        state_counter_add, state_value_get, state_value_set, state_value_remove, callout,
    });
    record_struct!(layout, bifrost_callout_request {
        struct_size, timeout_ms, method, url, header_names, header_values, header_count, body, max_response_bytes
    } slots {});
    record_struct!(layout, bifrost_callout_response {
        struct_size, status, header_names, header_values, header_count, body
    } slots {});
    record_constants!(
        layout,
        BIFROST_ABI_VERSION_MAJOR,
        BIFROST_ABI_VERSION_MINOR,
        BIFROST_OK,
        BIFROST_ERR_NOT_FOUND,
        BIFROST_ERR_INVALID_ARGUMENT,
        BIFROST_ERR_INVALID_HANDLE,
        BIFROST_ERR_OUT_OF_RANGE,
        BIFROST_ERR_WRONG_STATE,
        BIFROST_ERR_TOO_LARGE,
        BIFROST_VALUE_NULL,
        BIFROST_VALUE_BOOL,
        BIFROST_VALUE_NUMBER,
        BIFROST_VALUE_STRING,
        BIFROST_VALUE_JSON,
        BIFROST_METRIC_COUNTER,
        BIFROST_METRIC_GAUGE,
        BIFROST_METRIC_HISTOGRAM,
        BIFROST_LOG_DEBUG,
        BIFROST_LOG_INFO,
        BIFROST_LOG_WARNING,
        BIFROST_LOG_ERROR,
        BIFROST_ACTION_CONTINUE,
        BIFROST_ACTION_SHORT_CIRCUIT,
        BIFROST_ACTION_FAULT,
        BIFROST_ACTION_DROP,
        BIFROST_ACTION_WAIT,
        BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT,
        BIFROST_HANDED_STATE_MAX_BYTES,
        BIFROST_ERR_WRONG_TYPE,
        BIFROST_TYPE_VOID,
        BIFROST_TYPE_INT64,
        BIFROST_TYPE_DOUBLE,
        BIFROST_TYPE_BOOL,
        BIFROST_TYPE_STRING,
        BIFROST_COMMAND_MAX_ARGS,
        BIFROST_CAPABILITY_CREDENTIALS,
        BIFROST_CAPABILITY_MESSAGE_CONTENT,
        BIFROST_CAPABILITY_TOOL_CALLS,
        BIFROST_CONFIG_NULL,
        BIFROST_CONFIG_BOOL,
        BIFROST_CONFIG_NUMBER,
        BIFROST_CONFIG_STRING,
        BIFROST_CONFIG_ARRAY,
        BIFROST_CONFIG_OBJECT,
        BIFROST_PENDING,
        BIFROST_ERR_UNAVAILABLE,
        BIFROST_ERR_TIMEOUT,
        BIFROST_ACTION_PENDING,
        BIFROST_CAPABILITY_CALLOUTS,
        BIFROST_STATE_KEY_MAX_BYTES,
        BIFROST_STATE_VALUE_MAX_BYTES,
        BIFROST_PENDING_MAX_ROUNDS,
        BIFROST_CALLOUT_MAX_TIMEOUT_MS,
        BIFROST_CALLOUT_MAX_RESPONSE_BYTES,
    );
    layout
}

/// Compiles and runs the C program that prints the header's layout as `cc` sees it.
fn c_layout(header: &Header) -> BTreeMap<String, String> {
    let mut program = String::from("#include <stdio.h>\n#include <bifrost_plugin.h>\nint main(void) {\n");
    for (name, fields) in &header.structs {
        // C99 has no _Alignof: a struct of a char and the type puts it at its alignment.
        program.push_str(&format!(
            "    {{ struct a {{ char c; {0} x; }}; printf(\"size {0} %zu %zu\\n\", sizeof({0}), offsetof(struct a, x)); }}\n",
            name
        ));
        for field in fields {
            program.push_str(&format!(
                "    printf(\"field {0}.{1} %zu %zu\\n\", offsetof({0}, {1}), sizeof((({0} *)0)->{1}));\n",
                name, field.name
            ));
        }
    }
    for constant in &header.constants {
        program.push_str(&format!("    printf(\"const {0} %lld\\n\", (long long)({0}));\n", constant));
    }
    program.push_str("    return 0;\n}\n");

    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("layout");
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("layout.c");
    let binary = dir.join("layout");
    std::fs::write(&source, program).unwrap();
    let compiled = Command::new("cc")
        .args(["-std=c99", "-Wall", "-Wextra", "-Werror", "-I", HEADER_DIR, "-o"])
        .arg(&binary)
        .arg(&source)
        .output()
        .expect("cc is needed to compile the layout program");
    assert!(compiled.status.success(), "cc failed:\n{}", String::from_utf8_lossy(&compiled.stderr));
    let output = Command::new(&binary).output().unwrap();
    assert!(output.status.success());
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let mut words = line.splitn(3, ' ');
            let (kind, name, value) = (words.next().unwrap(), words.next().unwrap(), words.next().unwrap());
            (format!("{} {}", kind, name), value.to_string())
        })
        .collect()
}

fn read_header() -> Header {
    parse_header(&std::fs::read_to_string(format!("{}/bifrost_plugin.h", HEADER_DIR)).unwrap())
}

#[test]
fn every_struct_field_and_constant_matches_the_c_compiler() {
    let header = read_header();
    let c = c_layout(&header);
    let rust = rust_layout();
    let c_keys: Vec<&String> = c.keys().collect();
    let rust_keys: Vec<&String> = rust.lines.keys().collect();
    assert_eq!(rust_keys, c_keys, "sys declares other fields or constants than the header");
    for (key, value) in &c {
        assert_eq!(&rust.lines[key], value, "{}: Rust (left) and C (right) disagree", key);
    }
    // The header's 12 structs with a body, 174 fields (106 of them host functions) and 54
    // numeric constants, all compared.
    assert_eq!(c.keys().filter(|key| key.starts_with("size ")).count(), 12);
    assert_eq!(c.keys().filter(|key| key.starts_with("field ")).count(), 174);
    assert_eq!(header.constants.len(), 54);
}

#[test]
fn every_function_slot_has_the_headers_signature() {
    let header = read_header();
    let rust = rust_layout();
    let mut slots = 0;
    for (name, fields) in &header.structs {
        for field in fields {
            let key = format!("{}.{}", name, field.name);
            match &field.signature {
                Some(expected) => {
                    slots += 1;
                    assert_eq!(rust.signatures.get(&key), Some(expected), "{}: Rust (left) and the header (right)", key);
                }
                None => assert!(!rust.signatures.contains_key(&key), "{} is a function slot in Rust only", key),
            }
        }
    }
    assert_eq!(slots, rust.signatures.len());
    // 106 host functions, the plugin table's 5 hooks and a command's function and release.
    assert_eq!(slots, 113);
}

#[test]
fn the_entry_point_type_matches_the_header() {
    let header = strip_comments(&std::fs::read_to_string(format!("{}/bifrost_plugin.h", HEADER_DIR)).unwrap());
    let start = header.find("typedef const bifrost_plugin *(*bifrost_plugin_create_fn)").unwrap();
    let end = start + header[start..].find(';').unwrap();
    let declaration = header[start + "typedef ".len()..end].split_whitespace().collect::<Vec<_>>().join(" ");
    let (name, signature) = function_slot(&declaration, &BTreeMap::new());
    assert_eq!(name, "bifrost_plugin_create_fn");
    assert_eq!(signature, <sys::bifrost_plugin_create_fn as Signature>::signature());
}
