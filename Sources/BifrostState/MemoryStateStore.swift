import BifrostCore

/// A ``StateStore`` in this process: nothing to install, exact within one gateway, gone at a
/// restart. Values beyond ``maximumBytes`` in all evict the oldest first.
///
/// ```swift
/// let store = MemoryStateStore(maximumBytes: 64 << 20)
/// ```
public final class MemoryStateStore: StateStore {
    private struct Entry {
        var bytes: [UInt8]
        var counter: Int64
        var expires: ContinuousClock.Instant?
        var order: UInt64
    }

    private struct Contents {
        var entries: [String: Entry] = [:]
        var bytes = 0
        var nextOrder: UInt64 = 0
    }

    /// The most bytes of values (keys and values counted) kept at once.
    public let maximumBytes: Int
    private let contents = LockedValue(Contents())

    /// An empty store holding at most `maximumBytes`.
    public init(maximumBytes: Int = 64 * 1024 * 1024) {
        self.maximumBytes = maximumBytes
    }

    public func increment(_ key: String, by amount: Int64, window: Duration) async throws(StateStoreError)
        -> CounterReading
    {
        let now = ContinuousClock.now
        return contents.withLock { contents in
            var entry = live(contents.entries[key], at: now) ?? Entry(bytes: [], counter: 0, expires: now + window, order: 0)
            entry.counter &+= amount
            entry.order = contents.nextOrder
            contents.nextOrder += 1
            if contents.entries[key] == nil { contents.bytes += key.utf8.count }
            contents.entries[key] = entry
            return CounterReading(value: entry.counter, resetsIn: (entry.expires ?? now) - now)
        }
    }

    public func value(forKey key: String) async throws(StateStoreError) -> [UInt8]? {
        let now = ContinuousClock.now
        return contents.withLock { live($0.entries[key], at: now)?.bytes }
    }

    public func setValue(_ value: [UInt8], forKey key: String, timeToLive: Duration?) async throws(StateStoreError) {
        let size = key.utf8.count + value.count
        guard size <= maximumBytes else {
            throw StateStoreError(.tooLarge, "a value of \(value.count) bytes (the store holds \(maximumBytes))")
        }
        let expires = timeToLive.map { ContinuousClock.now + $0 }
        contents.withLock { contents in
            if let old = contents.entries.removeValue(forKey: key) { contents.bytes -= key.utf8.count + old.bytes.count }
            contents.entries[key] = Entry(bytes: value, counter: 0, expires: expires, order: contents.nextOrder)
            contents.nextOrder += 1
            contents.bytes += size
            evict(&contents)
        }
    }

    public func removeValue(forKey key: String) async throws(StateStoreError) {
        contents.withLock { contents in
            if let old = contents.entries.removeValue(forKey: key) { contents.bytes -= key.utf8.count + old.bytes.count }
        }
    }

    private func live(_ entry: Entry?, at now: ContinuousClock.Instant) -> Entry? {
        guard let entry else { return nil }
        if let expires = entry.expires, expires <= now { return nil }
        return entry
    }

    /// Drops expired entries, then the oldest, until the values fit.
    private func evict(_ contents: inout Contents) {
        guard contents.bytes > maximumBytes else { return }
        let now = ContinuousClock.now
        let byAge = contents.entries.sorted { lhs, rhs in
            let lhsExpired = lhs.value.expires.map { $0 <= now } ?? false
            let rhsExpired = rhs.value.expires.map { $0 <= now } ?? false
            return lhsExpired != rhsExpired ? lhsExpired : lhs.value.order < rhs.value.order
        }
        for (key, entry) in byAge where contents.bytes > maximumBytes {
            contents.entries[key] = nil
            contents.bytes -= key.utf8.count + entry.bytes.count
        }
    }
}
