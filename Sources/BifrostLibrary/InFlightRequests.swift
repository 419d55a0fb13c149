import BifrostCore

/// The calls in flight, so that shutdown can wait for them and cancel those that outlast it.
final class InFlightRequests: Sendable {
    /// Ends one call at once with the given error.
    typealias Cancel = @Sendable (BifrostError) -> Void

    private struct State {
        var accepting = true
        var nextID: UInt64 = 0
        var calls: [UInt64: Cancel] = [:]
        var cancelledWith: BifrostError?
        var drainWaiter: CheckedContinuation<Bool, Never>?
        var drainTimer: Task<Void, Never>?
    }

    private let state = LockedValue(State())

    /// Registers a call and how to cancel it; `nil` once shutdown has begun.
    func enter(cancel: @escaping Cancel) -> UInt64? {
        state.withLock { state in
            guard state.accepting else { return nil }
            state.nextID += 1
            state.calls[state.nextID] = cancel
            return state.nextID
        }
    }

    /// Changes how a call is cancelled (a stream, once opened); cancels it at once if the
    /// calls in flight were cancelled already. A call that has left already stays gone.
    func replaceCancel(of id: UInt64, with cancel: @escaping Cancel) {
        let cancelledWith: BifrostError? = state.withLock { state in
            guard state.calls[id] != nil else { return nil }
            if let error = state.cancelledWith { return error }
            state.calls[id] = cancel
            return nil
        }
        if let cancelledWith { cancel(cancelledWith) }
    }

    /// Forgets a finished call; the last one out wakes a waiting ``drain(timeout:)``.
    func leave(_ id: UInt64) {
        let (waiter, timer) = state.withLock { state -> (CheckedContinuation<Bool, Never>?, Task<Void, Never>?) in
            state.calls.removeValue(forKey: id)
            guard state.calls.isEmpty, !state.accepting else { return (nil, nil) }
            defer { (state.drainWaiter, state.drainTimer) = (nil, nil) }
            return (state.drainWaiter, state.drainTimer)
        }
        timer?.cancel()
        waiter?.resume(returning: true)
    }

    /// Refuses further calls.
    func stopAccepting() {
        state.withLock { $0.accepting = false }
    }

    /// The number of calls in flight.
    var count: Int { state.withLock { $0.calls.count } }

    /// Waits until no call is in flight or `timeout` passes; `true` when drained. One waiter at a time.
    func drain(timeout: Duration) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            let drained = state.withLock { state -> Bool in
                guard !state.calls.isEmpty else { return true }
                state.drainWaiter = continuation
                state.drainTimer = Task { [self] in
                    try? await Task.sleep(for: timeout)
                    expireDrain()
                }
                return false
            }
            if drained { continuation.resume(returning: true) }
        }
    }

    private func expireDrain() {
        let waiter = state.withLock { state -> CheckedContinuation<Bool, Never>? in
            defer { (state.drainWaiter, state.drainTimer) = (nil, nil) }
            return state.drainWaiter
        }
        waiter?.resume(returning: false)
    }

    /// Cancels every call in flight with `error`; calls that open later are cancelled too.
    func cancelAll(with error: BifrostError) {
        let cancels = state.withLock { state in
            state.cancelledWith = error
            return Array(state.calls.values)
        }
        for cancel in cancels { cancel(error) }
    }
}

/// The result of one call, delivered once: by the work finishing or by shutdown cancelling it.
final class CallOutcome<Value: Sendable>: Sendable {
    private enum State {
        case waiting(CheckedContinuation<Result<Value, BifrostError>, Never>?)
        case done(Result<Value, BifrostError>)
        case delivered
    }

    private let state = LockedValue(State.waiting(nil))

    /// Records the result unless one was recorded already.
    func complete(_ result: Result<Value, BifrostError>) {
        let waiter = state.withLock { state -> CheckedContinuation<Result<Value, BifrostError>, Never>? in
            guard case .waiting(let waiter) = state else { return nil }
            if let waiter {
                state = .delivered
                return waiter
            }
            state = .done(result)
            return nil
        }
        waiter?.resume(returning: result)
    }

    /// Suspends until the result is known; call once.
    func result() async -> Result<Value, BifrostError> {
        await withCheckedContinuation { continuation in
            let ready = state.withLock { state -> Result<Value, BifrostError>? in
                switch state {
                case .done(let result):
                    state = .delivered
                    return result
                case .waiting:
                    state = .waiting(continuation)
                    return nil
                case .delivered:
                    preconditionFailure("CallOutcome.result() called twice")
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }
}
