/// The gateway's core: a plugin chain around a dispatcher. Transports call this.
///
/// ```swift
/// let bifrost = Bifrost(chain: PluginChain([]), dispatcher: Dispatcher(providers: [MockProvider()]))
/// let outcome = await bifrost.chatCompletion(request, context: RequestContext())
/// ```
public struct Bifrost: Sendable {
    /// The plugins, in chain order.
    public let chain: PluginChain
    /// The providers.
    public let dispatcher: Dispatcher
    /// The metrics the chain and the plugins record, served on `/metrics`.
    public let metrics: MetricsRegistry

    /// Creates the core; `metrics` should be the registry the chain and plugins were built with.
    public init(chain: PluginChain, dispatcher: Dispatcher, metrics: MetricsRegistry = .shared) {
        self.chain = chain
        self.dispatcher = dispatcher
        self.metrics = metrics
    }

    /// Runs a chat request through the plugins and the provider.
    public func chatCompletion(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        await chain.run(request, context: context) { request, context in
            await dispatcher.dispatch(request, context: context)
        }
    }

    /// Runs a streamed chat request through the plugins and the provider.
    ///
    /// An error before the stream starts is returned as a failure (answer it with its
    /// status); later errors end the stream.
    public func chatCompletionStream(_ request: ChatRequest, context: RequestContext) async -> Result<ChatStream, BifrostError> {
        await chain.runStream(request, context: context) { request, context in
            await dispatcher.dispatchStream(request, context: context)
        }
    }

    /// Embeds texts with the request's provider. Embeddings do not pass through chat plugins.
    public func embeddings(_ request: EmbeddingRequest, context: RequestContext) async -> Result<EmbeddingResponse, BifrostError>
    {
        await dispatcher.embeddings(request, context: context)
    }

    /// Shuts every plugin down, once.
    public func shutdown() {
        chain.shutdown()
    }
}
