/// Token buckets for every limit and scope value, refilled lazily from a monotonic clock.
///
/// A value type: the plugin keeps it behind one lock, and every decision (check all the
/// limits that apply, then take from all of them or none) happens in one critical section.
struct TokenBuckets: Sendable {
    /// One scope value's buckets: requests and tokens left, and when they were last refilled.
    struct Bucket: Sendable {
        var requests: Double
        var tokens: Double
        var updated: UInt64
    }

    /// Which bucket of which limit a request draws on.
    struct Key: Sendable, Hashable {
        var limit: Int
        var value: String
    }

    /// What a request's admission found.
    enum Admission: Sendable {
        /// Admitted; the tightest request bucket afterwards, for the response headers.
        case admitted(RateLimitHeaders)
        /// Over a limit; admitted after `waitNanoseconds` at the soonest.
        case limited(limit: Int, value: String, unit: Unit, waitNanoseconds: UInt64, headers: RateLimitHeaders)
    }

    /// What ran out.
    enum Unit: String, Sendable { case requests, tokens }

    private let limits: [RateLimitConfiguration.Limit]
    private let maxKeys: Int
    private var buckets: [[String: Bucket]]

    init(limits: [RateLimitConfiguration.Limit], maxKeys: Int) {
        self.limits = limits
        self.maxKeys = maxKeys
        buckets = Array(repeating: [:], count: limits.count)
    }

    /// Takes one request from every bucket in `keys` if all have room, else none.
    mutating func admit(_ keys: [Key], now: UInt64) -> Admission {
        var headers = RateLimitHeaders()
        for key in keys {
            let limit = limits[key.limit]
            let bucket = refilled(key, now: now)
            if let perMinute = limit.requestsPerMinute, bucket.requests < 1 {
                let wait = Self.nanoseconds(toGain: 1 - bucket.requests, perMinute: perMinute)
                headers.noteRequests(limit: limit.burst, remaining: 0, resetNanoseconds: wait)
                return .limited(limit: key.limit, value: key.value, unit: .requests, waitNanoseconds: wait, headers: headers)
            }
            if let perMinute = limit.tokensPerMinute, bucket.tokens <= 0 {
                let wait = Self.nanoseconds(toGain: 1 - bucket.tokens, perMinute: perMinute)
                headers.noteTokens(limit: perMinute, remaining: 0, resetNanoseconds: wait)
                return .limited(limit: key.limit, value: key.value, unit: .tokens, waitNanoseconds: wait, headers: headers)
            }
        }
        for key in keys {
            let limit = limits[key.limit]
            guard let perMinute = limit.requestsPerMinute else { continue }
            let left = update(key) { bucket in
                bucket.requests -= 1
                return bucket.requests
            }
            headers.noteRequests(
                limit: limit.burst, remaining: left,
                resetNanoseconds: Self.nanoseconds(toGain: limit.burst - left, perMinute: perMinute))
        }
        for key in keys {
            let limit = limits[key.limit]
            guard let perMinute = limit.tokensPerMinute else { continue }
            let left = update(key) { $0.tokens }
            headers.noteTokens(
                limit: perMinute, remaining: left,
                resetNanoseconds: Self.nanoseconds(toGain: perMinute - left, perMinute: perMinute))
        }
        return .admitted(headers)
    }

    /// Takes `tokens` used by an answer from the token buckets in `keys` (they may go below
    /// zero: later requests wait until the debt is repaid). Returns the tightest token bucket.
    mutating func charge(tokens: Double, to keys: [Key], now: UInt64) -> RateLimitHeaders {
        var headers = RateLimitHeaders()
        for key in keys {
            guard let perMinute = limits[key.limit].tokensPerMinute else { continue }
            _ = refilled(key, now: now)
            let left = update(key) { bucket in
                bucket.tokens -= tokens
                return bucket.tokens
            }
            headers.noteTokens(
                limit: perMinute, remaining: left,
                resetNanoseconds: Self.nanoseconds(toGain: perMinute - left, perMinute: perMinute))
        }
        return headers
    }

    /// Forgets the buckets of `value` in the limits `matching` (they start full again);
    /// whether there were any.
    mutating func reset(_ value: String, limits matching: [Int]) -> Bool {
        var removed = false
        for index in matching where buckets[index].removeValue(forKey: value) != nil { removed = true }
        return removed
    }

    /// The whole requests left to `value` in the tightest of the limits `matching` that count
    /// requests, refilled to `now` (a full bucket when it has none yet); `nil` when none counts requests.
    func remainingRequests(_ value: String, limits matching: [Int], now: UInt64) -> Int? {
        var least: Double?
        for index in matching {
            let limit = limits[index]
            guard let perMinute = limit.requestsPerMinute else { continue }
            var left = limit.burst
            if let bucket = buckets[index][value] {
                let minutes = now > bucket.updated ? Double(now - bucket.updated) / 60e9 : 0
                left = min(limit.burst, bucket.requests + minutes * perMinute)
            }
            least = min(least ?? left, left)
        }
        return least.map { Int($0.rounded(.down)) }
    }

    /// How many buckets a limit holds now.
    func count(limit: Int) -> Int { buckets[limit].count }

    /// The bucket for `key` refilled to `now`, created full on first use.
    private mutating func refilled(_ key: Key, now: UInt64) -> Bucket {
        let limit = limits[key.limit]
        let tokenCapacity = limit.tokensPerMinute ?? 0
        guard let index = buckets[key.limit].index(forKey: key.value) else {
            if buckets[key.limit].count >= maxKeys { evict(limit: key.limit, now: now) }
            let fresh = Bucket(requests: limit.burst, tokens: tokenCapacity, updated: now)
            buckets[key.limit][key.value] = fresh
            return fresh
        }
        return Self.refill(&buckets[key.limit].values[index], limit: limit, now: now)
    }

    /// Refills `bucket` to `now` in place and returns it.
    private static func refill(_ bucket: inout Bucket, limit: RateLimitConfiguration.Limit, now: UInt64) -> Bucket {
        let elapsedMinutes = Double(now &- bucket.updated) / 60e9
        if now > bucket.updated {
            if let perMinute = limit.requestsPerMinute {
                bucket.requests = min(limit.burst, bucket.requests + elapsedMinutes * perMinute)
            }
            if let perMinute = limit.tokensPerMinute {
                bucket.tokens = min(perMinute, bucket.tokens + elapsedMinutes * perMinute)
            }
            bucket.updated = now
        }
        return bucket
    }

    /// Runs `body` on the existing bucket of `key` in place: one hash lookup for a read and a write.
    private mutating func update<Result>(_ key: Key, _ body: (inout Bucket) -> Result) -> Result {
        let index = buckets[key.limit].index(forKey: key.value)!
        return body(&buckets[key.limit].values[index])
    }

    /// Makes room in a full limit: a bucket refilled to the top is the same as no bucket, so
    /// those go first; then the least recently used.
    private mutating func evict(limit index: Int, now: UInt64) {
        let limit = limits[index]
        let capacity = limit.tokensPerMinute ?? 0
        buckets[index] = buckets[index].filter { _, bucket in
            let minutes = Double(now &- bucket.updated) / 60e9
            let requestsFull = limit.requestsPerMinute.map { bucket.requests + minutes * $0 >= limit.burst } ?? true
            let tokensFull = limit.tokensPerMinute.map { bucket.tokens + minutes * $0 >= capacity } ?? true
            return !(requestsFull && tokensFull)
        }
        let excess = buckets[index].count - (maxKeys - 1)
        if excess > 0 {
            for (value, _) in buckets[index].sorted(by: { $0.value.updated < $1.value.updated }).prefix(excess) {
                buckets[index][value] = nil
            }
        }
    }

    /// Nanoseconds until a bucket refilling at `perMinute` gains `amount`.
    static func nanoseconds(toGain amount: Double, perMinute: Double) -> UInt64 {
        guard amount > 0 else { return 0 }
        return UInt64((amount / perMinute * 60e9).rounded(.up))
    }
}

/// OpenAI's rate-limit headers for the tightest bucket a request touched.
///
/// ```text
/// x-ratelimit-limit-requests: 60
/// x-ratelimit-remaining-requests: 59
/// x-ratelimit-reset-requests: 1s
/// ```
public struct RateLimitHeaders: Sendable {
    var requests: (limit: Double, remaining: Double, reset: UInt64)?
    var tokens: (limit: Double, remaining: Double, reset: UInt64)?

    mutating func noteRequests(limit: Double, remaining: Double, resetNanoseconds: UInt64) {
        if requests == nil || remaining < requests!.remaining { requests = (limit, remaining, resetNanoseconds) }
    }

    mutating func noteTokens(limit: Double, remaining: Double, resetNanoseconds: UInt64) {
        if tokens == nil || remaining < tokens!.remaining { tokens = (limit, remaining, resetNanoseconds) }
    }

    /// The headers as name–value pairs.
    ///
    /// ```swift
    /// headers.fields  // [("x-ratelimit-limit-requests", "60"), …]
    /// ```
    public var fields: [(String, String)] {
        var fields: [(String, String)] = []
        forEachField { fields.append(($0, $1)) }
        return fields
    }

    /// Calls `body` with each header of ``fields``, in order, without collecting them: the
    /// hooks set them one by one.
    func forEachField(_ body: (String, String) throws -> Void) rethrows {
        if let requests {
            try body("x-ratelimit-limit-requests", String(Int(requests.limit)))
            try body("x-ratelimit-remaining-requests", String(Int(max(0, requests.remaining).rounded(.down))))
            try body("x-ratelimit-reset-requests", Self.duration(requests.reset))
        }
        if let tokens {
            try body("x-ratelimit-limit-tokens", String(Int(tokens.limit)))
            try body("x-ratelimit-remaining-tokens", String(Int(max(0, tokens.remaining).rounded(.down))))
            try body("x-ratelimit-reset-tokens", Self.duration(tokens.reset))
        }
    }

    /// A duration as OpenAI writes it: `20ms`, `1.5s`, `6m0s`.
    ///
    /// ```swift
    /// RateLimitHeaders.duration(1_500_000_000)  // "1.5s"
    /// ```
    public static func duration(_ nanoseconds: UInt64) -> String {
        let milliseconds = (nanoseconds + 999_999) / 1_000_000
        if milliseconds < 1_000 { return "\(milliseconds)ms" }
        if milliseconds < 60_000 {
            let tenths = (milliseconds + 99) / 100
            return tenths % 10 == 0 ? "\(tenths / 10)s" : "\(tenths / 10).\(tenths % 10)s"
        }
        let seconds = (milliseconds + 999) / 1_000
        return "\(seconds / 60)m\(seconds % 60)s"
    }
}
