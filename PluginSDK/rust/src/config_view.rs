//! The configuration as the host parsed it (ABI 1.6): `config_root` and the `config_*`
//! lookups, read into a [`Json`] while `bifrost_plugin_create` runs, so a plugin on a 1.6 host
//! reads exactly the document the host parsed (the same numbers, the same duplicate keys).

use crate::config::{ConfigError, Json};
use crate::host::{borrow, check, empty, lend};
use crate::sys;

/// The host's view of one plugin's configuration, valid only while create runs.
#[derive(Clone, Copy)]
pub(crate) struct HostView {
    api: &'static sys::bifrost_host_api,
    root: *const sys::bifrost_config,
}

impl HostView {
    /// The view, or `None` when the host predates 1.6 (no `config_root`) or has no document.
    ///
    /// # Safety
    /// `token` must be the token the host passed to `bifrost_plugin_create`, called during it.
    pub(crate) unsafe fn open(api: &'static sys::bifrost_host_api, token: *mut sys::bifrost_plugin_token) -> Option<Self> {
        let config_root = host_fn!(api, config_root).ok()?;
        // The other lookups were appended with config_root; the last one proves they all exist.
        host_fn!(api, config_refuse).ok()?;
        let mut root: *const sys::bifrost_config = std::ptr::null();
        // SAFETY: the host's function with its own token, during create.
        if unsafe { config_root(token, &mut root) } != sys::BIFROST_OK || root.is_null() {
            return None;
        }
        Some(HostView { api, root })
    }

    /// The whole document.
    pub(crate) fn read(&self) -> Result<Json, ConfigError> {
        self.value(self.root).map_err(|error| ConfigError::new(format!("invalid configuration: {}", error)))
    }

    fn value(&self, node: *const sys::bifrost_config) -> Result<Json, crate::HostError> {
        let api = self.api;
        let here = lend("");
        let mut kind: sys::bifrost_config_kind = sys::BIFROST_CONFIG_NULL;
        let config_kind = host_fn!(api, config_kind)?;
        // SAFETY (every call below): the host's functions on a node of its document, during create.
        check(unsafe { config_kind(node, here, &mut kind) }, "config_kind")?;
        Ok(match kind {
            sys::BIFROST_CONFIG_BOOL => {
                let (get, mut flag) = (host_fn!(api, config_get_bool)?, 0);
                check(unsafe { get(node, here, &mut flag) }, "config_get_bool")?;
                Json::Bool(flag != 0)
            }
            sys::BIFROST_CONFIG_NUMBER => {
                let (get, mut number) = (host_fn!(api, config_get_double)?, 0.0);
                let status = unsafe { get(node, here, &mut number) };
                // WRONG_TYPE only for a number beyond a double's range, which reads as infinite.
                if status == sys::BIFROST_ERR_WRONG_TYPE {
                    number = f64::INFINITY;
                } else {
                    check(status, "config_get_double")?;
                }
                Json::Number(number)
            }
            sys::BIFROST_CONFIG_STRING => {
                let (get, mut text) = (host_fn!(api, config_get_string)?, empty());
                check(unsafe { get(node, here, &mut text) }, "config_get_string")?;
                Json::String(unsafe { borrow(text, "config_get_string") }?.to_string())
            }
            sys::BIFROST_CONFIG_ARRAY | sys::BIFROST_CONFIG_OBJECT => {
                let (get, mut count) = (host_fn!(api, config_count)?, 0);
                check(unsafe { get(node, here, &mut count) }, "config_count")?;
                if kind == sys::BIFROST_CONFIG_ARRAY {
                    let element = host_fn!(api, config_element)?;
                    let mut items = Vec::with_capacity(count);
                    for index in 0..count {
                        let mut child: *const sys::bifrost_config = std::ptr::null();
                        check(unsafe { element(node, here, index, &mut child) }, "config_element")?;
                        items.push(self.value(child)?);
                    }
                    Json::Array(items)
                } else {
                    let member = host_fn!(api, config_member)?;
                    let mut members = Vec::with_capacity(count);
                    for index in 0..count {
                        let (mut name, mut child) = (empty(), std::ptr::null());
                        check(unsafe { member(node, here, index, &mut name, &mut child) }, "config_member")?;
                        let name = unsafe { borrow(name, "config_member") }?.to_string();
                        members.push((name, self.value(child)?));
                    }
                    Json::Object(members)
                }
            }
            _ => Json::Null,
        })
    }
}
