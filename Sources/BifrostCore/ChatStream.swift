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
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        for chunk in response.replayChunks() { continuation.yield(chunk) }
        continuation.finish()
        self.base = .stream(stream)
    }

    /// A stream that fails at once.
    public init(failing error: BifrostError) {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        continuation.finish(throwing: error)
        self.base = .stream(stream)
    }

    public func makeAsyncIterator() -> Iterator {
        switch base {
        case .stream(let stream): Iterator(base: .stream(stream.makeAsyncIterator()))
        case .buffer(let reader): Iterator(base: .buffer(reader))
        case .unfolding(let next): Iterator(base: .unfolding(next))
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
        }

        fileprivate var base: Base

        public mutating func next() async throws(BifrostError) -> ChatChunk? {
            try await next(isolation: nil)
        }

        /// The next chunk or the stream's end if either is already here, so a consumer can
        /// gather what one read brought into one write; `nil` when ``next()`` would wait (and
        /// always for a stream whose stages produce on demand).
        public mutating func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
            guard case .buffer(let reader) = base else { return nil }
            return reader.buffer.nextIfReady()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(BifrostError) -> ChatChunk? {
            switch base {
            case .buffer(let reader):
                return try await reader.buffer.next()
            case .unfolding(let next):
                return try await next()
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
