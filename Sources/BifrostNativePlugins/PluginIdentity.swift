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
    /// What the predecessor handed on, lent by `get_handed_state` while create runs.
    private let handed: LockedValue<HandedStateBytes?>
    /// The configuration bytes, parsed at the first `config_root`, and the parsed document's serial.
    private let config: LockedValue<(bytes: [UInt8], serial: UInt?, parseError: String?)>
    /// The full path of the field `config_refuse` named, when it did.
    private let refused = LockedValue<String?>(nil)

    init(source: String, logger: Logger, metrics: MetricsRegistry, handedState: [UInt8]? = nil, configuration: [UInt8] = []) {
        self.source = source
        self.logger = logger
        self.metrics = metrics
        handed = LockedValue(handedState.map(HandedStateBytes.init))
        config = LockedValue((configuration, nil, nil))
    }

    /// The serial of the configuration document (``ConfigDocuments``), parsing it the first
    /// time; the parser's complaint when the bytes are not JSON.
    func configurationDocument() -> Result<UInt, ConfigParseFailure> {
        config.withLock { config in
            if let serial = config.serial { return .success(serial) }
            if let problem = config.parseError { return .failure(ConfigParseFailure(reason: problem)) }
            do throws(JSONParseError) {
                let document = try ConfigDocument(parsing: config.bytes)
                let serial = ConfigDocuments.shared.open(document, for: self)
                config.serial = serial
                config.bytes = []
                return .success(serial)
            } catch {
                config.parseError = error.description
                return .failure(ConfigParseFailure(reason: error.description))
            }
        }
    }

    /// The field `config_refuse` named (its full path), if it was called.
    var refusedField: String? {
        get { refused.withLock { $0 } }
        set { refused.withLock { $0 = newValue } }
    }

    /// The handed state while create runs; `nil` afterwards, or when none was handed.
    var handedState: HandedStateBytes? { handed.withLock { $0 } }

    /// Create has returned: metrics may no longer be defined, and the handed state is freed.
    func finishCreating() {
        isCreating = false
        handed.withLock { $0 = nil }
        config.withLock { config in
            if let serial = config.serial { ConfigDocuments.shared.close(serial) }
            config.bytes = []
        }
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

/// Why a plugin's configuration bytes gave no document: they are not JSON.
struct ConfigParseFailure: Error {
    /// The parser's complaint.
    var reason: String
}
