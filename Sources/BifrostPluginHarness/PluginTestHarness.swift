public import BifrostCore
import BifrostHostServices
public import BifrostNativePlugins
public import BifrostPluginCases
public import BifrostPluginSDK
import BifrostProviders
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a Swift plugin's hooks in a unit test, without a gateway or `dlopen`, through the
/// host's real accessor table: the same `exportPlugin` table, handles and fault rules as a
/// loaded `.so`.
///
/// ```swift
/// import BifrostCore
/// import BifrostPluginHarness
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
    /// What performs the plugin's host operations (state, callouts): the gateway's services
    /// over a fresh in-memory store unless given; pass one instance to several harnesses to
    /// have them share state as replicas on one backend do.
    ///
    /// ```swift
    /// let shared = PluginTestHarness<RateLimiter>.memoryServices()
    /// let first = try PluginTestHarness(RateLimiter.self, configuration: config, services: shared)
    /// let second = try PluginTestHarness(RateLimiter.self, configuration: config, services: shared)
    /// ```
    public let services: any HostServices

    /// Host services over a fresh in-memory store, with real callouts.
    public static func memoryServices(logger: Logger = Logger(label: "bifrost.state")) -> any HostServices {
        GatewayHostServices(
            shared: nil, backendName: "memory", callouts: CalloutClient(httpClient: UpstreamHTTPClient()), logger: logger)
    }

    /// Creates the plugin from `configuration` (JSON text) exactly as the loader would.
    /// A refusal is thrown as the host's `PluginLoadError`, its `reason` carrying the
    /// plugin's message.
    ///
    /// `hostMinor` hands the plugin the host's table as a host of ABI 1.`hostMinor` has it
    /// (that `abi_minor`, a `struct_size` ending before the services added later, and those
    /// slots NULL), to test how the plugin copes with an older host; `nil` is this host.
    /// `handedState` is what a predecessor exported at a reload (ABI 1.4): the plugin reads it
    /// as ``BifrostPluginSDK/PluginConfiguration/handedState``; `plugin.exportState()` is what
    /// this instance would hand on.
    ///
    /// ```swift
    /// let harness = try PluginTestHarness(TimingHeaders.self, configuration: #"{"header_prefix": "x-acme"}"#)
    /// let onOldHost = try PluginTestHarness(ToolGuard.self, hostMinor: 2)
    /// let successor = try PluginTestHarness(Counter.self, handedState: try harness.plugin.exportState())
    /// ```
    public init(
        _ type: P.Type,
        configuration: String = "{}",
        failurePolicy: FailurePolicy? = nil,
        logs: CapturedLogs = CapturedLogs(),
        hostMinor: Int? = nil,
        handedState: [UInt8]? = nil,
        services: (any HostServices)? = nil
    ) throws(PluginLoadError) {
        self.logs = logs
        self.services = services ?? Self.memoryServices(logger: logs.logger(label: "bifrost.state"))
        let metrics = MetricsRegistry()
        self.metrics = metrics
        let olderHost = hostMinor.flatMap(OlderHostTables.table(minor:))
        plugin = try NativePlugin.create(
            source: "\(P.name) (PluginTestHarness)",
            configuration: Array(configuration.utf8),
            logger: logs.logger(label: "bifrost.plugin.\(P.name)"),
            metrics: metrics,
            handedState: handedState
        ) { host, token, config, length in
            exportPlugin(P.self, host: olderHost ?? host, token: token, config: config, configLength: length)
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
            [ChainEntry(plugin, failurePolicy: failurePolicy)], logger: logs.logger(label: "bifrost.chain"), metrics: metrics,
            services: services)
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
            [ChainEntry(plugin, failurePolicy: failurePolicy)], logger: logs.logger(label: "bifrost.chain"), metrics: metrics,
            services: services)
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

    /// Runs a case file, the one `bifrost plugins test` reads, against this plugin: the same
    /// engine, so a Swift plugin is tested as a C or Rust build of it would be. The file's
    /// `config` is not applied (the harness was created with its configuration); the cases share
    /// this instance, so state carries from one to the next.
    ///
    /// ```swift
    /// let results = try await harness.run(caseFile: "cases.json")
    /// #expect(results.allSatisfy(\.passed), "\(results.flatMap(\.failures))")
    /// ```
    public func run(caseFile path: String) async throws -> [PluginCaseRunner.Result] {
        guard let handle = fopen(path, "rb") else {
            throw PluginCaseError(file: path, path: "", message: "cannot read the file")
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while case let count = fread(&buffer, 1, buffer.count, handle), count > 0 { bytes += buffer[0..<count] }
        let file = try PluginCaseFile(json: bytes, file: path)
        return await PluginCaseRunner(plugin: plugin, failurePolicy: failurePolicy, services: services).run(file.cases)
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

/// The host's table cut back to what the hosts of earlier ABI minors had, for
/// ``PluginTestHarness/init(_:configuration:failurePolicy:logs:hostMinor:handedState:)``.
enum OlderHostTables {
    /// The size of a table of minor `m`: it ends where the first service of minor `m + 1` begins.
    private static let sizes: [Int] = [
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.chunk_choice_count)!,  // 1.1
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.metric_define)!,  // 1.2
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.request_message_tool_call_count)!,  // 1.3
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.state_write)!,  // 1.4
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.config_root)!,  // 1.5 (commands: no host services)
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.config_root)!,  // 1.6
        MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.state_counter_add)!,  // 1.7
    ]

    // Built once and kept for the life of the process, as a host keeps its table.
    nonisolated(unsafe) private static let tables: [UnsafePointer<bifrost_host_api>] = sizes.indices.map { minor in
        let size = sizes[minor]
        let table = UnsafeMutablePointer<bifrost_host_api>.allocate(capacity: 1)
        table.initialize(to: NativeHost.api.pointee)
        table.pointee.struct_size = UInt32(size)
        table.pointee.abi_minor = UInt16(minor)
        // The services a host of that minor does not have are absent, not merely out of range.
        UnsafeMutableRawPointer(table).advanced(by: size).initializeMemory(
            as: UInt8.self, repeating: 0, count: MemoryLayout<bifrost_host_api>.size - size)
        return UnsafePointer(table)
    }

    /// The table of a host of ABI 1.`minor`; `nil` (the real table) for this host's minor or later.
    static func table(minor: Int) -> UnsafePointer<bifrost_host_api>? {
        guard minor >= 0, minor < tables.count, minor < Int(BIFROST_ABI_VERSION_MINOR) else { return nil }
        return tables[minor]
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
