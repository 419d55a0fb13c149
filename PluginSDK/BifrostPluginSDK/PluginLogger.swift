/// The level of a log line (`BIFROST_LOG_*`).
///
/// ```swift
/// context.log(.warning, "upstream slow")
/// ```
public enum PluginLogLevel: Int32, Sendable, Hashable, CaseIterable {
    /// `BIFROST_LOG_DEBUG`.
    ///
    /// ```swift
    /// logger.log(.debug, "…")
    /// ```
    case debug = 0
    /// `BIFROST_LOG_INFO`.
    ///
    /// ```swift
    /// logger.log(.info, "…")
    /// ```
    case info = 1
    /// `BIFROST_LOG_WARNING`.
    ///
    /// ```swift
    /// logger.log(.warning, "…")
    /// ```
    case warning = 2
    /// `BIFROST_LOG_ERROR`.
    ///
    /// ```swift
    /// logger.log(.error, "…")
    /// ```
    case error = 3
}

/// Writes log lines attributed to the plugin through the host's `log` service.
///
/// Safe from any thread at any time after creation; keep it in your plugin if you log
/// outside hooks. Logging never throws: a line the host refuses is dropped.
///
/// ```swift
/// init(configuration: PluginConfiguration) throws {
///     logger = configuration.logger
///     logger.info("ready")
/// }
/// ```
public struct PluginLogger: @unchecked Sendable {
    // The host table lives as long as the process and `log` is documented thread-safe.
    let host: UnsafePointer<bifrost_host_api>?
    let token: OpaquePointer?

    init(host: UnsafePointer<bifrost_host_api>?, token: OpaquePointer?) {
        self.host = host
        self.token = token
    }

    /// A logger that drops every line, for constructing a plugin outside a host.
    ///
    /// ```swift
    /// let quiet = PluginLogger.discarding
    /// ```
    public static var discarding: PluginLogger { PluginLogger(host: nil, token: nil) }

    /// Writes one line at `level`.
    ///
    /// ```swift
    /// logger.log(.info, "cache warmed with \(count) entries")
    /// ```
    public func log(_ level: PluginLogLevel, _ message: String) {
        guard let host, let log = host.pointee.log else { return }
        withHostString(message) { message in _ = log(token, level.rawValue, message) }
    }

    /// Writes a debug line.
    ///
    /// ```swift
    /// logger.debug("key \(key) missed")
    /// ```
    public func debug(_ message: String) { log(.debug, message) }

    /// Writes an info line.
    ///
    /// ```swift
    /// logger.info("ready")
    /// ```
    public func info(_ message: String) { log(.info, message) }

    /// Writes a warning line.
    ///
    /// ```swift
    /// logger.warning("falling back to defaults")
    /// ```
    public func warning(_ message: String) { log(.warning, message) }

    /// Writes an error line.
    ///
    /// ```swift
    /// logger.error("sink unreachable")
    /// ```
    public func error(_ message: String) { log(.error, message) }
}
