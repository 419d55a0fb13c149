/// One event of a streamed chat answer, in OpenAI's `chat.completion.chunk` terms.
///
/// ```swift
/// let chunk = ChatChunk(id: "chatcmpl-1", provider: "mock", model: "echo", choices: [.init(content: "Hel")])
/// ```
public struct ChatChunk: Sendable, Hashable {
    /// The completion id, the same for every chunk of one answer.
    public var id: String
    /// Creation time, seconds since the Unix epoch.
    public var created: Int
    /// The provider streaming the answer.
    public var provider: String
    /// The model streaming the answer.
    public var model: String
    /// The deltas of this event.
    public var choices: [ChunkChoice]
    /// Token counts; providers send them on the last chunk when asked.
    public var usage: TokenUsage?

    /// Creates a chunk.
    public init(
        id: String, created: Int = 0, provider: String, model: String, choices: [ChunkChoice] = [], usage: TokenUsage? = nil
    ) {
        self.id = id
        self.created = created
        self.provider = provider
        self.model = model
        self.choices = choices
        self.usage = usage
    }
}

/// The delta of one choice in a ``ChatChunk``.
public struct ChunkChoice: Sendable, Hashable {
    /// The choice's index.
    public var index: Int
    /// The role, sent on a choice's first delta only.
    public var role: String?
    /// The text added by this delta, if any.
    public var content: String?
    /// Why generation stopped, on a choice's last delta.
    public var finishReason: String?

    /// Creates a delta.
    public init(index: Int = 0, role: String? = nil, content: String? = nil, finishReason: String? = nil) {
        self.index = index
        self.role = role
        self.content = content
        self.finishReason = finishReason
    }
}

/// A streamed chat answer: chunks as they arrive, ending normally or with a ``BifrostError``.
///
/// ```swift
/// for try await chunk in stream { print(chunk.choices.first?.content ?? "", terminator: "") }
/// ```
public struct ChatStream: AsyncSequence, Sendable {
    public typealias Element = ChatChunk
    public typealias Failure = BifrostError

    private let base: AsyncThrowingStream<ChatChunk, any Error>

    /// Wraps a stream whose errors are ``BifrostError``s (others become 502s).
    public init(_ base: AsyncThrowingStream<ChatChunk, any Error>) { self.base = base }

    /// A stream fed by `produce`, which runs in its own task and is cancelled when the consumer stops.
    ///
    /// Chunks wait in an unbounded buffer until the consumer reads them, so none is ever lost
    /// to a slow client; an answer is finite (bounded by its token limit), which bounds the buffer.
    ///
    /// ```swift
    /// let stream = ChatStream { continuation in
    ///     continuation.yield(chunk)
    /// }
    /// ```
    public init(
        produce: @escaping @Sendable (AsyncThrowingStream<ChatChunk, any Error>.Continuation) async throws(BifrostError) -> Void
    ) {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream(bufferingPolicy: .unbounded)
        let task = Task {
            do {
                try await produce(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        self.base = stream
    }

    /// A stream that replays a complete answer as chunks: role, content, finish reason and usage.
    public init(replaying response: ChatResponse) {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        for chunk in response.replayChunks() { continuation.yield(chunk) }
        continuation.finish()
        self.base = stream
    }

    /// A stream that fails at once.
    public init(failing error: BifrostError) {
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
        continuation.finish(throwing: error)
        self.base = stream
    }

    public func makeAsyncIterator() -> Iterator { Iterator(base: base.makeAsyncIterator()) }

    /// Iterates the chunks.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncThrowingStream<ChatChunk, any Error>.AsyncIterator

        public mutating func next() async throws(BifrostError) -> ChatChunk? {
            try await next(isolation: nil)
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async throws(BifrostError) -> ChatChunk? {
            do {
                return try await base.next(isolation: actor)
            } catch let error as BifrostError {
                throw error
            } catch is CancellationError {
                throw BifrostError(status: 499, type: "request_cancelled", message: "the stream was cancelled")
            } catch {
                throw BifrostError(status: 502, type: "provider_error", message: "the stream failed: \(error)")
            }
        }
    }
}

extension ChatResponse {
    /// The response as the chunks a provider would have streamed (one content delta per choice).
    public func replayChunks() -> [ChatChunk] {
        var chunks: [ChatChunk] = []
        for (index, choice) in choices.enumerated() {
            chunks.append(
                ChatChunk(
                    id: id, created: created, provider: provider, model: model,
                    choices: [ChunkChoice(index: index, role: choice.role, content: choice.content)]))
            chunks.append(
                ChatChunk(
                    id: id, created: created, provider: provider, model: model,
                    choices: [ChunkChoice(index: index, finishReason: choice.finishReason ?? "stop")]))
        }
        if var last = chunks.popLast() {
            last.usage = usage
            chunks.append(last)
        }
        return chunks
    }
}

/// Builds the complete response a stream amounted to, for PostHooks, logging and caching.
///
/// ```swift
/// var assembly = StreamAssembly()
/// for try await chunk in stream { assembly.add(chunk) }
/// let response = assembly.response
/// ```
public struct StreamAssembly: Sendable {
    private var id = ""
    private var created = 0
    private var provider = ""
    private var model = ""
    private var roles: [Int: String] = [:]
    private var contents: [Int: String] = [:]
    private var finishReasons: [Int: String] = [:]
    private var usage: TokenUsage?
    /// How many chunks were added.
    public private(set) var chunkCount = 0

    /// An empty assembly.
    public init() {}

    /// Adds one chunk.
    public mutating func add(_ chunk: ChatChunk) {
        chunkCount += 1
        if id.isEmpty { id = chunk.id }
        if created == 0 { created = chunk.created }
        if !chunk.provider.isEmpty { provider = chunk.provider }
        if !chunk.model.isEmpty { model = chunk.model }
        for choice in chunk.choices {
            if let role = choice.role { roles[choice.index] = role }
            if let content = choice.content { contents[choice.index, default: ""] += content }
            if let reason = choice.finishReason { finishReasons[choice.index] = reason }
        }
        if let chunkUsage = chunk.usage { usage = chunkUsage }
    }

    /// Whether a provider reported usage.
    public var hasUsage: Bool { usage != nil }

    /// The assembled response; usage is zero unless a chunk carried it.
    public var response: ChatResponse {
        let indices = Set(roles.keys).union(contents.keys).union(finishReasons.keys).sorted()
        return ChatResponse(
            id: id, created: created, provider: provider, model: model,
            choices: indices.map { index in
                ChatChoice(role: roles[index] ?? "assistant", content: contents[index] ?? "", finishReason: finishReasons[index])
            },
            usage: usage ?? TokenUsage())
    }
}
