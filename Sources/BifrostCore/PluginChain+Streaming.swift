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
        ChatStream { continuation throws(BifrostError) in
            var assembly = StreamAssembly()
            var iterator = upstream.makeAsyncIterator()
            do throws(BifrostError) {
                while var chunk = try await iterator.next() {
                    switch runChunkHooks(&chunk, entered: entered, context: context) {
                    case .continue:
                        assembly.add(chunk)
                        await continuation.yield(chunk)
                    case .drop:
                        continue
                    case .fail(let error):
                        throw error
                    }
                }
            } catch {
                // The client left (its stream's task is cancelled) after part of the answer came.
                if Task.isCancelled && assembly.chunkCount > 0 {
                    let (partial, usageEstimated) = assembly.cutShortResponse(for: request)
                    context.recordCutShort(usageEstimated: usageEstimated)
                    var outcome = ChatOutcome.response(partial)
                    runPostHooks(&outcome, entered: entered, context: context)
                    // This task is cancelled; the charge must still land.
                    Task { await performDeferredOperations(context: context) }
                    throw error
                }
                var outcome = ChatOutcome.failure(error)
                runPostHooks(&outcome, entered: entered, context: context)
                await performDeferredOperations(context: context)
                throw outcome.error ?? error
            }
            // The upstream's answer is complete, usage included, even if its client left meanwhile.
            if Task.isCancelled { context.recordCutShort(usageEstimated: false) }
            var outcome = ChatOutcome.response(assembly.response)
            runPostHooks(&outcome, entered: entered, context: context)
            await performDeferredOperations(context: context)
            if case .failure(let error) = outcome { throw error }
        }
    }
}
