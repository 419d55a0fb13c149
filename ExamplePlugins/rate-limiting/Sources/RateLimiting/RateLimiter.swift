public import BifrostPluginSDK

/// Token-bucket rate limiting per scope (global, client, provider, model), by requests and
/// optionally by tokens counted from usage.
///
/// A request must fit every limit that applies to it: then one request is taken from each
/// request bucket, and its usage is later taken from each token bucket. Over a limit it is
/// rejected with 429, `retry-after` and OpenAI's `x-ratelimit-*` headers, or, in `wait`
/// mode, held (no thread held) until it fits or `max_wait_ms` runs out. Every answer carries
/// the `x-ratelimit-*` headers of the tightest bucket. With `"store": "shared"` the counts
/// are fixed one-minute windows in the gateway's state, shared by its replicas.
///
/// ```swift
/// let limiter = try RateLimiter(configuration: PluginConfiguration(
///     text: #"{"limits": [{"scope": "client", "requests_per_minute": 60, "burst": 10}]}"#))
/// ```
public struct RateLimiter: PreHookPlugin, PostHookPlugin {
    /// `rate-limiting`.
    ///
    /// ```swift
    /// RateLimiter.name  // "rate-limiting"
    /// ```
    public static let name = "rate-limiting"

    /// The plugin's version.
    ///
    /// ```swift
    /// RateLimiter.version  // "1.0.0"
    /// ```
    public static let version = "1.0.0"

    /// The checked configuration.
    ///
    /// ```swift
    /// limiter.configuration.mode  // .reject
    /// ```
    public let configuration: RateLimitConfiguration
    let buckets: PluginLock<TokenBuckets>
    let host: PluginHost
    private let countsTokens: Bool
    /// Which of the request's facts the limits' scopes read (all three when tokens are
    /// counted: the PostHook needs them); the others are never fetched from the host.
    private let reads: (client: Bool, provider: Bool, model: Bool)

    /// Context keys: the scope values a token charge goes to, and when a waiting request
    /// first waited.
    static let scopeKey = "rate-limiting.scope"
    static let waitStartKey = "rate-limiting.wait_start_ns"

    /// Reads and checks the configuration; refuses unknown fields and impossible limits.
    ///
    /// ```swift
    /// let limiter = try RateLimiter(configuration: PluginConfiguration(text: #"{"limits":[{"scope":"global","requests_per_minute":600}]}"#))
    /// ```
    public init(configuration: PluginConfiguration) throws {
        self.configuration = try RateLimitConfiguration(configuration)
        buckets = PluginLock(TokenBuckets(limits: self.configuration.limits, maxKeys: self.configuration.maxKeys))
        host = configuration.host
        countsTokens = self.configuration.limits.contains { $0.tokensPerMinute != nil }
        let scopes = Set(self.configuration.limits.map(\.scope))
        reads = (
            client: countsTokens || scopes.contains(.client),
            provider: countsTokens || scopes.contains(.provider) || scopes.contains(.model),
            model: countsTokens || scopes.contains(.model)
        )
    }

    /// Admits, delays or rejects the request.
    ///
    /// ```swift
    /// let decision = try limiter.preHook(request: request, context: context)  // .continue, .wait or .reject
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let provider = reads.provider ? try request.provider : ""
        let model = reads.model ? try request.model : ""
        let client = reads.client ? try context.clientID : ""
        let keys = keys(client: client, provider: provider, model: model)
        if keys.isEmpty { return .continue }
        let scope = countsTokens ? "\(client)\n\(provider)\n\(model)" : nil
        if configuration.store == .shared {
            return try sharedPreHook(keys, scope: scope, context: context)
        }
        let now = host.monotonicNanoseconds()
        switch buckets.withLock({ $0.admit(keys, now: now) }) {
        case .admitted(let headers):
            // Set on the context, the headers reach every kind of answer, a stream's head included.
            try headers.forEachField { name, value in try context.setResponseHeader(name, value) }
            if let scope { try context.set(Self.scopeKey, .string(scope)) }
            return .continue
        case .limited(let index, let value, let unit, let wait, let headers):
            if configuration.mode == .wait {
                let started = try context[Self.waitStartKey]?.doubleValue.map { UInt64($0) } ?? now
                if now - started + wait <= configuration.maxWaitNanoseconds {
                    if started == now { try context.set(Self.waitStartKey, .number(Double(now))) }
                    return .wait(nanoseconds: max(wait, 1_000_000))
                }
            }
            return .reject(rejection(limit: index, value: value, unit: unit, wait: wait, headers: headers.fields))
        }
    }

    /// Charges the answer's tokens to the token buckets and reports what is left.
    ///
    /// ```swift
    /// try limiter.postHook(outcome: outcome, context: context)
    /// ```
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard countsTokens, let response = try outcome.response, case .string(let scope)? = try context[Self.scopeKey] else {
            return
        }
        let parts = scope.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let used = Double(try response.usage.totalTokens)
        guard parts.count == 3, used > 0 else { return }
        let keys = keys(client: parts[0], provider: parts[1], model: parts[2])
        if configuration.store == .shared {
            // A write: the host performs it after the hook, so the next window read sees it.
            for key in keys where configuration.limits[key.limit].tokensPerMinute != nil {
                try context.chargeCounter(Self.counterKey("tok", key), Int64(used), windowMilliseconds: Self.windowMilliseconds)
            }
            return
        }
        let now = host.monotonicNanoseconds()
        try buckets.withLock { $0.charge(tokens: used, to: keys, now: now) }.forEachField { name, value in
            try response.setHeader(name, value)
        }
    }

    /// The shared window's length: `requests_per_minute` and `tokens_per_minute` count per minute.
    static let windowMilliseconds: UInt64 = 60_000

    /// The state counter of `key`'s limit and scope value for `kind` (`req` or `tok`).
    static func counterKey(_ kind: String, _ key: TokenBuckets.Key) -> String { "\(kind):\(key.limit):\(key.value)" }

    /// `store: shared`: counts this request in each request window and reads each token
    /// window, all in one round, then rejects at the first limit (in configuration order)
    /// the request does not fit. A rejected request still counts in its windows, as every
    /// replica's add is atomic and cannot be taken back without a second round.
    private func sharedPreHook(_ keys: [TokenBuckets.Key], scope: String?, context: HookContext) throws -> PreHookDecision {
        var readings: [(key: TokenBuckets.Key, unit: TokenBuckets.Unit, reading: CounterReading)] = []
        var pending = false
        for key in keys {
            let limit = configuration.limits[key.limit]
            // Every read is started before returning `.pending`, so the host performs them in one round.
            if limit.requestsPerMinute != nil {
                switch try context.addToCounter(Self.counterKey("req", key), 1, windowMilliseconds: Self.windowMilliseconds) {
                case .pending: pending = true
                case .ready(let reading): readings.append((key, .requests, reading))
                }
            }
            if limit.tokensPerMinute != nil {
                switch try context.addToCounter(Self.counterKey("tok", key), 0, windowMilliseconds: Self.windowMilliseconds) {
                case .pending: pending = true
                case .ready(let reading): readings.append((key, .tokens, reading))
                }
            }
        }
        if pending { return .pending }
        var headers = RateLimitHeaders()
        var limited: (key: TokenBuckets.Key, unit: TokenBuckets.Unit, wait: UInt64)?
        for (key, unit, reading) in readings {
            let limit = configuration.limits[key.limit]
            let reset = reading.resetsInMilliseconds * 1_000_000
            let value = Double(reading.value)
            switch unit {
            case .requests:
                let perMinute = limit.requestsPerMinute ?? 0
                headers.noteRequests(limit: perMinute, remaining: perMinute - value, resetNanoseconds: reset)
                if value > perMinute, limited == nil { limited = (key, unit, reset) }
            case .tokens:
                let perMinute = limit.tokensPerMinute ?? 0
                headers.noteTokens(limit: perMinute, remaining: perMinute - value, resetNanoseconds: reset)
                // Tokens are charged after the answer, so a window that is used up refuses the next request.
                if value >= perMinute, limited == nil { limited = (key, unit, reset) }
            }
        }
        if let limited {
            return .reject(
                rejection(
                    limit: limited.key.limit, value: limited.key.value, unit: limited.unit, wait: limited.wait,
                    headers: headers.fields))
        }
        try headers.forEachField { name, value in try context.setResponseHeader(name, value) }
        if let scope { try context.set(Self.scopeKey, .string(scope)) }
        return .continue
    }

    /// The buckets a request draws on: one per limit that applies.
    func keys(client: String, provider: String, model: String) -> [TokenBuckets.Key] {
        var keys: [TokenBuckets.Key] = []
        keys.reserveCapacity(configuration.limits.count)
        for (index, limit) in configuration.limits.enumerated() {
            let value: String
            switch limit.scope {
            case .global: value = ""
            case .client: value = client
            case .provider: value = provider
            case .model: value = provider.isEmpty ? model : provider + "/" + model
            }
            if let match = limit.match, match != value { continue }
            keys.append(TokenBuckets.Key(limit: index, value: value))
        }
        return keys
    }

    private func rejection(limit index: Int, value: String, unit: TokenBuckets.Unit, wait: UInt64, headers: [(String, String)])
        -> Rejection
    {
        let limit = configuration.limits[index]
        let subject = limit.scope == .global ? "the gateway" : "\(limit.scope.rawValue) '\(value)'"
        // A shared window has no burst: it is a fixed count per minute.
        let burst = configuration.store == .local ? " (burst \(Self.number(limit.burst)))" : ""
        let rate =
            unit == .requests
            ? "\(Self.number(limit.requestsPerMinute ?? 0)) requests per minute\(burst)"
            : "\(Self.number(limit.tokensPerMinute ?? 0)) tokens per minute"
        let retrySeconds = max(1, (wait + 999_999_999) / 1_000_000_000)
        var fields = Dictionary(headers, uniquingKeysWith: { first, _ in first })
        fields["retry-after"] = String(retrySeconds)
        fields["retry-after-ms"] = String(max(1, (wait + 999_999) / 1_000_000))
        let waited = configuration.mode == .wait ? " after waiting up to \(configuration.maxWaitNanoseconds / 1_000_000) ms" : ""
        return Rejection(
            status: 429, type: unit.rawValue,
            message:
                "Rate limit reached for \(subject): \(rate) (limits[\(index)])\(waited). Retry after \(RateLimitHeaders.duration(wait)).",
            code: "rate_limit_exceeded", headers: fields)
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
