public import BifrostPluginSDK

/// Token-bucket rate limiting per scope (global, client, provider, model), by requests and
/// optionally by tokens counted from usage.
///
/// A request must fit every limit that applies to it: then one request is taken from each
/// request bucket, and its usage is later taken from each token bucket. Over a limit it is
/// rejected with 429, `retry-after` and OpenAI's `x-ratelimit-*` headers, or, in `wait`
/// mode, held (no thread held) until it fits or `max_wait_ms` runs out. Every answer carries
/// the `x-ratelimit-*` headers of the tightest bucket.
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
    }

    /// Admits, delays or rejects the request.
    ///
    /// ```swift
    /// let decision = try limiter.preHook(request: request, context: context)  // .continue, .wait or .reject
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let provider = try request.provider
        let model = try request.model
        let client = try context.clientID
        let keys = keys(client: client, provider: provider, model: model)
        if keys.isEmpty { return .continue }
        let now = host.monotonicNanoseconds()
        switch buckets.withLock({ $0.admit(keys, now: now) }) {
        case .admitted(let headers):
            // Set on the context, the headers reach every kind of answer, a stream's head included.
            for (name, value) in headers.fields { try context.setResponseHeader(name, value) }
            if countsTokens { try context.set(Self.scopeKey, .string("\(client)\n\(provider)\n\(model)")) }
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
        let now = host.monotonicNanoseconds()
        for (name, value) in buckets.withLock({ $0.charge(tokens: used, to: keys, now: now) }).fields {
            try response.setHeader(name, value)
        }
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
        let rate =
            unit == .requests
            ? "\(Self.number(limit.requestsPerMinute ?? 0)) requests per minute (burst \(Self.number(limit.burst)))"
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
