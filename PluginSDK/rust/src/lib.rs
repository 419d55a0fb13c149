//! Write Bifrost gateway plugins in Rust.
//!
//! A plugin is a `cdylib` exporting `bifrost_plugin_create`, the one symbol of the C ABI in
//! `PluginSDK/CBifrostPlugin/include/bifrost_plugin.h`. This crate has no dependencies and
//! gives you, from the bottom up:
//!
//! - [`sys`]: raw bindings of the header, checked against it by `tests/layout.rs`;
//! - [`Host`]: logging attributed to the plugin, the monotonic clock, metrics;
//! - [`Request`], [`Context`], [`Outcome`], [`Response`], [`HookError`], [`Chunk`]: safe
//!   views over the handles a hook receives, borrowing the host's strings without copies;
//! - [`Config`] and [`Json`]: the configuration the host hands to `bifrost_plugin_create`;
//! - [`Plugin`], [`PreHook`], [`PostHook`], [`ChunkHook`] and [`export_plugin!`]: the table,
//!   version checks, and hooks whose errors and panics become faults, never crashes.
//!
//! ```no_run
//! use bifrost_plugin::{export_plugin, Config, Context, Fault, Host, Outcome, Plugin, PreAction, PreHook, Request};
//!
//! struct Hello;
//!
//! impl Plugin for Hello {
//!     const NAME: &'static str = "hello";
//!     const VERSION: &'static str = "1.0.0";
//!     fn create(_config: &Config<'_>, _host: &Host) -> Result<Self, String> {
//!         Ok(Hello)
//!     }
//! }
//!
//! impl PreHook for Hello {
//!     fn pre_hook(&self, request: &Request<'_>, context: &Context<'_>, _outcome: &Outcome<'_>) -> Result<PreAction, Fault> {
//!         context.set_response_header("x-hello", request.model()?)?;
//!         Ok(PreAction::Continue)
//!     }
//! }
//!
//! export_plugin!(Hello, pre_hook);
//! ```
#![deny(missing_docs)]
// Every unsafe operation sits in its own block with its reason, also inside `unsafe fn`.
#![deny(unsafe_op_in_unsafe_fn)]

#[macro_use]
mod host;
mod config;
mod config_view;
mod export;
pub mod sys;
mod views;

pub use config::{Config, ConfigError, Json};
pub use export::{create, ChunkAction, ChunkHook, Fault, Hooks, Plugin, PostHook, PreAction, PreHook};
pub use host::{Host, HostError, LogLevel, Metric, Series};
pub use views::{Chunk, Context, HookError, Outcome, Request, Response, ToolCall, ToolCallPiece, Usage, UsageDetails, Value};
