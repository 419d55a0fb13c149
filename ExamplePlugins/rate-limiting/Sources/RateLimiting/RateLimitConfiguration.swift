public import BifrostPluginSDK

/// The rate limiter's configuration, checked when the plugin is created.
///
/// ```json
/// {"limits": [{"scope": "client", "requests_per_minute": 60, "burst": 10, "tokens_per_minute": 100000}],
///  "mode": "reject"}
/// ```
public struct RateLimitConfiguration: Sendable, Hashable {
    /// What happens to a request over a limit.
    public enum Mode: String, Sendable, Hashable {
        /// Answer 429 at once.
        case reject
        /// Hold the request (no thread held) until it fits, up to `max_wait_ms`; then 429.
        case wait
    }

    /// Where the limiter's counts live.
    public enum Store: String, Sendable, Hashable {
        /// Token buckets in this gateway's memory: each replica limits on its own.
        case local
        /// Fixed one-minute windows in the gateway's state (its `"state"` configuration:
        /// memory, or Redis shared by its replicas), so replicas limit together.
        case shared
    }

    /// Which requests share a bucket.
    public enum Scope: String, Sendable, Hashable, CaseIterable {
        /// Every request.
        case global
        /// Requests of one client (the gateway's client identity: a hash of the API key, or the address).
        case client
        /// Requests to one provider.
        case provider
        /// Requests to one `provider/model`.
        case model
    }

    /// One limit: a request bucket, a token bucket, or both, per value of its scope.
    public struct Limit: Sendable, Hashable {
        /// Which requests share a bucket.
        public var scope: Scope
        /// Only requests whose scope value is this (`openai`, `openai/gpt-4o`, a client id);
        /// `nil` gives every value its own bucket.
        public var match: String?
        /// Requests per minute the bucket refills with; `nil` for no request limit.
        public var requestsPerMinute: Double?
        /// The most requests at once (bucket size). Defaults to `requests_per_minute`.
        public var burst: Double
        /// Tokens (prompt + completion, from usage) per minute; `nil` for no token limit.
        public var tokensPerMinute: Double?
    }

    /// The limits; a request must fit all that apply to it.
    public var limits: [Limit]
    /// Reject or wait.
    public var mode: Mode
    /// Local token buckets or the gateway's shared state.
    public var store: Store
    /// The longest a request waits in `wait` mode, in nanoseconds.
    public var maxWaitNanoseconds: UInt64
    /// The most buckets one limit keeps (distinct clients, models); idle full buckets go first.
    public var maxKeys: Int

    /// Reads and checks `configuration`.
    ///
    /// ```swift
    /// let config = try RateLimitConfiguration(PluginConfiguration(text: #"{"limits":[{"scope":"global","requests_per_minute":600}]}"#))
    /// ```
    public init(_ configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["limits", "mode", "max_wait_ms", "max_keys", "store"])
        let file = try configuration.decode(File.self)
        guard !file.limits.isEmpty else {
            throw PluginConfigurationError("invalid configuration: 'limits' must list at least one limit")
        }
        guard let store = Store(rawValue: file.store ?? "local") else {
            throw PluginConfigurationError(
                "invalid configuration: 'store' must be \"local\" or \"shared\", got \"\(file.store!)\"")
        }
        self.store = store
        limits = try file.limits.enumerated().map { index, limit throws(PluginConfigurationError) in
            try Self.check(limit, at: index, store: store)
        }
        guard let mode = Mode(rawValue: file.mode ?? "reject") else {
            throw PluginConfigurationError("invalid configuration: 'mode' must be \"reject\" or \"wait\", got \"\(file.mode!)\"")
        }
        // A shared window only reopens when it ends, up to a minute away: past any wait worth holding a request for.
        if mode == .wait, store == .shared {
            throw PluginConfigurationError(
                "invalid configuration: 'mode' \"wait\" needs 'store' \"local\"; with \"shared\" use \"reject\"")
        }
        self.mode = mode
        let maxWait = file.maxWaitMilliseconds ?? 5_000
        guard (1...60_000).contains(maxWait) else {
            throw PluginConfigurationError("invalid configuration: 'max_wait_ms' must be 1 to 60000, got \(maxWait)")
        }
        maxWaitNanoseconds = UInt64(maxWait) * 1_000_000
        let maxKeys = file.maxKeys ?? 100_000
        guard maxKeys >= 1 else {
            throw PluginConfigurationError("invalid configuration: 'max_keys' must be at least 1, got \(maxKeys)")
        }
        self.maxKeys = maxKeys
    }

    private static func check(_ limit: File.Limit, at index: Int, store: Store) throws(PluginConfigurationError) -> Limit {
        let field = "limits[\(index)]"
        guard let scope = Scope(rawValue: limit.scope) else {
            let scopes = Scope.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw PluginConfigurationError(
                "invalid configuration: '\(field).scope' must be one of \(scopes), got \"\(limit.scope)\"")
        }
        if scope == .global, limit.match != nil {
            throw PluginConfigurationError("invalid configuration: '\(field).match' does not apply to the global scope")
        }
        guard limit.requestsPerMinute != nil || limit.tokensPerMinute != nil else {
            throw PluginConfigurationError(
                "invalid configuration: '\(field)' needs 'requests_per_minute', 'tokens_per_minute' or both")
        }
        for (name, value) in [("requests_per_minute", limit.requestsPerMinute), ("tokens_per_minute", limit.tokensPerMinute)] {
            if let value, !(value.isFinite && value > 0) {
                throw PluginConfigurationError(
                    "invalid configuration: '\(field).\(name)' must be a positive number, got \(value)")
            }
        }
        if limit.burst != nil, store == .shared {
            throw PluginConfigurationError(
                "invalid configuration: '\(field).burst' does not apply to 'store' \"shared\" (a fixed one-minute window of 'requests_per_minute')"
            )
        }
        if let burst = limit.burst {
            guard limit.requestsPerMinute != nil else {
                throw PluginConfigurationError("invalid configuration: '\(field).burst' needs 'requests_per_minute'")
            }
            guard burst.isFinite, burst >= 1 else {
                throw PluginConfigurationError("invalid configuration: '\(field).burst' must be at least 1, got \(burst)")
            }
        }
        return Limit(
            scope: scope, match: limit.match, requestsPerMinute: limit.requestsPerMinute,
            burst: limit.burst ?? max(1, limit.requestsPerMinute ?? 1), tokensPerMinute: limit.tokensPerMinute)
    }

    /// The file's shape.
    private struct File: Decodable {
        struct Limit: Decodable {
            var scope: String
            var match: String?
            var requestsPerMinute: Double?
            var burst: Double?
            var tokensPerMinute: Double?

            enum CodingKeys: String, CodingKey, CaseIterable {
                case scope, match, burst
                case requestsPerMinute = "requests_per_minute"
                case tokensPerMinute = "tokens_per_minute"
            }

            init(from decoder: any Decoder) throws {
                try PluginConfiguration.rejectUnknownKeys(in: decoder, known: Set(CodingKeys.allCases.map(\.rawValue)))
                let container = try decoder.container(keyedBy: CodingKeys.self)
                scope = try container.decode(String.self, forKey: .scope)
                match = try container.decodeIfPresent(String.self, forKey: .match)
                requestsPerMinute = try container.decodeIfPresent(Double.self, forKey: .requestsPerMinute)
                burst = try container.decodeIfPresent(Double.self, forKey: .burst)
                tokensPerMinute = try container.decodeIfPresent(Double.self, forKey: .tokensPerMinute)
            }
        }

        var limits: [Limit]
        var mode: String?
        var maxWaitMilliseconds: Int?
        var maxKeys: Int?
        var store: String?

        enum CodingKeys: String, CodingKey {
            case limits, mode, store
            case maxWaitMilliseconds = "max_wait_ms"
            case maxKeys = "max_keys"
        }
    }
}
