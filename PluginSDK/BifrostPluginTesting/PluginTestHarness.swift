public import BifrostCore
public import BifrostNativePlugins
public import BifrostPluginSDK

/// Runs a Swift plugin's hooks in a unit test, without a gateway or `dlopen`, through the
/// host's real accessor table: the same `exportPlugin` table, handles and fault rules as a
/// loaded `.so`.
///
/// ```swift
/// import BifrostCore
/// import BifrostPluginTesting
/// import Testing
///
/// @Test func addsHeaders() async throws {
///     let harness = try PluginTestHarness(TimingHeaders.self)
///     let outcome = await harness.run(.test("Hi"))
///     #expect(outcome.response?.headers["server-timing"] != nil)
/// }
/// ```
public struct PluginTestHarness<P: BifrostPlugin>: Sendable {
    /// The plugin as the chain sees it.
    ///
    /// ```swift
    /// harness.plugin.descriptor.hooks  // [.pre, .post]
    /// ```
    public let plugin: NativePlugin

    /// The failure policy ``run(_:context:provider:)`` uses.
    ///
    /// ```swift
    /// harness.failurePolicy  // .failOpen for a plugin with failOpenByDefault
    /// ```
    public let failurePolicy: FailurePolicy

    /// Every log line: the plugin's (label `bifrost.plugin.<name>`) and the chain's
    /// (label `bifrost.chain`, faults).
    ///
    /// ```swift
    /// harness.logs.messages
    /// ```
    public let logs: CapturedLogs

    /// The metrics the plugin defined and recorded (and the chain's hook timings), as
    /// `/metrics` would show them.
    ///
    /// ```swift
    /// #expect(harness.metrics.render().contains("bifrost_requests_total"))
    /// ```
    public let metrics: MetricsRegistry

    /// Creates the plugin from `configuration` (JSON text) exactly as the loader would.
    /// A refusal is thrown as the host's `PluginLoadError`, its `reason` carrying the
    /// plugin's message.
    ///
    /// ```swift
    /// let harness = try PluginTestHarness(TimingHeaders.self, configuration: #"{"header_prefix": "x-acme"}"#)
    /// ```
    public init(
        _ type: P.Type,
        configuration: String = "{}",
        failurePolicy: FailurePolicy? = nil,
        logs: CapturedLogs = CapturedLogs()
    ) throws(PluginLoadError) {
        self.logs = logs
        let metrics = MetricsRegistry()
        self.metrics = metrics
        plugin = try NativePlugin.create(
            source: "\(P.name) (PluginTestHarness)",
            configuration: Array(configuration.utf8),
            logger: logs.logger(label: "bifrost.plugin.\(P.name)"),
            metrics: metrics
        ) { host, token, config, length in
            exportPlugin(P.self, host: host, token: token, config: config, configLength: length)
        }
        self.failurePolicy = failurePolicy ?? plugin.descriptor.defaultFailurePolicy
    }

    /// Calls the PreHook once; returns its decision and the request as the hook left it.
    /// A fault is thrown as the chain would see it (a `PluginFault`).
    ///
    /// ```swift
    /// let (result, request) = try await harness.preHook(.test("Hi"))
    /// #expect(result == .continue)
    /// ```
    public func preHook(
        _ request: ChatRequest,
        context: RequestContext = RequestContext()
    ) async throws -> (result: PreHookResult, request: ChatRequest) {
        var request = request
        let result = try plugin.preHook(&request, context: context)
        return (result, request)
    }

    /// Calls the PostHook once on `outcome`; returns the outcome as the hook left it.
    /// Pass the `context` its PreHook saw to test state carried between the two.
    ///
    /// ```swift
    /// let context = RequestContext()
    /// _ = try await harness.preHook(.test("Hi"), context: context)
    /// let outcome = try await harness.postHook(.failure(.invalidRequest("no")), context: context)
    /// ```
    public func postHook(_ outcome: ChatOutcome, context: RequestContext = RequestContext()) async throws -> ChatOutcome {
        var outcome = outcome
        try plugin.postHook(&outcome, context: context)
        return outcome
    }

    /// Runs a whole request through a one-plugin chain and a dispatcher, with the
    /// harness's failure policy: PreHook, provider (unless short-circuited), PostHook.
    ///
    /// ```swift
    /// let outcome = await harness.run(.test("Hi"))                      // mock/echo answers
    /// let failed = await harness.run(.test("Hi", model: "mock/fail"))   // 503 from the mock
    /// ```
    public func run(
        _ request: ChatRequest,
        context: RequestContext = RequestContext(),
        provider: any Provider = MockProvider()
    ) async -> ChatOutcome {
        let chain = PluginChain(
            [ChainEntry(plugin, failurePolicy: failurePolicy)], logger: logs.logger(label: "bifrost.chain"), metrics: metrics)
        let dispatcher = Dispatcher(providers: [provider])
        return await chain.run(request, context: context) { request, context in
            await dispatcher.dispatch(request, context: context)
        }
    }

    /// What a streamed run produced: the chunks the client would receive, and how the stream ended.
    public struct StreamResult: Sendable {
        /// The chunks, after the plugin's chunk hook.
        public var chunks: [ChatChunk]
        /// The error that ended the stream, before or after its first chunk; `nil` if it completed.
        public var error: BifrostError?
        /// The text of every chunk's first choice, joined.
        public var text: String { chunks.compactMap { $0.choices.first?.content }.joined() }
    }

    /// Streams `request` through the plugin (PreHook, chunk hook on each chunk, PostHook once
    /// with the assembled answer) and `provider`.
    ///
    /// ```swift
    /// let result = await harness.runStream(.test("Hi"))
    /// #expect(result.text == "ECHO: HI")
    /// ```
    public func runStream(
        _ request: ChatRequest,
        context: RequestContext = RequestContext(),
        provider: any Provider = MockProvider()
    ) async -> StreamResult {
        let chain = PluginChain(
            [ChainEntry(plugin, failurePolicy: failurePolicy)], logger: logs.logger(label: "bifrost.chain"), metrics: metrics)
        let dispatcher = Dispatcher(providers: [provider])
        let opened = await chain.runStream(request, context: context) { request, context in
            await dispatcher.dispatchStream(request, context: context)
        }
        guard case .success(let stream) = opened else { return StreamResult(chunks: [], error: opened.failureValue) }
        var chunks: [ChatChunk] = []
        do {
            for try await chunk in stream { chunks.append(chunk) }
        } catch {
            return StreamResult(chunks: chunks, error: error)
        }
        return StreamResult(chunks: chunks, error: nil)
    }

    /// Calls the plugin's `destroy` (once, however often called).
    ///
    /// ```swift
    /// defer { harness.shutdown() }
    /// ```
    public func shutdown() {
        plugin.shutdown()
    }
}

extension ChatRequest {
    /// A one-message request for tests: `model` is written as clients do, `provider/model`.
    ///
    /// ```swift
    /// let request = ChatRequest.test("What is 2 + 2?", model: "mock/echo")
    /// ```
    public static func test(
        _ userMessage: String = "Hello",
        model: String = "mock/echo",
        headers: [(String, String)] = []
    ) -> ChatRequest {
        let (provider, name) = ChatRequest.splitModel(model)
        return ChatRequest(
            provider: String(provider), model: String(name), messages: [ChatMessage(role: "user", content: userMessage)],
            headers: HeaderFields(headers))
    }
}

extension Result {
    fileprivate var failureValue: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
