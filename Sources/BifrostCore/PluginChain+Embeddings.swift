extension PluginChain {
    /// Runs an embeddings request through the chain (PluginSDK/DESIGN.md §2, as for chat completions).
    ///
    /// Plugins see it as a request on the `/v1/embeddings` route whose messages are the inputs
    /// (one `user` message each) and whose parameters are the request's other fields: a PreHook
    /// may change the model, the provider, the inputs or a parameter, reject the request, or
    /// answer it (with the embeddings in the answer's `data`, as OpenAI writes them).
    /// PostHooks see the answer's model, usage and headers (not the vectors, which stay as the
    /// provider sent them) or the error, and may turn one into the other as usual.
    ///
    /// ```swift
    /// let result = await chain.runEmbeddings(request, context: context) { request, context in
    ///     await dispatcher.embeddings(request, context: context)
    /// }
    /// ```
    public func runEmbeddings(
        _ request: EmbeddingRequest,
        context: RequestContext,
        dispatch: (EmbeddingRequest, RequestContext) async -> Result<EmbeddingResponse, BifrostError>
    ) async -> Result<EmbeddingResponse, BifrostError> {
        let view = ChatRequest(
            provider: request.provider, model: request.model,
            messages: request.inputs.map { ChatMessage(role: "user", content: $0) }, parameters: request.parameters,
            headers: request.headers)
        let (changed, entered, shortCircuit) = await runPreHooksWaiting(view, context: context)
        var vectors: EmbeddingResponse?
        var outcome: ChatOutcome
        switch shortCircuit {
        case .response(let answer)?:
            switch EmbeddingResponse.from(pluginAnswer: answer) {
            case .success(let response):
                vectors = response
                outcome = .response(answer)
            case .failure(let error):
                outcome = .failure(error)
            }
        case .failure(let error)?:
            outcome = .failure(error)
        case nil:
            var routed = request
            routed.provider = changed.provider
            routed.model = changed.model
            routed.inputs = changed.messages.map(\.content)
            routed.parameters = changed.parameters
            routed.headers = changed.headers
            switch await dispatch(routed, context) {
            case .success(let response):
                vectors = response
                outcome = .response(
                    ChatResponse(
                        provider: response.provider, model: response.model, usage: response.usage, headers: response.headers))
            case .failure(let error):
                outcome = .failure(error)
            }
        }
        runPostHooks(&outcome, entered: entered, context: context)
        await performDeferredOperations(context: context)
        outcome.addDefaultHeaders(context.responseHeaders)
        switch outcome {
        case .failure(let error):
            return .failure(error)
        case .response(let answer):
            guard var response = vectors ?? (try? EmbeddingResponse.from(pluginAnswer: answer).get()) else {
                return .failure(EmbeddingResponse.notEmbeddings)
            }
            if response.usage != answer.usage {
                response.usage = answer.usage
                response.wire = nil
            }
            response.headers = answer.headers
            return .success(response)
        }
    }
}

extension EmbeddingResponse {
    /// The embeddings of an answer a plugin gave: `data` as OpenAI writes it
    /// (`[{"embedding":[…]}, …]`, in input order).
    static func from(pluginAnswer answer: ChatResponse) -> Result<EmbeddingResponse, BifrostError> {
        guard case .array(let items)? = answer.extra["data"] else { return .failure(Self.notEmbeddings) }
        var vectors: [[Double]] = []
        vectors.reserveCapacity(items.count)
        for item in items {
            guard case .array(let numbers)? = item.objectField("embedding") else { return .failure(Self.notEmbeddings) }
            vectors.append(numbers.compactMap(\.doubleValue))
        }
        return .success(EmbeddingResponse(provider: answer.provider, model: answer.model, vectors: vectors, usage: answer.usage))
    }

    /// A plugin answered an embeddings request with something that holds no embeddings.
    static let notEmbeddings = BifrostError(
        status: 500, type: "plugin_error", code: "plugin_fault",
        message: "a plugin answered the embeddings request without embeddings (an answer needs OpenAI's 'data' list)")
}
