extension PluginChain {
    /// Runs the request through the chain around `dispatcher`: the way the gateway answers a
    /// non-streamed chat completion.
    ///
    /// ```swift
    /// let outcome = await chain.run(request, context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
    /// ```
    public func run(_ request: ChatRequest, context: RequestContext, through dispatcher: Dispatcher) async -> ChatOutcome {
        await run(request, context: context) { request, context in await dispatcher.dispatch(request, context: context) }
    }

    /// Runs a streamed request through the chain around `dispatcher`.
    ///
    /// ```swift
    /// let opened = await chain.runStream(request, context: RequestContext(), through: dispatcher)
    /// ```
    public func runStream(_ request: ChatRequest, context: RequestContext, through dispatcher: Dispatcher) async
        -> Result<ChatStream, BifrostError>
    {
        await runStream(request, context: context) { request, context in
            await dispatcher.dispatchStream(request, context: context)
        }
    }
}
