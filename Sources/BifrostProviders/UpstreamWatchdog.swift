import BifrostCore
import NIOCore

/// A deadline that can be pushed back, raced against an upstream operation.
///
/// The request phase starts with the whole-request deadline (`timeouts.request`); each chunk of a
/// stream moves it to now + `timeouts.streamIdle`. When it passes, ``guarding(_:)`` throws an
/// ``UpstreamTimeout`` and cancels the operation, which cancels the AsyncHTTPClient request.
///
/// The deadline is a NIO timer on the HTTP client's event loop (the request's own loop when the
/// caller runs there): it costs a heap entry, wakes nothing until it is due, and is cancelled when
/// the operation ends first. (`Task.sleep` put a Dispatch timer and a global-executor wake-up on
/// every request: a fifth of the gateway's CPU per request, measured with `perf`.) Moving the
/// deadline later, as every stream chunk does, only records it; the timer, when it fires, re-arms
/// itself for the recorded deadline. Moving it earlier re-arms the timer at once.
final class UpstreamWatchdog: Sendable {
    private struct State {
        var deadline: NIODeadline
        var reason: String
        /// The armed timer and when it fires, while ``wait()`` is suspended.
        var timer: Scheduled<Void>?
        var firesAt: NIODeadline = .distantFuture
        /// The suspended ``wait()`` and its number.
        var waiter: CheckedContinuation<Void, any Error>?
        var waiterNumber: UInt64 = 0
        /// How many ``wait()``s began (one per ``guarding(_:)``), and the last one cancelled
        /// (the operation ended or the caller went away), perhaps before it suspended.
        var waits: UInt64 = 0
        var cancelledWait: UInt64 = 0
    }

    private let state: LockedValue<State>
    private let eventLoop: any EventLoop

    init(timeout: Duration, reason: String, eventLoop: any EventLoop) {
        state = LockedValue(State(deadline: .now() + .nanoseconds(timeout.nanoseconds), reason: reason))
        self.eventLoop = eventLoop
    }

    func extend(by timeout: Duration, reason: String) {
        let deadline = NIODeadline.now() + .nanoseconds(timeout.nanoseconds)
        state.withLock { state in
            state.deadline = deadline
            state.reason = reason
            if state.waiter != nil, deadline < state.firesAt { arm(&state) }
        }
    }

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

    /// Returns when the deadline passes; throws `CancellationError` when cancelled first.
    private func wait() async throws {
        let number = state.withLock { state -> UInt64 in
            state.waits &+= 1
            return state.waits
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelled = state.withLock { state -> Bool in
                    if state.cancelledWait == number { return true }
                    state.waiter = continuation
                    state.waiterNumber = number
                    arm(&state)
                    return false
                }
                if cancelled { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                state.cancelledWait = number
                guard state.waiterNumber == number, let waiter = state.waiter else { return nil }
                state.waiter = nil
                state.timer?.cancel()
                state.timer = nil
                return waiter
            }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// (Re-)arms the timer for the current deadline; called with the lock held.
    private func arm(_ state: inout State) {
        state.timer?.cancel()
        state.firesAt = state.deadline
        state.timer = eventLoop.scheduleTask(deadline: state.deadline) { [self] in fire() }
    }

    /// The timer fired: the deadline passed, unless it was moved later meanwhile (re-arm).
    private func fire() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            guard state.waiter != nil else { return nil }
            guard NIODeadline.now() >= state.deadline else {
                arm(&state)
                return nil
            }
            state.timer = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}

struct UpstreamTimeout: Error {
    var reason: String
}

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return overflow ? .max : product + attoseconds / 1_000_000_000
    }
}
