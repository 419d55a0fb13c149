/// When to try again and how long to wait first.
///
/// ```swift
/// let policy = ProviderSettings.RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(250))
/// let wait = RetryRules.delay(after: error, failures: 1, policy: policy)
/// ```
public enum RetryRules {
    /// Statuses worth another attempt at the same provider: rate limits, server errors, and
    /// the 502/504 a provider reports for a refused, reset or timed-out connection.
    public static let retryableStatuses: Set<Int> = [429, 500, 502, 503, 504]

    /// Statuses after which the next attempt should use another key, if there is one.
    public static let keyRotationStatuses: Set<Int> = [401, 403, 429]

    /// Statuses that mean the request itself is at fault (or was cancelled), so falling back
    /// cannot help.
    public static let noFallbackStatuses: Set<Int> = [400, 413, 422, 499]

    /// Whether `error` is worth another attempt at the same provider; 401 and 403 are when
    /// another key is left (`hasFreshKey`). The gate's own `queue_full` refusal is not.
    public static func isRetryable(_ error: BifrostError, hasFreshKey: Bool) -> Bool {
        if error.code == "queue_full" && error.type == "server_overloaded" { return false }
        if retryableStatuses.contains(error.status) { return true }
        return (error.status == 401 || error.status == 403) && hasFreshKey
    }

    /// Whether the next candidate (a fallback) may be tried after `error`.
    public static func allowsFallback(_ error: BifrostError) -> Bool {
        !noFallbackStatuses.contains(error.status)
    }

    /// The wait before the next attempt after `failures` failed attempts (1 for the first retry).
    ///
    /// An upstream `retry-after` (seconds) or `retry-after-ms` header is honoured, capped at
    /// `maxBackoff`; otherwise exponential backoff with full jitter: a uniform random wait
    /// between zero and `min(maxBackoff, initialBackoff × 2^(failures−1))`.
    public static func delay(after error: BifrostError, failures: Int, policy: ProviderSettings.RetryPolicy) -> Duration {
        // The system generator without `inout`: see `KeySelector.pick(from:avoiding:)`.
        delay(after: error, failures: failures, policy: policy) { Int64.random(in: 0...$0) }
    }

    /// The same with a given generator (a seeded one in tests).
    public static func delay(
        after error: BifrostError, failures: Int, policy: ProviderSettings.RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> Duration {
        delay(after: error, failures: failures, policy: policy) { Int64.random(in: 0...$0, using: &generator) }
    }

    /// `draw(n)` returns a number in `0...n`.
    private static func delay(
        after error: BifrostError, failures: Int, policy: ProviderSettings.RetryPolicy, draw: (Int64) -> Int64
    ) -> Duration {
        let cap = policy.maxBackoff
        if let upstream = retryAfter(error.headers) { return min(upstream, cap) }
        let exponent = min(max(failures - 1, 0), 30)
        let ceiling = min(cap, policy.initialBackoff * (1 << exponent))
        let nanoseconds = ceiling.wholeNanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(draw(nanoseconds))
    }

    /// The wait an upstream asked for, from `retry-after-ms` or `retry-after` (in seconds;
    /// HTTP dates are ignored).
    public static func retryAfter(_ headers: HeaderFields) -> Duration? {
        if let text = headers["retry-after-ms"], let milliseconds = Double(trimmed(text)), milliseconds >= 0,
            milliseconds.isFinite
        {
            return .nanoseconds(Int64(min(milliseconds, 86_400_000) * 1_000_000))
        }
        if let text = headers["retry-after"], let seconds = Double(trimmed(text)), seconds >= 0, seconds.isFinite {
            return .nanoseconds(Int64(min(seconds, 86_400) * 1_000_000_000))
        }
        return nil
    }

    private static func trimmed(_ text: String) -> Substring {
        var text = text[...]
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
