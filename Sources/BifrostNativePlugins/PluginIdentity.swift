import BifrostCore
import CBifrostPlugin
import Logging

/// Who a native plugin is to the host: the object behind its `bifrost_plugin_token`.
///
/// Tokens stay valid for the life of the process (a plugin may log from its own threads
/// at any time), so identities are never freed.
final class PluginIdentity: Sendable {
    let source: String
    /// Where the plugin's metrics are defined.
    let metrics: MetricsRegistry
    private let logger: Logger
    private let state = LockedValue<(name: String?, createError: String?, isCreating: Bool)>((nil, nil, true))

    init(source: String, logger: Logger, metrics: MetricsRegistry) {
        self.source = source
        self.logger = logger
        self.metrics = metrics
    }

    /// Whether `bifrost_plugin_create` is still running (metrics may be defined).
    var isCreating: Bool {
        get { state.withLock { $0.isCreating } }
        set { state.withLock { $0.isCreating = newValue } }
    }

    var name: String? {
        get { state.withLock { $0.name } }
        set { state.withLock { $0.name = newValue } }
    }

    var createError: String? {
        get { state.withLock { $0.createError } }
        set { state.withLock { $0.createError = newValue } }
    }

    /// A token that stays valid forever.
    func makeToken() -> OpaquePointer {
        OpaquePointer(Unmanaged.passRetained(self).toOpaque())
    }

    static func resolve(_ token: OpaquePointer?) -> PluginIdentity? {
        guard let token else { return nil }
        return Unmanaged<PluginIdentity>.fromOpaque(UnsafeRawPointer(token)).takeUnretainedValue()
    }

    func log(level: bifrost_log_level, message: String) {
        let swiftLevel: Logger.Level =
            switch level {
            case BIFROST_LOG_DEBUG: .debug
            case BIFROST_LOG_INFO: .info
            case BIFROST_LOG_WARNING: .warning
            default: .error
            }
        logger.log(level: swiftLevel, "\(message)", metadata: ["plugin": "\(name ?? source)"])
    }
}
