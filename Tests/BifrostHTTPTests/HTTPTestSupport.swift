import BifrostCore
import BifrostHTTP
import BifrostLibrary
import BifrostTestSupport
import Logging

/// A request the mock provider answers: `{"model":"mock/echo","messages":[{"role":"user","content":…}]}`.
func chatJSON(_ content: String = "Hi", model: String = "mock/echo", extra: String = "") -> String {
    #"{"model":"\#(model)","messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#
}

/// Bifrost with the given Swift providers (by default the mock) and plugins; no account providers.
func makeBifrost(_ entries: [ChainEntry] = [], providers: [any Provider] = [MockProvider()]) async throws -> Bifrost {
    try await Bifrost(
        configuration: BifrostConfiguration(
            account: NoProviders(), plugins: entries.map { .plugin($0.plugin, failurePolicy: $0.failurePolicy) },
            providers: providers, logger: quietLogger()))
}

/// An account without providers: tests give theirs as Swift providers.
struct NoProviders: Account {
    func configuredProviders() async throws -> [String] { [] }
    func keys(for provider: String) async throws -> [APIKey] { [] }
    func settings(for provider: String) async throws -> ProviderSettings {
        throw AccountError(provider: provider, reason: "no providers")
    }
}

/// Starts a server on 127.0.0.1 and a free port, runs `body` with a client for it, and
/// always shuts the server down.
func withServer<Result: Sendable>(
    _ bifrost: Bifrost? = nil,
    maxBodyBytes: Int = 10 * 1024 * 1024,
    requestExecutor: RequestExecutor = .eventLoop,
    configuration: HTTPServerConfiguration? = nil,
    _ body: (HTTPTestClient, BifrostHTTPServer) async throws -> Result
) async throws -> Result {
    let logger = quietLogger()
    var core = bifrost
    if core == nil { core = try await makeBifrost() }
    let server = BifrostHTTPServer(
        bifrost: core!,
        configuration: configuration
            ?? HTTPServerConfiguration(
                host: "127.0.0.1", port: 0, maxBodyBytes: maxBodyBytes, shutdownGracePeriod: .seconds(2),
                requestExecutor: requestExecutor),
        logger: logger)
    let port = try await server.start()
    let client = HTTPTestClient(port: port)
    do {
        let result = try await body(client, server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A logger that prints only critical messages, so test output stays readable.
func quietLogger() -> Logger {
    var logger = Logger(label: "bifrost.http.tests")
    logger.logLevel = .critical
    return logger
}

/// The `{"error":{…}}` fields of an error response.
func errorFields(_ response: HTTPTestResponse) throws -> JSONObject {
    guard case .object(let fields)? = try response.json().objectField("error") else { return [:] }
    return fields
}

/// Rejects every request with 429 and `retry-after`.
struct RejectingPlugin: Plugin {
    let descriptor = PluginDescriptor(name: "limiter", version: "1.2.3", hooks: .pre)
    var status = 429

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        var headers = HeaderFields()
        headers["retry-after"] = "7"
        return .reject(
            BifrostError(
                status: status, type: "rate_limit_exceeded", code: "rate_limited",
                message: "Slow down, client",
                headers: headers))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// A plugin that throws in its PreHook.
struct FaultingPlugin: Plugin {
    struct Broken: Error, CustomStringConvertible {
        var description: String { "deliberately broken" }
    }

    let descriptor: PluginDescriptor

    init(name: String = "faulty", policy: FailurePolicy = .failClosed) {
        descriptor = PluginDescriptor(name: name, version: "0.0.1", defaultFailurePolicy: policy)
    }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        throw Broken()
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// Reports what the transport put in the context as response headers.
struct ContextReporter: Plugin {
    let descriptor = PluginDescriptor(name: "reporter", version: "1.0.0", hooks: .post)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard case .response(var response) = outcome else { return }
        response.headers["x-test-client-id"] = context.clientID
        response.headers["x-test-route"] = context.route
        response.headers["x-test-request-id"] = context.requestID
        response.headers.add(name: "x-test-multi", value: "one")
        response.headers.add(name: "x-test-multi", value: "two")
        response.headers["x-bad-header"] = "split\r\nx-injected: yes"
        response.headers["content-length"] = "1"
        outcome = .response(response)
    }
}

/// Signals each time its PreHook runs, so a test knows a request is in flight.
struct SignallingPlugin: Plugin {
    let descriptor = PluginDescriptor(name: "signal", version: "1.0.0", hooks: .pre)
    let signal: AsyncStream<Void>.Continuation

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        signal.yield()
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// A native-looking descriptor, for `/api/plugins`.
struct NativeLookingPlugin: Plugin {
    let descriptor = PluginDescriptor(
        name: "native-one", version: "2.0.0", hooks: [.pre, .post], kind: "native", abiVersion: "1.0",
        file: "/plugins/native-one.so", defaultFailurePolicy: .failOpen)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        .continue
    }
    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// `bytes` as text, for assertions on raw exchanges.
func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
