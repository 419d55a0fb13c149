/// A streamed chat answer: chunks as they arrive, ending normally or with a ``BifrostError``.
///
/// A stream is read once, by one consumer. Its producers run only as far ahead of that
/// consumer as a ``ChatChunkBuffer`` holds: a consumer that stops reading stops them (and,
/// through the upstream client, the upstream's socket), so a slow client costs a bounded
/// amount of memory however long the answer is.
///
/// ```swift
/// for try await chunk in stream { print(chunk.choices.first?.content ?? "", terminator: "") }
/// ```
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatChunk
    public typealias Failure = BifrostError

    /// How many chunks a stage made with ``init(bufferCapacity:produce:)`` holds by default.
    public static let defaultBufferCapacity = 16

    private enum Base: Sendable {
        case stream(AsyncThrowingStream<ChatChunk, any Error>)
        case buffer(ChatChunkBuffer.Reader)
        case unfolding(@Sendable () async throws(BifrostError) -> ChatChunk?)
        case stage(any ChatStreamStage)
    }

    private let base: Base

    /// Wraps a stream whose errors are ``BifrostError``s (others become 502s).
    ///
    /// Its buffering is the stream's own: prefer ``init(_:)-(ChatChunkBuffer)`` or
    /// ``init(bufferCapacity:produce:)`` for a producer that may outrun its consumer.
    public init(_ base: AsyncThrowingStream<ChatChunk, any Error>) { self.base = .stream(base) }

    /// The stream that `buffer`'s producer fills; dropping it unread, or cancelling the task
    /// that reads it, ends the buffer (``ChatChunkBuffer/terminate(with:)``).
    ///
    /// ```swift
    /// let buffer = ChatChunkBuffer(capacity: 8)
    /// let stream = ChatStream(buffer)
    /// ```
    public init(_ buffer: ChatChunkBuffer) { self.base = .buffer(ChatChunkBuffer.Reader(buffer)) }

    /// A stream whose every chunk `next` makes when the consumer asks for it, in the consumer's
    /// task: no buffer and no task of its own. Unlike `AsyncThrowingStream(unfolding:)`, a
    /// cancelled consumer's `next` still runs, so its error (not a silent end) reaches the
    /// consumer.
    ///
    /// ```swift
    /// let stream = ChatStream(unfolding: { try await iterator.next() })
    /// ```
    public init(unfolding next: @escaping @Sendable () async throws(BifrostError) -> ChatChunk?) {
        self.base = .unfolding(next)
    }

    /// A stream whose chunks `stage` hands out to the consumer's task, as it asks for them:
    /// one step of the gateway's pipeline that needs no task or buffer of its own.
    package init(stage: any ChatStreamStage) { self.base = .stage(stage) }

    /// A stream fed by `produce`, which runs in its own task (preferring the executor of the task
    /// that creates the stream) and is cancelled when the consumer stops.
    ///
    /// `produce` runs at most `bufferCapacity` chunks ahead of the consumer: its `yield`
    /// suspends while the buffer is full, so a consumer that stops reading holds it there.
    ///
    /// ```swift
    /// let stream = ChatStream { continuation in
    ///     await continuation.yield(chunk)
    /// }
    /// ```
    public init(
        bufferCapacity: Int = ChatStream.defaultBufferCapacity,
        produce: @escaping @Sendable (Producer) async throws(BifrostError) -> Void
    ) {
        let buffer = ChatChunkBuffer(capacity: bufferCapacity)
        let task = Task(executorPreference: Task.currentExecutorPreference) {
            do throws(BifrostError) {
                try await produce(Producer(buffer: buffer))
                buffer.finish()
            } catch {
                buffer.finish(throwing: error)
            }
        }
        buffer.onCancel { task.cancel() }
        self.init(buffer)
    }

    /// A stream that replays a complete answer as chunks: role, content, finish reason and usage.
    public init(replaying response: ChatResponse) {
        let chunks = response.replayChunks()
        let buffer = ChatChunkBuffer(capacity: chunks.count)
        for chunk in chunks { _ = buffer.yield(chunk) }
        buffer.finish()
        self.init(buffer)
    }

    /// A stream that fails at once.
    public init(failing error: BifrostError) {
        let buffer = ChatChunkBuffer(capacity: 1)
        buffer.finish(throwing: error)
        self.init(buffer)
    }

    /// What ends this stream from outside its consumer (shutdown): its error reaches the
    /// consumer's current or next read, after the stages between see it; `nil` for a stream
    /// that cannot be ended so (one made from an `AsyncThrowingStream` or by unfolding).
    package var terminator: (@Sendable (BifrostError) -> Void)? {
        switch base {
        case .buffer(let reader): { [buffer = reader.buffer] error in buffer.terminate(with: error) }
        case .stage(let stage): stage.terminator
        case .stream, .unfolding: nil
        }
    }

    public func makeAsyncIterator() -> Iterator {
        switch base {
        case .stream(let stream): Iterator(base: .stream(stream.makeAsyncIterator()))
        case .buffer(let reader): Iterator(base: .buffer(reader))
        case .unfolding(let next): Iterator(base: .unfolding(next))
        case .stage(let stage): Iterator(base: .stage(stage))
        }
    }

    /// What a ``ChatStream/init(bufferCapacity:produce:)`` producer yields its chunks to.
    public struct Producer: Sendable {
        let buffer: ChatChunkBuffer

        /// Hands `chunk` to the consumer, waiting while the buffer is full. A chunk yielded
        /// after the consumer left is dropped (the producer's task is cancelled by then).
        public func yield(_ chunk: ChatChunk) async {
            _ = await buffer.send(chunk)
        }
    }

    /// Iterates the chunks.
    public struct Iterator: AsyncIteratorProtocol {
        fileprivate enum Base {
            case stream(AsyncThrowingStream<ChatChunk, any Error>.AsyncIterator)
            case buffer(ChatChunkBuffer.Reader)
            case unfolding(@Sendable () async throws(BifrostError) -> ChatChunk?)
            case stage(any ChatStreamStage)
        }

        fileprivate var base: Base

        public mutating func next() async throws(BifrostError) -> ChatChunk? {
            try await next(isolation: nil)
        }

        /// The next chunk or the stream's end if either is already here, so a consumer can
        /// gather what one read brought into one write; `nil` when ``next()`` would wait (and
        /// always for a stream whose stages produce on demand).
        public mutating func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
            switch base {
            case .buffer(let reader): reader.buffer.nextIfReady()
            case .stage(let stage): stage.nextIfReady()
            case .stream, .unfolding: nil
            }
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(BifrostError) -> ChatChunk? {
            switch base {
            case .buffer(let reader):
                return try await reader.buffer.next()
            case .unfolding(let next):
                return try await next()
            case .stage(let stage):
                return try await stage.next()
            case .stream(var iterator):
                defer { base = .stream(iterator) }
                do {
                    return try await iterator.next(isolation: actor)
                } catch let error as BifrostError {
                    throw error
                } catch is CancellationError {
                    throw ChatChunkBuffer.cancelledError
                } catch {
                    throw BifrostError(status: 502, type: "provider_error", message: "the stream failed: \(error)")
                }
            }
        }
    }
}

/// One step of a stream's pipeline that runs in its consumer's task (``ChatStream/init(stage:)``):
/// each read pulls from the step before, so a chunk passes every step without a task hop or
/// a buffer, and the chunks one upstream read brought pass together (``nextIfReady()``).
///
/// A stage has one consumer, which calls ``next()`` and ``nextIfReady()`` one at a time; only
/// ``terminator`` may be used from elsewhere.
package protocol ChatStreamStage: AnyObject, Sendable {
    /// The next chunk, waiting for one; `nil` at the end.
    func next() async throws(BifrostError) -> ChatChunk?
    /// The next chunk or the end if either is here already; `nil` when ``next()`` would wait
    /// (also when ending needs work that waits: ``next()`` then does it).
    func nextIfReady() -> Result<ChatChunk?, BifrostError>?
    /// Ends the stream from outside its consumer (``ChatStream/terminator``).
    var terminator: (@Sendable (BifrostError) -> Void)? { get }
}
