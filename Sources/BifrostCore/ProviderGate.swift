/// Limits the attempts in flight to one provider, with a bounded first-in-first-out queue.
///
/// A caller takes a slot with ``acquire()``, waiting its turn if every slot is taken and the
/// queue has room; when the queue is full it is refused at once with a 503 (`queue_full`,
/// `retry-after: 1`). Waiting suspends the task (no thread is blocked) and ends early with a
/// 499 if the task is cancelled. Every slot taken must be given back exactly once with
/// ``ProviderGate/Permit/release()``; a released slot goes to the longest waiter first.
///
/// ```swift
/// let gate = ProviderGate(provider: "openai", maxInFlight: 64, maxQueued: 256)
/// let permit = try await gate.acquire()
/// defer { permit.release() }
/// ```
public final class ProviderGate: Sendable {
    /// The provider the gate guards, named in errors.
    public let provider: String
    /// Attempts in flight at once.
    public let maxInFlight: Int
    /// Attempts waiting for a slot.
    public let maxQueued: Int
    private let state = LockedValue(State())

    /// Creates a gate; `maxInFlight` is at least 1 and `maxQueued` at least 0.
    public init(provider: String, maxInFlight: Int, maxQueued: Int) {
        self.provider = provider
        self.maxInFlight = max(1, maxInFlight)
        self.maxQueued = max(0, maxQueued)
    }

    /// Slots taken and callers waiting, for tests and metrics.
    public var snapshot: (inFlight: Int, queued: Int) {
        state.withLock { ($0.inFlight, $0.waiters.count) }
    }

    /// Takes a slot, waiting in line if needed.
    ///
    /// Throws a 503 `queue_full` error when the queue is full, and a 499 when the task is
    /// cancelled while waiting (or before).
    public func acquire() async throws(BifrostError) -> Permit {
        let immediate: Bool? = state.withLock { state in
            if state.inFlight < maxInFlight {
                state.inFlight += 1
                return true
            }
            return state.waiters.count < maxQueued ? nil : false
        }
        switch immediate {
        case true?: return Permit(gate: self)
        case false?: throw queueFullError()
        case nil: break
        }
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        do {
            try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                    let verdict: Result<Void, BifrostError>? = state.withLock { state in
                        if Task.isCancelled { return .failure(Self.cancelledError) }
                        if state.inFlight < maxInFlight {
                            state.inFlight += 1
                            return .success(())
                        }
                        guard state.waiters.count < maxQueued else { return .failure(queueFullError()) }
                        state.enqueue(id: id, continuation)
                        return nil
                    }
                    if let verdict { continuation.resume(with: verdict) }
                }
            } onCancel: {
                let waiter = state.withLock { $0.remove(id: id) }
                waiter?.resume(throwing: Self.cancelledError)
            }
        } catch let error as BifrostError {
            throw error
        } catch {
            throw Self.cancelledError
        }
        return Permit(gate: self)
    }

    fileprivate func release() {
        let next = state.withLock { state -> CheckedContinuation<Void, any Error>? in
            if let waiter = state.dequeue() { return waiter }  // the slot passes to the waiter
            state.inFlight -= 1
            return nil
        }
        next?.resume()
    }

    private func queueFullError() -> BifrostError {
        BifrostError(
            status: 503, type: "server_overloaded", code: "queue_full",
            message:
                "provider '\(provider)' is at capacity: \(maxInFlight) request(s) in flight and \(maxQueued) waiting "
                + "(max_in_flight \(maxInFlight), max_queued \(maxQueued)); retry shortly",
            headers: HeaderFields([("retry-after", "1")]), source: .provider(provider))
    }

    static let cancelledError = BifrostError(status: 499, type: "request_cancelled", message: "the request was cancelled")

    /// One slot taken from a gate; give it back once with ``release()``.
    ///
    /// ```swift
    /// let permit = try await gate.acquire()
    /// permit.release()
    /// ```
    public final class Permit: Sendable {
        private let gate: ProviderGate?
        private let released = LockedValue(false)

        fileprivate init(gate: ProviderGate?) { self.gate = gate }

        /// A permit of no gate, for providers without limits.
        static let unlimited = Permit(gate: nil)

        /// Gives the slot back; later calls do nothing.
        public func release() {
            guard let gate else { return }
            let first = released.withLock { released in
                defer { released = true }
                return !released
            }
            if first { gate.release() }
        }
    }

    /// The counts and the queue. Waiters are kept by id so a cancelled one leaves in O(1);
    /// `order` holds ids first-in-first-out and is compacted as it empties, so memory stays
    /// proportional to the live waiters.
    private struct State {
        var inFlight = 0
        var nextID: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        var order: [UInt64] = []
        var head = 0

        mutating func enqueue(id: UInt64, _ continuation: CheckedContinuation<Void, any Error>) {
            waiters[id] = continuation
            order.append(id)
        }

        mutating func remove(id: UInt64) -> CheckedContinuation<Void, any Error>? {
            guard let waiter = waiters.removeValue(forKey: id) else { return nil }
            if order.count - head > 2 * waiters.count + 16 {
                order = order[head...].filter { waiters[$0] != nil }
                head = 0
            }
            return waiter
        }

        mutating func dequeue() -> CheckedContinuation<Void, any Error>? {
            while head < order.count {
                let id = order[head]
                head += 1
                if let waiter = waiters.removeValue(forKey: id) {
                    if head > 64 && head * 2 > order.count {
                        order.removeFirst(head)
                        head = 0
                    }
                    return waiter
                }
            }
            order.removeAll(keepingCapacity: true)
            head = 0
            return nil
        }
    }
}
