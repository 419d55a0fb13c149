public import BifrostPluginSDK

/// The response cache's configuration, checked when the plugin is created.
///
/// ```json
/// {"ttl_seconds": 300, "max_entries": 10000, "max_bytes": 67108864, "max_entry_bytes": 1048576}
/// ```
public struct CacheConfiguration: Sendable, Hashable {
    /// Where answers are kept.
    public enum Store: String, Sendable, Hashable {
        /// An LRU in this gateway's memory, bounded by `max_entries` and `max_bytes`.
        case local
        /// The gateway's state (its `"state"` configuration: memory, or Redis shared by its
        /// replicas), expiring after `ttl_seconds`; `max_entries` and `max_bytes` do not apply.
        case shared
    }

    /// Local LRU or the gateway's shared state.
    public var store: Store
    /// How long an answer stays fresh, in nanoseconds.
    public var ttlNanoseconds: UInt64
    /// The most answers kept.
    public var maxEntries: Int
    /// The most bytes kept (keys and answers).
    public var maxBytes: Int
    /// Answers larger than this are not kept.
    public var maxEntryBytes: Int
    /// Request parameters left out of the key besides `user`, `stream` and `stream_options`.
    public var ignoredParameters: [String]

    /// Reads and checks `configuration`.
    ///
    /// ```swift
    /// let config = try CacheConfiguration(PluginConfiguration(text: #"{"ttl_seconds": 60}"#))
    /// ```
    public init(_ configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: [
            "ttl_seconds", "max_entries", "max_bytes", "max_entry_bytes", "ignore_params", "store",
        ])
        let file = try configuration.decode(File.self)
        guard let store = Store(rawValue: file.store ?? "local") else {
            throw PluginConfigurationError(
                "invalid configuration: 'store' must be \"local\" or \"shared\", got \"\(file.store!)\"")
        }
        self.store = store
        let ttl = file.ttlSeconds ?? 300
        guard ttl.isFinite, ttl > 0, ttl <= 30 * 86_400 else {
            throw PluginConfigurationError(
                "invalid configuration: 'ttl_seconds' must be more than 0 and at most 2592000 (30 days), got \(ttl)")
        }
        ttlNanoseconds = UInt64(ttl * 1e9)
        maxEntries = file.maxEntries ?? 10_000
        guard maxEntries >= 1 else {
            throw PluginConfigurationError("invalid configuration: 'max_entries' must be at least 1, got \(maxEntries)")
        }
        maxBytes = file.maxBytes ?? 64 << 20
        guard maxBytes >= 1024 else {
            throw PluginConfigurationError("invalid configuration: 'max_bytes' must be at least 1024, got \(maxBytes)")
        }
        maxEntryBytes = file.maxEntryBytes ?? min(maxBytes, 1 << 20)
        guard (1...maxBytes).contains(maxEntryBytes) else {
            throw PluginConfigurationError(
                "invalid configuration: 'max_entry_bytes' must be 1 to max_bytes (\(maxBytes)), got \(maxEntryBytes)")
        }
        ignoredParameters = file.ignoreParams ?? []
    }

    /// The parameters the key leaves out.
    var omittedParameters: [String] { ["user", "stream", "stream_options"] + ignoredParameters }

    private struct File: Decodable {
        var ttlSeconds: Double?
        var maxEntries: Int?
        var maxBytes: Int?
        var maxEntryBytes: Int?
        var ignoreParams: [String]?
        var store: String?

        enum CodingKeys: String, CodingKey {
            case store
            case ttlSeconds = "ttl_seconds"
            case maxEntries = "max_entries"
            case maxBytes = "max_bytes"
            case maxEntryBytes = "max_entry_bytes"
            case ignoreParams = "ignore_params"
        }
    }
}
