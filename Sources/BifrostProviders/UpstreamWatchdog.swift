import Synchronization

/// A deadline that can be pushed back, raced against an upstream operation.
///
/// The request phase starts with the whole-request deadline (`timeouts.request`); each chunk of a
/// stream moves it to now + `timeouts.streamIdle`. When it passes, ``guarding(_:)`` throws an
/// ``UpstreamTimeout`` and cancels the operation, which cancels the AsyncHTTPClient request.
final class UpstreamWatchdog: Sendable {
    private struct State {
        var deadline: ContinuousClock.Instant
        var reason: String
    }

    private let state: Mutex<State>

    init(timeout: Duration, reason: String) {
        state = Mutex(State(deadline: .now + timeout, reason: reason))
    }

    /// Moves the deadline to `timeout` from now.
    func extend(by timeout: Duration, reason: String) {
        let deadline = ContinuousClock.now + timeout
        state.withLock {
            $0.deadline = deadline
            $0.reason = reason
        }
    }

    /// Runs `operation`, failing with ``UpstreamTimeout`` (and cancelling it) once the deadline passes.
    func guarding<Result: Sendable>(_ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask { try await operation() }
            group.addTask {
                try await self.wait()
                return nil
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let value = result else {
                throw UpstreamTimeout(reason: state.withLock { $0.reason })
            }
            return value
        }
    }

    private func wait() async throws {
        while true {
            let deadline = state.withLock { $0.deadline }
            let now = ContinuousClock.now
            if now >= deadline { throw UpstreamTimeout(reason: state.withLock { $0.reason }) }
            // Wake at least every 100 ms: `extend` may move the deadline earlier (the first-byte
            // deadline is usually longer than the idle one).
            try await Task.sleep(until: min(deadline, now + .milliseconds(100)), clock: .continuous)
        }
    }
}

/// The upstream missed a deadline; becomes a 504 `upstream_timeout`.
struct UpstreamTimeout: Error {
    var reason: String
}

extension Duration {
    /// The duration in whole milliseconds, for messages.
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
