/// A plugin's configuration as the host passed it (JSON bytes; `{}` when none), and the
/// host services available while the plugin is being created.
///
/// ```swift
/// struct Config: Decodable { var limit: Int }
/// init(configuration: PluginConfiguration) throws {
///     let config = try configuration.decode(Config.self)
///     configuration.logger.info("limit \(config.limit)")
/// }
/// ```
public struct PluginConfiguration: Sendable {
    /// The raw configuration bytes (JSON by convention).
    ///
    /// ```swift
    /// configuration.bytes.count
    /// ```
    public let bytes: [UInt8]

    /// The host's services: clock, ABI version, logger.
    ///
    /// ```swift
    /// let clock = configuration.host
    /// ```
    public let host: PluginHost

    /// The state the instance this one replaces handed on at a reload (its
    /// ``StatefulPlugin/exportState()``, ABI 1.4); `nil` on a first load, or when the
    /// predecessor handed nothing on or the host is older than 1.4.
    ///
    /// ```swift
    /// let count = configuration.handedState.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0
    /// ```
    public let handedState: [UInt8]?

    /// Creates a configuration; empty bytes read as `{}`. Use ``PluginHost/detached`` to
    /// construct a plugin outside a host, with `handedState` to test taking state over.
    ///
    /// ```swift
    /// let configuration = PluginConfiguration(bytes: Array(#"{"limit": 3}"#.utf8))
    /// ```
    public init(bytes: [UInt8], host: PluginHost = .detached, handedState: [UInt8]? = nil) {
        self.bytes = bytes.isEmpty ? Array("{}".utf8) : bytes
        self.host = host
        self.handedState = handedState
    }

    /// Creates a configuration from JSON text; empty text reads as `{}`.
    ///
    /// ```swift
    /// let plugin = try MyPlugin(configuration: PluginConfiguration(text: #"{"limit": 3}"#))
    /// ```
    public init(text: String, host: PluginHost = .detached) {
        self.init(bytes: Array(text.utf8), host: host)
    }

    /// The configuration as text (invalid UTF-8 is repaired).
    ///
    /// ```swift
    /// configuration.text  // "{\"limit\": 3}"
    /// ```
    public var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The logger attributed to this plugin; keep it if you log later.
    ///
    /// ```swift
    /// configuration.logger.info("starting")
    /// ```
    public var logger: PluginLogger { host.logger }
}
