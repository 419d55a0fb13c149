public import BifrostCore

extension Bifrost {
    /// Runs a chat request through the plugins and the provider and returns the answer.
    ///
    /// PreHooks run in chain order, PostHooks in reverse; a plugin may answer (a cache hit),
    /// reject, or recover from a provider failure. Failures throw a `BifrostError`
    /// with the HTTP-equivalent `status`, `type` and `message`, its `source` (the plugin or
    /// provider at fault) and the `fallbacksTried`.
    ///
    /// ```swift
    /// do {
    ///     let response = try await bifrost.chatCompletion(
    ///         ChatRequest(model: "mock/echo", messages: [ChatMessage(role: "user", content: "Hi")]))
    ///     print(response.choices[0].content)
    /// } catch {
    ///     print(error.status, error.type, error.message, error.plugin ?? error.provider ?? "-")
    /// }
    /// ```
    public func chatCompletion(_ request: ChatRequest, context: RequestContext = RequestContext()) async throws(BifrostError)
        -> ChatResponse
    {
        switch await chatOutcome(request, context: context) {
        case .response(let response): return response
        case .failure(let error): throw error
        }
    }

    /// ``chatCompletion(_:context:)`` as its outcome: the answer or the error, as a transport
    /// writes them.
    ///
    /// ```swift
    /// switch await bifrost.chatOutcome(request) {
    /// case .response(let response): print(response.choices[0].content)
    /// case .failure(let error): print(error.status, error.message)
    /// }
    /// ```
    public func chatOutcome(_ request: ChatRequest, context: RequestContext = RequestContext()) async -> ChatOutcome {
        if let error = runningError { return .failure(error) }
        let (generation, dispatcher) = (servingGeneration(for: context), dispatcher)
        let result = await tracked { () async -> Result<ChatResponse, BifrostError> in
            switch await generation.chain.run(request, context: context, through: dispatcher) {
            case .response(let response): return .success(response)
            case .failure(let error): return .failure(error)
            }
        }
        switch result {
        case .success(let response): return .response(response)
        case .failure(let error): return .failure(error)
        }
    }

    /// Runs a streamed chat request through the plugins and the provider; the answer arrives
    /// as an `AsyncSequence` of `ChatChunk`s.
    ///
    /// An error before the stream starts (a rejection, an unknown model, a provider that
    /// failed every attempt and fallback) is thrown here; later errors end the stream. Chunk
    /// hooks run on every chunk, PostHooks once on the assembled answer when the stream ends.
    ///
    /// ```swift
    /// var request = ChatRequest(model: "mock/echo", messages: [ChatMessage(role: "user", content: "one two three")])
    /// request.parameters["stream"] = true
    /// for try await chunk in try await bifrost.chatCompletionStream(request) {
    ///     print(chunk.choices.first?.content ?? "", terminator: "")
    /// }
    /// ```
    public func chatCompletionStream(_ request: ChatRequest, context: RequestContext = RequestContext())
        async throws(BifrostError) -> ChatStream
    {
        try await chatStreamResult(request, context: context).get()
    }

    /// ``chatCompletionStream(_:context:)`` as a `Result`: the stream, or the error before it started.
    ///
    /// ```swift
    /// if case .success(let stream) = await bifrost.chatStreamResult(request) {
    ///     for try await chunk in stream { print(chunk.choices.first?.content ?? "", terminator: "") }
    /// }
    /// ```
    public func chatStreamResult(_ request: ChatRequest, context: RequestContext = RequestContext()) async -> Result<
        ChatStream, BifrostError
    > {
        if let error = runningError { return .failure(error) }
        let outcome = CallOutcome<ChatStream>()
        guard let id = inFlight.enter(cancel: { outcome.complete(.failure($0)) }) else { return .failure(.shutDown) }
        let (generation, dispatcher) = (servingGeneration(for: context), dispatcher)
        let opened = await run(outcome) {
            await generation.chain.runStream(request, context: context, through: dispatcher)
        }
        switch opened {
        case .success(let stream):
            return .success(tracking(stream, id: id))
        case .failure(let error):
            inFlight.leave(id)
            return .failure(error)
        }
    }

    /// Embeds texts with the request's provider, through the plugins (see
    /// `PluginChain.runEmbeddings(_:context:dispatch:)`: they may reject, answer or re-route it).
    ///
    /// ```swift
    /// let response = try await bifrost.embeddings(EmbeddingRequest(model: "mock/embed", inputs: ["a", "b"]))
    /// print(response.vectors.count)
    /// ```
    public func embeddings(_ request: EmbeddingRequest, context: RequestContext = RequestContext()) async throws(BifrostError)
        -> EmbeddingResponse
    {
        try await embeddingsResult(request, context: context).get()
    }

    /// ``embeddings(_:context:)`` as a `Result`.
    ///
    /// ```swift
    /// let result = await bifrost.embeddingsResult(EmbeddingRequest(model: "mock/embed", inputs: ["a"]))
    /// ```
    public func embeddingsResult(_ request: EmbeddingRequest, context: RequestContext = RequestContext()) async -> Result<
        EmbeddingResponse, BifrostError
    > {
        if let error = runningError { return .failure(error) }
        let (generation, dispatcher) = (servingGeneration(for: context), dispatcher)
        return await tracked {
            await generation.chain.runEmbeddings(request, context: context) { request, context in
                await dispatcher.embeddings(request, context: context)
            }
        }
    }

    /// Every model served, as `provider/model`, in provider order; a provider that accepts
    /// any model lists none.
    ///
    /// ```swift
    /// for model in try bifrost.listModels() { print(model.id) }  // mock/echo, mock/fail, …
    /// ```
    public func listModels() throws(BifrostError) -> [ServedModel] {
        try checkRunning()
        return dispatcher.qualifiedModels.map { ServedModel(provider: $0.provider, model: $0.model) }
    }

    /// Runs `work` as a call in flight: shutdown waits for it and may cancel it.
    private func tracked<Value: Sendable>(_ work: @escaping @Sendable () async -> Result<Value, BifrostError>) async
        -> Result<Value, BifrostError>
    {
        let outcome = CallOutcome<Value>()
        guard let id = inFlight.enter(cancel: { outcome.complete(.failure($0)) }) else { return .failure(.shutDown) }
        defer { inFlight.leave(id) }
        return await run(outcome, work)
    }

    /// Runs `work` in a child task (which keeps the caller's executor) and returns its result,
    /// or the error `outcome` is cancelled with first; then the child is cancelled and awaited.
    private func run<Value: Sendable>(
        _ outcome: CallOutcome<Value>, _ work: @escaping @Sendable () async -> Result<Value, BifrostError>
    ) async -> Result<Value, BifrostError> {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { outcome.complete(await work()) }
            let result = await outcome.result()
            group.cancelAll()
            return result
        }
    }

    /// The stream, counted in flight until it ends or its consumer drops it; shutdown may end
    /// it with its error. A stream whose stages can be ended from outside
    /// (``ChatStream/terminator``) is read through in its consumer's task; another is read by a
    /// task of its own, no further ahead of the consumer than one bounded buffer.
    private func tracking(_ stream: ChatStream, id: UInt64) -> ChatStream {
        let inFlight = inFlight
        guard let terminator = stream.terminator else { return buffered(stream, id: id) }
        let tracked = TrackedStream(stream, terminator: terminator) { inFlight.leave(id) }
        inFlight.replaceCancel(of: id) { [weak tracked] error in tracked?.terminator?(error) }
        return ChatStream(stage: tracked)
    }

    /// ``tracking(_:id:)`` through a task that runs where the caller's task does
    /// (``Task/currentExecutorPreference``).
    private func buffered(_ stream: ChatStream, id: UInt64) -> ChatStream {
        let buffer = ChatChunkBuffer(capacity: ChatStream.defaultBufferCapacity)
        let inFlight = inFlight
        let forwarding = Task(executorPreference: Task.currentExecutorPreference) {
            defer { inFlight.leave(id) }
            do throws(BifrostError) {
                for try await chunk in stream {
                    guard await buffer.send(chunk) else { return }
                }
                buffer.finish()
            } catch {
                buffer.finish(throwing: error)
            }
        }
        buffer.onCancel { forwarding.cancel() }
        inFlight.replaceCancel(of: id) { error in
            buffer.terminate(with: error)
            forwarding.cancel()
        }
        return ChatStream(buffer)
    }
}

/// A stream counted in flight (``Bifrost/tracking(_:id:)``): `onEnd` runs once, when the stream
/// ends, fails or is dropped. Ended by its ``terminator`` (shutdown), it fails with that error
/// as the stages before it see it, as a call in flight does.
private final class TrackedStream: ChatStreamStage, @unchecked Sendable {
    // Safe: `iterator` and `onEnd` are touched only by the stage's reads, which its single
    // consumer makes one at a time, and by `deinit`, after them.
    private var iterator: ChatStream.Iterator
    private var onEnd: (@Sendable () -> Void)?
    private let terminatedWith = LockedValue<BifrostError?>(nil)
    let terminator: (@Sendable (BifrostError) -> Void)?

    init(_ stream: ChatStream, terminator: @escaping @Sendable (BifrostError) -> Void, onEnd: @escaping @Sendable () -> Void) {
        self.iterator = stream.makeAsyncIterator()
        self.onEnd = onEnd
        self.terminator = { [terminatedWith] error in
            terminatedWith.withLock { $0 = $0 ?? error }
            terminator(error)
        }
    }

    deinit { onEnd?() }

    func next() async throws(BifrostError) -> ChatChunk? {
        do {
            guard let chunk = try await iterator.next() else {
                end()
                return nil
            }
            return chunk
        } catch {
            end()
            throw terminatedWith.withLock { $0 } ?? error
        }
    }

    func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
        let ready = iterator.nextIfReady()
        switch ready {
        case .failure(let error)?:
            end()
            return .failure(terminatedWith.withLock { $0 } ?? error)
        case .success(nil)?: end()
        case .success?, nil: break
        }
        return ready
    }

    private func end() {
        onEnd?()
        onEnd = nil
    }
}

/// One model a ``Bifrost`` serves.
///
/// ```swift
/// let model = ServedModel(provider: "mock", model: "echo")
/// print(model.id)  // mock/echo
/// ```
public struct ServedModel: Sendable, Hashable {
    /// The provider's name, e.g. `mock`.
    public var provider: String
    /// The model's name at the provider.
    public var model: String

    /// Creates an entry.
    ///
    /// ```swift
    /// let model = ServedModel(provider: "openai", model: "gpt-4o-mini")
    /// ```
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// `provider/model`, as requests name it.
    ///
    /// ```swift
    /// let ids = try bifrost.listModels().map(\.id)  // ["mock/echo", …]
    /// ```
    public var id: String { "\(provider)/\(model)" }
}

extension ChatRequest {
    /// A request for `provider/model` (e.g. `mock/echo`, `openai/gpt-4o-mini`).
    ///
    /// ```swift
    /// let request = ChatRequest(model: "mock/echo", messages: [ChatMessage(role: "user", content: "Hi")])
    /// ```
    public init(model qualifiedModel: String, messages: [ChatMessage], parameters: JSONObject = [:]) {
        let (provider, model) = ChatRequest.splitModel(qualifiedModel)
        self.init(provider: String(provider), model: String(model), messages: messages, parameters: parameters)
    }
}

extension EmbeddingRequest {
    /// A request to embed `inputs` with `provider/model` (e.g. `mock/embed`).
    ///
    /// ```swift
    /// let request = EmbeddingRequest(model: "mock/embed", inputs: ["first", "second"])
    /// ```
    public init(model qualifiedModel: String, inputs: [String]) {
        let (provider, model) = ChatRequest.splitModel(qualifiedModel)
        self.init(provider: String(provider), model: String(model), inputs: inputs)
    }
}
