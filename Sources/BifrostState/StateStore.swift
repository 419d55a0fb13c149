/// Where plugins keep state that outlives a request: counters in a window (rate limits,
/// budgets) and values with a time to live (caches). ``MemoryStateStore`` keeps it in the
/// process; ``RedisStateStore`` shares it between gateway replicas.
///
/// Counters are exact under concurrency: an increment is one atomic operation on the backend,
/// never a read then a write.
///
/// ```swift
/// let reading = try await store.increment("team-a:requests", by: 1, window: .seconds(60))
/// if reading.value > 600 { reject(retryAfter: reading.resetsIn) }
/// ```
public protocol StateStore: Sendable {
    /// Adds `amount` to the counter `key` and reads it. A counter that does not exist starts
    /// at zero and lives for `window` from that first increment (a fixed window).
    func increment(_ key: String, by amount: Int64, window: Duration) async throws(StateStoreError) -> CounterReading

    /// The value stored under `key`, or `nil` when there is none (or it expired).
    func value(forKey key: String) async throws(StateStoreError) -> [UInt8]?

    /// Stores `value` under `key`, for `timeToLive` (`nil`: until removed or evicted).
    func setValue(_ value: [UInt8], forKey key: String, timeToLive: Duration?) async throws(StateStoreError)

    /// Removes the value or counter `key`; removing what is not there is not an error.
    func removeValue(forKey key: String) async throws(StateStoreError)
}

/// A counter as an increment left it.
///
/// ```swift
/// reading.value     // 3
/// reading.resetsIn  // .milliseconds(59_120)
/// ```
public struct CounterReading: Sendable, Hashable {
    /// The counter after the increment.
    public var value: Int64
    /// How long until the window ends and the counter starts again from zero.
    public var resetsIn: Duration

    /// A reading.
    public init(value: Int64, resetsIn: Duration) {
        self.value = value
        self.resetsIn = resetsIn
    }
}
