extension PluginChain {
    /// Runs a streamed request through the chain (PluginSDK/DESIGN.md §2, streaming).
    ///
    /// PreHooks run as for ``run(_:context:dispatch:)``. A PreHook's answer is replayed as a
    /// stream. Each chunk then passes the chunk hooks of the plugins entered, in reverse
    /// order; when the stream ends, PostHooks run once with the assembled response (usage
    /// included), so logging, monitoring and caching see streams as they see other answers.
    /// A PostHook that turns the assembled answer into an error ends the stream with it.
    /// An error before the first chunk goes through the PostHooks and, unless one recovers
    /// it into an answer (then replayed), is returned as a failure the transport can answer
    /// with a status; an error after the first chunk ends the stream, after the PostHooks saw it.
    /// A client that leaves after the first chunk is billed: the PostHooks see the part of the
    /// answer received until then, its usage counted from the text where the upstream's did
    /// not arrive, with `bifrost.cut_short` (and `bifrost.usage_estimated`) in the context.
    ///
    /// ```swift
    /// switch await chain.runStream(request, context: context, dispatch: dispatcher.dispatchStream) {
    /// case .success(let stream): for try await chunk in stream { send(chunk) }
    /// case .failure(let error): answer(error)
    /// }
    /// ```
    public func runStream(
        _ request: ChatRequest,
        context: RequestContext,
        dispatch: (ChatRequest, RequestContext) async -> Result<ChatStream, BifrostError>
    ) async -> Result<ChatStream, BifrostError> {
        let (request, entered, shortCircuit) = await runPreHooksWaiting(request, context: context)
        let upstream: ChatStream
        switch shortCircuit {
        case .response(let response)?:
            upstream = ChatStream(replaying: response)
        case .failure(let error)?:
            return await finishEarly(error, entered: entered, context: context)
        case nil:
            if readsChunks(among: entered) { context.readsTypedAnswer = true }
            switch await dispatch(request, context) {
            case .success(let stream): upstream = stream
            case .failure(let error): return await finishEarly(error, entered: entered, context: context)
            }
        }
        return .success(hooked(upstream, request: request, entered: entered, context: context))
    }

    /// PostHooks over an error that came before any chunk: a recovery is replayed as a stream.
    private func finishEarly(_ error: BifrostError, entered: EnteredPlugins, context: RequestContext) async
        -> Result<ChatStream, BifrostError>
    {
        var outcome = ChatOutcome.failure(error)
        runPostHooks(&outcome, entered: entered, context: context)
        await performDeferredOperations(context: context)
        outcome.addDefaultHeaders(context.responseHeaders)
        switch outcome {
        case .response(let response): return .success(ChatStream(replaying: response))
        case .failure(let error): return .failure(error)
        }
    }

    private func hooked(_ upstream: ChatStream, request: ChatRequest, entered: EnteredPlugins, context: RequestContext)
        -> ChatStream
    {
        ChatStream(stage: HookedStream(upstream, chain: self, request: request, entered: entered, context: context))
    }
}

/// The chain's stage of a stream (``PluginChain/runStream(_:context:dispatch:)``): chunk hooks on
/// each chunk as the consumer reads it, in the consumer's task, and the PostHooks once at the end.
///
/// A consumer that leaves before the end (it drops the stream, or its task is cancelled while it
/// waits for a chunk), or a stream ended from outside (``terminator``, at shutdown), is billed
/// for the part received: the PostHooks then see that part.
///
/// Only PostHooks read the assembled answer, so without one among the plugins entered it is
/// not built: a stream cut short is still noted in the context, with no usage estimated.
final class HookedStream: ChatStreamStage, @unchecked Sendable {
    // Safe: everything but the `let`s is touched only by the stage's reads, which its single
    // consumer makes one at a time, and by `deinit`, after them.
    private enum Ending {
        case finished
        /// With whether the consumer had left (or shutdown ended the stream) by then.
        case failed(BifrostError, consumerLeft: Bool)
    }

    private let chain: PluginChain
    private let request: ChatRequest
    private let entered: EnteredPlugins
    private let context: RequestContext
    let terminator: (@Sendable (BifrostError) -> Void)?
    /// Whether ``terminator`` ended the stream.
    private let terminated = LockedValue(false)
    private var upstream: ChatStream.Iterator
    private var assembly = StreamAssembly()
    /// Whether a PostHook will see the assembled answer.
    private let assembles: Bool
    /// The chunks that went on to the consumer.
    private var chunksPassed = 0
    /// How the upstream ended when ``nextIfReady()`` saw it, if the PostHooks did not run then.
    private var ending: Ending?
    /// Whether the PostHooks ran.
    private var done = false
    /// The stream's last result, when ``nextIfReady()`` ran the PostHooks and left host
    /// operations for ``next()`` to await before it.
    private var awaitingOperations: Result<ChatChunk?, BifrostError>?

    init(_ upstream: ChatStream, chain: PluginChain, request: ChatRequest, entered: EnteredPlugins, context: RequestContext) {
        self.chain = chain
        self.request = request
        self.entered = entered
        self.context = context
        assembles = chain.hasPostHooks(among: entered)
        if let upstreamTerminator = upstream.terminator {
            self.terminator = { [terminated] error in
                terminated.withLock { $0 = true }
                upstreamTerminator(error)
            }
        } else {
            self.terminator = nil
        }
        self.upstream = upstream.makeAsyncIterator()
    }

    deinit {
        if awaitingOperations != nil {
            // The consumer left after the end was settled: the PostHooks' writes must still land.
            let (chain, context) = (chain, context)
            Task { await chain.performDeferredOperations(context: context) }
        }
        guard !done else { return }
        // The consumer left without reading the end: the PostHooks still see the answer as far
        // as it came; an upstream failure that came before it left stays the outcome.
        var (outcome, _) =
            switch ending {
            case .finished?: settle(.finished, consumerLeft: true)
            case let failed?: settle(failed, consumerLeft: false)
            case nil: settle(.failed(ChatChunkBuffer.cancelledError, consumerLeft: true), consumerLeft: true)
            }
        chain.runPostHooks(&outcome, entered: entered, context: context)
        let (chain, context) = (chain, context)
        Task { await chain.performDeferredOperations(context: context) }
    }

    func next() async throws(BifrostError) -> ChatChunk? {
        if let last = awaitingOperations {
            awaitingOperations = nil
            await chain.performDeferredOperations(context: context)
            return try last.get()
        }
        while !done {
            if let ending { return try await end(ending) }
            let pulled: ChatChunk?
            do { pulled = try await upstream.next() } catch {
                return try await end(.failed(error, consumerLeft: consumerLeft))
            }
            guard var chunk = pulled else { return try await end(.finished) }
            if hook(&chunk) { return chunk }
        }
        return nil
    }

    func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
        if awaitingOperations != nil { return nil }
        if done { return .success(nil) }
        while ending == nil, let ready = upstream.nextIfReady() {
            switch ready {
            case .success(var chunk?): if hook(&chunk) { return .success(chunk) }
            case .success(nil): ending = .finished
            case .failure(let error): ending = .failed(error, consumerLeft: consumerLeft)
            }
        }
        // A complete stream's end is settled here too, so the consumer writes the stream's last
        // bytes with its last chunks; only host operations the PostHooks left are awaited, by
        // `next()`. A failure, or a consumer that left, is settled by `next()` (or `deinit`).
        guard case .finished? = ending, !consumerLeft else { return nil }
        let (last, mustAwait) = runEnd(.finished)
        guard mustAwait && context.hasDeferredHostOperations else { return last }
        awaitingOperations = last
        return nil
    }

    /// Runs the chunk hooks on `chunk`: `true` when it goes on to the consumer, `false` when a
    /// hook dropped it or failed the stream (then ``ending`` says so).
    private func hook(_ chunk: inout ChatChunk) -> Bool {
        switch chain.runChunkHooks(&chunk, entered: entered, context: context) {
        case .continue:
            chunksPassed += 1
            if assembles { assembly.add(chunk) }
            return true
        case .drop:
            return false
        case .fail(let error):
            ending = .failed(error, consumerLeft: false)
            return false
        }
    }

    /// Whether the consumer's task is cancelled or shutdown ended the stream.
    private var consumerLeft: Bool { Task.isCancelled || terminated.withLock { $0 } }

    /// Runs the PostHooks once the stream ended; `nil`, or the error to end it with.
    private func end(_ ending: Ending) async throws(BifrostError) -> ChatChunk? {
        let (last, mustAwait) = runEnd(ending)
        if mustAwait { await chain.performDeferredOperations(context: context) }
        return try last.get()
    }

    /// Runs the PostHooks once the stream ended: the stream's last result, and whether the
    /// host operations they left must be awaited before it (not for a consumer that left).
    private func runEnd(_ ending: Ending) -> (last: Result<ChatChunk?, BifrostError>, mustAwait: Bool) {
        done = true
        // Shutdown ending the stream is in a failure's `consumerLeft` already.
        var (outcome, cutShort) = settle(ending, consumerLeft: Task.isCancelled)
        chain.runPostHooks(&outcome, entered: entered, context: context)
        if cutShort {
            // The consumer's task may be cancelled; the charge must still land.
            let (chain, context) = (chain, context)
            Task { await chain.performDeferredOperations(context: context) }
        }
        switch ending {
        case .finished:
            if case .failure(let error) = outcome { return (.failure(error), !cutShort) }
            return (.success(nil), !cutShort)
        case .failed(let error, _):
            return (.failure(cutShort ? error : outcome.error ?? error), !cutShort)
        }
    }

    /// What the PostHooks see of `ending`: the answer; the part of it received, when the
    /// consumer had left (noted in the context as cut short); or the failure.
    private func settle(_ ending: Ending, consumerLeft: Bool) -> (outcome: ChatOutcome, cutShort: Bool) {
        switch ending {
        case .finished:
            // The upstream's answer is complete, usage included, even if its client left meanwhile.
            if consumerLeft { context.recordCutShort(usageEstimated: false) }
            return (.response(assembly.response), false)
        case .failed(let error, let left):
            guard chunksPassed > 0 && (left || consumerLeft) else { return (.failure(error), false) }
            guard assembles else {
                context.recordCutShort(usageEstimated: false)
                return (.failure(error), true)
            }
            let (partial, usageEstimated) = assembly.cutShortResponse(for: request)
            context.recordCutShort(usageEstimated: usageEstimated)
            return (.response(partial), true)
        }
    }
}
