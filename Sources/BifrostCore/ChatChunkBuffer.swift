/// A bounded queue of chunks between one producer and the one consumer of a ``ChatStream``:
/// the stream's back-pressure.
///
/// The producer is either a task, which ``send(_:)``s and is suspended while the buffer is
/// full, or an event loop, which ``yield(_:)``s, stops reading its socket when told
/// ``Demand/full`` and starts again when ``onDemand(_:)`` calls it. Either way no more than
/// about ``capacity`` chunks (plus what one socket read decodes to) wait for a consumer that
/// reads slowly or not at all. The producer is woken again once the consumer has taken the
/// buffer down to half its capacity, so a steady stream wakes it once per half-buffer, not
/// once per chunk.
///
/// The consumer ends the stream early by cancelling its task or by dropping the stream
/// (``terminate(with:)``): the queue is released at once and ``onCancel(_:)`` tells the
/// producer to stop.
///
/// ```swift
/// let buffer = ChatChunkBuffer(capacity: 16)
/// let stream = ChatStream(buffer)
/// if buffer.yield(chunk) == .full { pauseReading() }
/// buffer.onDemand { resumeReading() }
/// ```
public final class ChatChunkBuffer: Sendable {
    /// What the producer should do after a ``yield(_:)``.
    public enum Demand: Sendable, Hashable {
        /// Keep producing.
        case more
        /// The buffer is full: stop until ``onDemand(_:)``'s callback runs. The chunk was kept.
        case full
        /// The stream ended (the consumer left, or the producer finished it): stop for good.
        /// The chunk was dropped.
        case gone
    }

    /// The error a consumer that cancels its task, or drops the stream, ends it with.
    public static let cancelledError = BifrostError(
        status: 499, type: "request_cancelled", message: "the stream was cancelled before it ended")

    private enum Ending {
        case finished
        case failed(BifrostError)
    }

    private struct State {
        /// The chunks waiting from `head` on; each is moved out when taken, so the consumer
        /// holds the only reference and may change it without a copy.
        var queue: [ChatChunk?] = []
        var head = 0
        var ending: Ending?
        var isFull = false
        var isTerminated = false
        var consumer: CheckedContinuation<Result<ChatChunk?, BifrostError>, Never>?
        var producer: CheckedContinuation<Void, Never>?
        var onDemand: (@Sendable () -> Void)?
        var onCancel: (@Sendable () -> Void)?

        var count: Int { queue.count - head }

        /// The next chunk, or how the stream ended; `nil` when the consumer must wait.
        mutating func take() -> Result<ChatChunk?, BifrostError>? {
            if head < queue.count {
                let chunk = queue[head].take()
                head += 1
                if head == queue.count {
                    queue.removeAll(keepingCapacity: true)
                    head = 0
                }
                return .success(chunk)
            }
            switch ending {
            case .finished?: return .success(nil)
            case .failed(let error)?:
                ending = .finished  // the error is thrown once; later calls see the end
                return .failure(error)
            case nil: return nil
            }
        }
    }

    /// How many chunks wait before the producer is told to stop.
    public let capacity: Int
    private let state = LockedValue(State())

    /// Creates an empty buffer that holds up to `capacity` chunks (at least one).
    ///
    /// ```swift
    /// let buffer = ChatChunkBuffer(capacity: ChatStream.defaultBufferCapacity)
    /// ```
    public init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    // MARK: Producer

    /// Sets what runs (on whatever thread the consumer reads from) when a full buffer has room
    /// again; an event-loop producer resumes reading there.
    public func onDemand(_ body: @escaping @Sendable () -> Void) {
        state.withLock { $0.onDemand = body }
    }

    /// Sets what runs once when the consumer ends the stream before the producer finished it;
    /// runs at once if it did already.
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            guard state.isTerminated else {
                state.onCancel = body
                return false
            }
            return true
        }
        if now { body() }
    }

    /// Adds a chunk without waiting, for a producer that cannot suspend (an event loop).
    public func yield(_ chunk: ChatChunk) -> Demand {
        let (demand, consumer) = state.withLock {
            state -> (Demand, CheckedContinuation<Result<ChatChunk?, BifrostError>, Never>?) in
            guard state.ending == nil else { return (.gone, nil) }
            if let consumer = state.consumer {
                state.consumer = nil
                return (.more, consumer)
            }
            state.queue.append(chunk)
            guard state.count >= capacity else { return (.more, nil) }
            state.isFull = true
            return (.full, nil)
        }
        consumer?.resume(returning: .success(chunk))
        return demand
    }

    /// Adds a chunk, suspending while the buffer is full; `false` once the stream ended.
    public func send(_ chunk: ChatChunk) async -> Bool {
        switch yield(chunk) {
        case .more: return true
        case .gone: return false
        case .full: break
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { state -> Bool in
                guard state.isFull, !state.isTerminated else { return true }
                state.producer = continuation
                return false
            }
            if ready { continuation.resume() }
        }
        return state.withLock { !$0.isTerminated }
    }

    /// Ends the stream: normally, or with `error` after the chunks already buffered.
    public func finish(throwing error: BifrostError? = nil) {
        let delivered = state.withLock {
            state -> (CheckedContinuation<Result<ChatChunk?, BifrostError>, Never>, Result<ChatChunk?, BifrostError>)? in
            guard state.ending == nil else { return nil }
            state.ending = error.map(Ending.failed) ?? .finished
            guard let consumer = state.consumer else { return nil }
            state.consumer = nil
            guard let result = state.take() else { return nil }
            return (consumer, result)
        }
        if let (consumer, result) = delivered { consumer.resume(returning: result) }
    }

    // MARK: Consumer

    /// The next chunk, waiting for one; `nil` at the end. Cancelling the waiting task ends
    /// the stream with ``cancelledError``.
    public func next() async throws(BifrostError) -> ChatChunk? {
        if let ready = nextIfReady() { return try ready.get() }
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<ChatChunk?, BifrostError>, Never>) in
                let ready = state.withLock { state -> (Result<ChatChunk?, BifrostError>, wake: Bool)? in
                    if let taken = Self.take(&state, capacity: capacity) { return taken }
                    state.consumer = continuation
                    return nil
                }
                if let (result, wake) = ready {
                    if wake { wakeProducer() }
                    continuation.resume(returning: result)
                }
            }
        } onCancel: {
            terminate(with: Self.cancelledError)
        }
        return try result.get()
    }

    /// The next chunk or the stream's end if either is already here, without waiting; `nil`
    /// when ``next()`` would wait.
    public func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
        // Checked before the queue too, so a cancelled reader never drains a backlog.
        if Task.isCancelled { terminate(with: Self.cancelledError) }
        guard let (result, wake) = state.withLock({ state in Self.take(&state, capacity: capacity) }) else { return nil }
        if wake { wakeProducer() }
        return result
    }

    /// Ends the stream at once from the consumer's side: what is buffered is released, a
    /// waiting (or the next) ``next()`` throws `error`, a waiting ``send(_:)`` returns `false`, and the
    /// ``onCancel(_:)`` callback runs if the producer had not finished. Later calls do nothing.
    public func terminate(with error: BifrostError) {
        let (consumer, producer, cancel) = state.withLock {
            state -> (
                CheckedContinuation<Result<ChatChunk?, BifrostError>, Never>?, CheckedContinuation<Void, Never>?,
                (@Sendable () -> Void)?
            ) in
            guard !state.isTerminated else { return (nil, nil, nil) }
            state.isTerminated = true
            let producerRunning = state.ending == nil
            let cutShort = producerRunning || state.count > 0
            state.queue = []
            state.head = 0
            // A reader that is not waiting now sees `error` at its next call (then the end).
            state.ending = cutShort && state.consumer == nil ? .failed(error) : .finished
            defer { (state.consumer, state.producer, state.onCancel, state.onDemand) = (nil, nil, nil, nil) }
            return (state.consumer, state.producer, producerRunning ? state.onCancel : nil)
        }
        consumer?.resume(returning: .failure(error))
        producer?.resume()
        cancel?()
    }

    /// ``State/take()`` and, when it brings a full buffer down to half, whether to wake the
    /// producer.
    private static func take(_ state: inout State, capacity: Int) -> (Result<ChatChunk?, BifrostError>, wake: Bool)? {
        guard let result = state.take() else { return nil }
        guard state.isFull, state.count <= capacity / 2 else { return (result, wake: false) }
        state.isFull = false
        return (result, wake: true)
    }

    private func wakeProducer() {
        let (producer, onDemand) = state.withLock { state in
            defer { state.producer = nil }
            return (state.producer, state.onDemand)
        }
        producer?.resume()
        onDemand?()
    }

    /// Ends the stream when its last reader (the stream value and its iterator) is gone.
    final class Reader: Sendable {
        let buffer: ChatChunkBuffer

        init(_ buffer: ChatChunkBuffer) { self.buffer = buffer }

        deinit { buffer.terminate(with: ChatChunkBuffer.cancelledError) }
    }
}
