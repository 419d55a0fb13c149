//! The host's services: status checks, strings across the boundary, logging, the clock and
//! metrics.

use crate::sys;
use std::fmt;
use std::marker::PhantomData;
use std::os::raw::c_char;

/// Where the host-table slot `$field` ends, in bytes: the table's `struct_size` must reach it
/// for the slot to exist (the header's append-only rule).
macro_rules! slot_end {
    ($field:ident) => {{
        let table = ::std::mem::MaybeUninit::<$crate::sys::bifrost_host_api>::uninit();
        let base = table.as_ptr();
        // SAFETY: addr_of! computes the field's address without reading or referencing it.
        let field = unsafe { ::std::ptr::addr_of!((*base).$field) };
        field as usize - base as usize + ::std::mem::size_of::<usize>()
    }};
}

/// The host function `$field`, or a [`HostError`] naming it when the host's table is too old
/// to hold it (its `struct_size` does not reach the slot) or the slot is NULL.
macro_rules! host_fn {
    ($api:expr, $field:ident) => {{
        let api: &$crate::sys::bifrost_host_api = $api;
        let present = if api.struct_size as usize >= slot_end!($field) { api.$field } else { None };
        match present {
            Some(function) => Ok(function),
            None => Err($crate::HostError::not_provided(stringify!($field))),
        }
    }};
}

/// A host function refused a call, or the host does not provide it.
///
/// Its `Display` is what the operator reads when it ends a hook as a fault, e.g.
/// `host function request_message_get failed: BIFROST_ERR_OUT_OF_RANGE (4)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HostError {
    function: &'static str,
    status: sys::bifrost_status,
}

impl HostError {
    /// The status for a function the host's table does not hold (an older host).
    pub const NOT_PROVIDED: sys::bifrost_status = -1;
    /// The status for a string from the host that is not UTF-8 (a broken host).
    pub const NOT_UTF8: sys::bifrost_status = -2;

    pub(crate) fn not_provided(function: &'static str) -> Self {
        HostError { function, status: Self::NOT_PROVIDED }
    }

    /// The host function, as named in `bifrost_host_api`.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// The status it returned, or [`HostError::NOT_PROVIDED`] / [`HostError::NOT_UTF8`].
    pub fn status(&self) -> sys::bifrost_status {
        self.status
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self.status {
            Self::NOT_PROVIDED => return write!(f, "host function {} is not provided by this host", self.function),
            Self::NOT_UTF8 => return write!(f, "host function {} returned a string that is not UTF-8", self.function),
            sys::BIFROST_ERR_NOT_FOUND => "BIFROST_ERR_NOT_FOUND",
            sys::BIFROST_ERR_INVALID_ARGUMENT => "BIFROST_ERR_INVALID_ARGUMENT",
            sys::BIFROST_ERR_INVALID_HANDLE => "BIFROST_ERR_INVALID_HANDLE",
            sys::BIFROST_ERR_OUT_OF_RANGE => "BIFROST_ERR_OUT_OF_RANGE",
            sys::BIFROST_ERR_WRONG_STATE => "BIFROST_ERR_WRONG_STATE",
            sys::BIFROST_ERR_TOO_LARGE => "BIFROST_ERR_TOO_LARGE",
            _ => "unknown status",
        };
        write!(f, "host function {} failed: {} ({})", self.function, name, self.status)
    }
}

impl std::error::Error for HostError {}

/// `Ok` for `BIFROST_OK`, the error otherwise.
pub(crate) fn check(status: sys::bifrost_status, function: &'static str) -> Result<(), HostError> {
    if status == sys::BIFROST_OK {
        Ok(())
    } else {
        Err(HostError { function, status })
    }
}

/// `false` for `BIFROST_ERR_NOT_FOUND`, `true` for `BIFROST_OK`, the error otherwise.
pub(crate) fn found(status: sys::bifrost_status, function: &'static str) -> Result<bool, HostError> {
    if status == sys::BIFROST_ERR_NOT_FOUND {
        return Ok(false);
    }
    check(status, function).map(|()| true)
}

/// Lends `text` to the host; the host copies what it keeps before the call returns.
pub(crate) fn lend(text: &str) -> sys::bifrost_str {
    // An empty &str still has a non-NULL pointer, as the ABI asks for empty strings.
    sys::bifrost_str { ptr: text.as_ptr() as *const c_char, len: text.len() }
}

/// An empty string to pass to an out-pointer.
pub(crate) fn empty() -> sys::bifrost_str {
    sys::bifrost_str { ptr: std::ptr::null(), len: 0 }
}

/// Borrows a string the host handed out; valid until the hook returns (the header's rule),
/// which the caller's lifetime `'a` stands for.
///
/// # Safety
/// `value` must come from the host during the hook that `'a` spans.
pub(crate) unsafe fn borrow<'a>(value: sys::bifrost_str, function: &'static str) -> Result<&'a str, HostError> {
    if value.len == 0 || value.ptr.is_null() {
        return Ok("");
    }
    // SAFETY: the host hands out `len` readable bytes, borrowed until the hook returns.
    let bytes = unsafe { std::slice::from_raw_parts(value.ptr as *const u8, value.len) };
    std::str::from_utf8(bytes).map_err(|_| HostError { function, status: HostError::NOT_UTF8 })
}

/// Lends a list of strings (labels, parameter names) to the host for one call.
pub(crate) fn with_lent<R>(items: &[&str], body: impl FnOnce(&[sys::bifrost_str]) -> R) -> R {
    // Label lists are short: a stack array covers them without allocating per record.
    const INLINE: usize = 8;
    if items.len() <= INLINE {
        let mut buffer = [empty(); INLINE];
        for (slot, item) in buffer.iter_mut().zip(items) {
            *slot = lend(item);
        }
        body(&buffer[..items.len()])
    } else {
        let lent: Vec<sys::bifrost_str> = items.iter().map(|item| lend(item)).collect();
        body(&lent)
    }
}

/// Log levels of [`Host::log`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogLevel {
    /// `BIFROST_LOG_DEBUG`.
    Debug,
    /// `BIFROST_LOG_INFO`.
    Info,
    /// `BIFROST_LOG_WARNING`.
    Warning,
    /// `BIFROST_LOG_ERROR`.
    Error,
}

impl LogLevel {
    fn raw(self) -> sys::bifrost_log_level {
        match self {
            LogLevel::Debug => sys::BIFROST_LOG_DEBUG,
            LogLevel::Info => sys::BIFROST_LOG_INFO,
            LogLevel::Warning => sys::BIFROST_LOG_WARNING,
            LogLevel::Error => sys::BIFROST_LOG_ERROR,
        }
    }
}

/// The host's table and this plugin's token: logging attributed to the plugin, the clock,
/// metrics. Both stay valid for the life of the process (the header's rule), so a `Host` may
/// be kept in the plugin (clone it in [`crate::Plugin::create`]) and used from any thread.
#[derive(Clone)]
pub struct Host {
    api: &'static sys::bifrost_host_api,
    token: *mut sys::bifrost_plugin_token,
}

// SAFETY: the header makes `log`, `monotonic_now_ns` and the metric functions safe from any
// thread at any time, and the table and token live as long as the process.
unsafe impl Send for Host {}
// SAFETY: as for Send; a Host has no interior state of its own.
unsafe impl Sync for Host {}

impl Host {
    /// Wraps the host's table and the plugin's token, as `bifrost_plugin_create` received them.
    ///
    /// # Safety
    /// `api` must be the host's table (valid for the life of the process) and `token` the
    /// token handed to the same `bifrost_plugin_create` call.
    pub unsafe fn new(api: &'static sys::bifrost_host_api, token: *mut sys::bifrost_plugin_token) -> Self {
        Host { api, token }
    }

    /// The raw table, for host functions newer than this SDK: check `struct_size` first.
    pub fn raw(&self) -> &'static sys::bifrost_host_api {
        self.api
    }

    /// This plugin's token, for the raw table's functions that take one.
    pub fn token(&self) -> *mut sys::bifrost_plugin_token {
        self.token
    }

    /// The host's ABI version, `(major, minor)`.
    pub fn abi_version(&self) -> (u16, u16) {
        (self.api.abi_major, self.api.abi_minor)
    }

    /// Writes a log line attributed to the plugin (the gateway adds `plugin=<name>`). Never
    /// fails: a log line the host cannot take is dropped.
    pub fn log(&self, level: LogLevel, message: &str) {
        if let Ok(log) = host_fn!(self.api, log) {
            // SAFETY: a valid token and a string lent for the call.
            unsafe { log(self.token, level.raw(), lend(message)) };
        }
    }

    /// The host's monotonic clock in nanoseconds, for measuring durations.
    pub fn monotonic_ns(&self) -> u64 {
        match host_fn!(self.api, monotonic_now_ns) {
            // SAFETY: takes no arguments; safe from any thread.
            Ok(now) => unsafe { now() },
            Err(_) => 0,
        }
    }

    /// Defines a counter (ABI 1.2), only from [`crate::Plugin::create`].
    pub fn counter(&self, name: &str, help: &str, labels: &[&str]) -> Result<Metric, HostError> {
        self.define_metric(sys::BIFROST_METRIC_COUNTER, name, help, labels, &[])
    }

    /// Defines a gauge (ABI 1.2), only from [`crate::Plugin::create`].
    pub fn gauge(&self, name: &str, help: &str, labels: &[&str]) -> Result<Metric, HostError> {
        self.define_metric(sys::BIFROST_METRIC_GAUGE, name, help, labels, &[])
    }

    /// Defines a histogram (ABI 1.2) with these upper bounds (strictly ascending), or the
    /// host's latency buckets in seconds when `buckets` is empty; only from
    /// [`crate::Plugin::create`].
    pub fn histogram(&self, name: &str, help: &str, labels: &[&str], buckets: &[f64]) -> Result<Metric, HostError> {
        self.define_metric(sys::BIFROST_METRIC_HISTOGRAM, name, help, labels, buckets)
    }

    fn define_metric(
        &self,
        kind: sys::bifrost_metric_kind,
        name: &str,
        help: &str,
        labels: &[&str],
        buckets: &[f64],
    ) -> Result<Metric, HostError> {
        let define = host_fn!(self.api, metric_define)?;
        let mut metric: *mut sys::bifrost_metric = std::ptr::null_mut();
        let status = with_lent(labels, |names| {
            let spec = sys::bifrost_metric_spec {
                struct_size: std::mem::size_of::<sys::bifrost_metric_spec>() as u32,
                kind,
                name: lend(name),
                help: lend(help),
                label_names: names.as_ptr(),
                label_count: names.len(),
                buckets: if buckets.is_empty() { std::ptr::null() } else { buckets.as_ptr() },
                bucket_count: buckets.len(),
            };
            // SAFETY: the spec and everything it points to outlive the call.
            unsafe { define(self.token, &spec, &mut metric) }
        });
        check(status, "metric_define")?;
        Ok(Metric { api: self.api, raw: metric })
    }
}

/// A metric family the plugin defined; record from any hook or thread.
pub struct Metric {
    api: &'static sys::bifrost_host_api,
    raw: *mut sys::bifrost_metric,
}

// SAFETY: the header makes a metric valid for the life of the process, from any thread.
unsafe impl Send for Metric {}
// SAFETY: as for Send; recording is lock-free or locked inside the host.
unsafe impl Sync for Metric {}

impl Metric {
    /// Counter: adds `value` (>= 0). Gauge: adds `value`. Histogram: observes `value`.
    /// `labels` holds one value per label name, in the order they were defined.
    pub fn record(&self, labels: &[&str], value: f64) -> Result<(), HostError> {
        let record = host_fn!(self.api, metric_record)?;
        // SAFETY: the labels are lent for the call.
        let status = with_lent(labels, |values| unsafe { record(self.raw, values.as_ptr(), values.len(), value) });
        check(status, "metric_record")
    }

    /// Gauge only: sets the series of `labels` to `value`.
    pub fn set(&self, labels: &[&str], value: f64) -> Result<(), HostError> {
        let set = host_fn!(self.api, metric_set)?;
        // SAFETY: the labels are lent for the call.
        let status = with_lent(labels, |values| unsafe { set(self.raw, values.as_ptr(), values.len(), value) });
        check(status, "metric_set")
    }

    /// The series of one label combination: keep it when the same labels come back often,
    /// recording into it skips the label lookup.
    pub fn series(&self, labels: &[&str]) -> Result<Series, HostError> {
        let series = host_fn!(self.api, metric_series)?;
        let mut raw: *mut sys::bifrost_metric_series = std::ptr::null_mut();
        // SAFETY: the labels are lent for the call; `raw` outlives it.
        let status = with_lent(labels, |values| unsafe { series(self.raw, values.as_ptr(), values.len(), &mut raw) });
        check(status, "metric_series")?;
        Ok(Series { api: self.api, raw })
    }
}

/// One label combination of a [`Metric`], recorded into without a label lookup.
pub struct Series {
    api: &'static sys::bifrost_host_api,
    raw: *mut sys::bifrost_metric_series,
}

// SAFETY: the header makes a series valid for the life of the process, from any thread.
unsafe impl Send for Series {}
// SAFETY: as for Send; recording into a series is lock-free in the host.
unsafe impl Sync for Series {}

impl Series {
    /// As [`Metric::record`], on this series.
    pub fn record(&self, value: f64) -> Result<(), HostError> {
        let record = host_fn!(self.api, metric_series_record)?;
        // SAFETY: a series handle from metric_series.
        check(unsafe { record(self.raw, value) }, "metric_series_record")
    }

    /// As [`Metric::set`], on this series.
    pub fn set(&self, value: f64) -> Result<(), HostError> {
        let set = host_fn!(self.api, metric_series_set)?;
        // SAFETY: a series handle from metric_series.
        check(unsafe { set(self.raw, value) }, "metric_series_set")
    }
}

/// Makes a view type neither `Send` nor `Sync`: a handle belongs to the thread running its hook.
pub(crate) type NotSend = PhantomData<*mut ()>;
