#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// State shared by concurrent hooks, behind a mutex (a plain pthread mutex, which the
/// thread sanitizer understands). Hold it briefly: never across a call that can block.
///
/// ```swift
/// let counts = PluginLock([String: Int]())
/// counts.withLock { $0["gpt-4o", default: 0] += 1 }
/// ```
public final class PluginLock<Value>: @unchecked Sendable {
    // Every access to `value` happens with `mutex` held.
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    /// Creates the lock around `value`.
    ///
    /// ```swift
    /// let state = PluginLock(0)
    /// ```
    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    ///
    /// ```swift
    /// let total = state.withLock { value -> Int in value += 1; return value }
    /// ```
    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
