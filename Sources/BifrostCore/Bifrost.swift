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

    /// Creates the core.
    public init(chain: PluginChain, dispatcher: Dispatcher) {
        self.chain = chain
        self.dispatcher = dispatcher
    }

    /// Runs a chat request through the plugins and the provider.
    public func chatCompletion(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        await chain.run(request, context: context) { request, context in
            await dispatcher.dispatch(request, context: context)
        }
    }

    /// Shuts every plugin down, once.
    public func shutdown() {
        chain.shutdown()
    }
}
