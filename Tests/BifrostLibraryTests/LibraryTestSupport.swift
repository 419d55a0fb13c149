import BifrostCore
import BifrostHTTP
import BifrostLibrary
import BifrostTestSupport
import Logging
import Testing

/// A logger that prints only critical messages.
func quietLogger() -> Logger {
    var logger = Logger(label: "bifrost.library.tests")
    logger.logLevel = .critical
    return logger
}

/// An account with the built-in mock only, optionally slow.
struct MockAccount: Account {
    var latency: Duration = .zero

    func configuredProviders() async throws -> [String] { ["mock"] }
    func keys(for provider: String) async throws -> [APIKey] { [] }
    func settings(for provider: String) async throws -> ProviderSettings {
        var settings = ProviderSettings(name: provider, kind: .mock, baseURL: "", retry: .init(maxAttempts: 1))
        settings.mockLatency = latency
        return settings
    }
}

/// A chat request for `model` with one user message.
func chat(_ text: String = "Hi", model: String = "mock/echo") -> ChatRequest {
    ChatRequest(model: model, messages: [ChatMessage(role: "user", content: text)])
}

/// The OpenAI JSON body of the same request, for the HTTP side of a comparison.
func chatJSON(_ text: String = "Hi", model: String = "mock/echo") -> String {
    #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(text)"}]}"#
}

/// Starts Bifrost with the mock account and these plugins.
func startBifrost(_ plugins: [PluginSpec], latency: Duration = .zero, drainTimeout: Duration = .seconds(10)) async throws
    -> Bifrost
{
    try await Bifrost(
        configuration: BifrostConfiguration(
            account: MockAccount(latency: latency), plugins: plugins, logger: quietLogger(), drainTimeout: drainTimeout))
}

/// Serves `bifrost` over HTTP on 127.0.0.1 and a free port while `body` runs.
func withHTTP<Result: Sendable>(_ bifrost: Bifrost, _ body: (HTTPTestClient) async throws -> Result) async throws -> Result {
    let server = BifrostHTTPServer(
        bifrost: bifrost, configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0), logger: quietLogger())
    let client = HTTPTestClient(port: try await server.start())
    do {
        let result = try await body(client)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A wait that took too long.
struct TimedOut: Error, CustomStringConvertible {
    var limit: Duration
    var description: String { "timed out after \(limit)" }
}

/// Runs `body`, failing with ``TimedOut`` if it takes longer than `limit`.
func within<Value: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Value) async throws -> Value {
    try await withThrowingTaskGroup(of: Value?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let value = try await group.next() ?? nil else { throw TimedOut(limit: limit) }
        return value
    }
}

/// The ``BifrostError`` a call ended with, or `nil` if it succeeded (any other error is an issue).
func bifrostError<Value>(_ call: () async throws -> Value) async -> BifrostError? {
    do {
        _ = try await call()
        return nil
    } catch let error as BifrostError {
        return error
    } catch {
        Issue.record("expected a BifrostError, got \(error)")
        return nil
    }
}

/// An in-process plugin that appends `pre:NAME`/`post:NAME` to the context's `trace` (the
/// same key and format as the zoo's `tracer.c`), counts its hooks and `shutdown` calls, and
/// writes the trace it saw last to `x-swift-trace-NAME`.
final class SwiftTracer: Plugin, Sendable {
    let descriptor: PluginDescriptor
    private let counts = LockedValue((pre: 0, post: 0, shutdown: 0))

    init(_ name: String) { descriptor = PluginDescriptor(name: name, version: "1.0.0", hooks: [.pre, .post]) }

    var preCalls: Int { counts.withLock { $0.pre } }
    var shutdownCalls: Int { counts.withLock { $0.shutdown } }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        counts.withLock { $0.pre += 1 }
        append("pre", context)
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        counts.withLock { $0.post += 1 }
        append("post", context)
        guard case .string(let trace)? = context["trace"] else { return }
        switch outcome {
        case .response(var response):
            response.headers["x-swift-trace-\(descriptor.name)"] = trace
            outcome = .response(response)
        case .failure(var error):
            error.headers["x-swift-trace-\(descriptor.name)"] = trace
            outcome = .failure(error)
        }
    }

    func shutdown() { counts.withLock { $0.shutdown += 1 } }

    private func append(_ event: String, _ context: RequestContext) {
        let entry = "\(event):\(descriptor.name)"
        if case .string(let trace)? = context["trace"] {
            context["trace"] = .string(trace + "," + entry)
        } else {
            context["trace"] = .string(entry)
        }
    }
}

/// Compiles the zoo's `tracer.c` as plugin `name` with extra `-D` macros.
func tracer(_ name: String, _ defines: [String: String] = [:]) async throws -> String {
    var defines = defines
    defines["PLUGIN_NAME"] = "\"\(name)\""
    return try await CPluginCompiler.compile(zoo: "tracer.c", as: "\(name).so", defines: defines)
}
