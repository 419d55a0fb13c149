public import BifrostCore
public import BifrostPluginIsolation

/// One element of ``BifrostConfiguration/plugins``: an in-process Swift plugin, a native
/// `.so` file, or every `.so` of a directory.
///
/// The chain runs the plugins in list order (a directory contributes its files in lexical
/// file-name order, skipping files the list names elsewhere). Each plugin runs under its
/// failure policy: the one given here, else the plugin's own default.
///
/// ```swift
/// let plugins: [PluginSpec] = [
///     .plugin(AuditPlugin(), failurePolicy: .failOpen),
///     .native("/opt/bifrost/plugins/model_alias.so", configuration: Array(#"{"aliases":{"fast":"mock/echo"}}"#.utf8)),
///     .directory("/opt/bifrost/plugins.d"),
/// ]
/// ```
public struct PluginSpec: Sendable {
    enum Source: Sendable {
        case instance(any Plugin)
        case file(String, configuration: [UInt8]?, optional: Bool)
        case directory(String)
    }

    let source: Source
    /// Overrides the plugin's default failure policy; for a directory, applies to each of its plugins.
    ///
    /// ```swift
    /// var spec = PluginSpec.native("/opt/plugins/cache.so")
    /// spec.failurePolicy = .failOpen
    /// ```
    public var failurePolicy: FailurePolicy?
    /// How long one of the plugin's hook calls may take before it is reported as an overrun
    /// (``BifrostCore/ChainEntry/defaultHookDeadline`` unless set).
    ///
    /// ```swift
    /// var spec = PluginSpec.native("/opt/bifrost/plugins/audit.so")
    /// spec.hookDeadline = .milliseconds(50)
    /// ```
    public var hookDeadline: Duration?
    /// Where a native plugin's hooks run: in the gateway's process (the default), or in a
    /// supervised worker process; for a directory, applies to each of its plugins.
    ///
    /// ```swift
    /// var spec = PluginSpec.native("/opt/bifrost/plugins/guard.so")
    /// spec.isolation = .process(IsolationSettings(memoryLimitMegabytes: 512))
    /// ```
    public var isolation: PluginIsolation = .inProcess
    /// Where the plugin runs (routes, models, clients); `nil`, everywhere. Applies to an
    /// in-process plugin or a native file, not to a directory.
    ///
    /// ```swift
    /// var spec = PluginSpec.native("/opt/bifrost/plugins/audit.so")
    /// spec.scope = PluginScope(models: ["gpt-4o*"])
    /// ```
    public var scope: PluginScope?
    /// What the plugin's state operations do when the gateway's shared state backend cannot be
    /// reached; `nil` is fail-open. Applies to an in-process plugin or a native file.
    ///
    /// ```swift
    /// var spec = PluginSpec.native("/opt/bifrost/plugins/governance.so")
    /// spec.statePolicy = .failClosed
    /// ```
    public var statePolicy: StatePolicy?

    /// Whether this is an in-process plugin (``plugin(_:failurePolicy:)``) rather than a file
    /// or directory.
    public var isInProcess: Bool {
        if case .instance = source { return true }
        return false
    }

    /// An in-process plugin: any type conforming to `Plugin`.
    ///
    /// ```swift
    /// let spec = PluginSpec.plugin(AuditPlugin())
    /// ```
    public static func plugin(_ plugin: any Plugin, failurePolicy: FailurePolicy? = nil) -> PluginSpec {
        PluginSpec(source: .instance(plugin), failurePolicy: failurePolicy)
    }

    /// A native plugin loaded from a `.so` file.
    ///
    /// `configuration` is the JSON handed to the plugin's `bifrost_plugin_create`; `nil` reads
    /// the sidecar `<stem>.json` beside the file, or `{}` when there is none. An `optional`
    /// plugin that refuses to load is logged and left out instead of failing the start.
    ///
    /// ```swift
    /// let spec = PluginSpec.native("/opt/plugins/model_alias.so", configuration: Array(#"{"aliases":{}}"#.utf8))
    /// ```
    public static func native(
        _ file: String, configuration: [UInt8]? = nil, failurePolicy: FailurePolicy? = nil, optional: Bool = false
    ) -> PluginSpec {
        PluginSpec(source: .file(file, configuration: configuration, optional: optional), failurePolicy: failurePolicy)
    }

    /// Every `*.so` file of a directory, in lexical file-name order (`10-first.so`, `20-second.so`),
    /// each configured by its sidecar `<stem>.json`.
    ///
    /// ```swift
    /// let spec = PluginSpec.directory("/opt/bifrost/plugins.d")
    /// ```
    public static func directory(_ path: String, failurePolicy: FailurePolicy? = nil) -> PluginSpec {
        PluginSpec(source: .directory(path), failurePolicy: failurePolicy)
    }
}

/// Where a native plugin's hooks run.
///
/// In process, a hook is a function call (tens of nanoseconds of overhead) and a crash in it
/// ends the gateway; in a worker process, each call crosses a socket (microseconds) and a
/// crash, hang or stray write ends only the worker, which is restarted.
///
/// ```swift
/// let isolation = PluginIsolation.process(IsolationSettings())
/// ```
public enum PluginIsolation: Sendable, Hashable {
    /// In the gateway's process: for plugins you trust.
    case inProcess
    /// In a supervised worker process started from the `bifrost` executable.
    case process(IsolationSettings)

    /// `in_process` or `process`, as configuration files and `/api/plugins` write it.
    public var name: String {
        switch self {
        case .inProcess: "in_process"
        case .process: "process"
        }
    }
}
