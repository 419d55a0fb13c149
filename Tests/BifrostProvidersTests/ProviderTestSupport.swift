import BifrostCore
import BifrostProviders
import BifrostTestSupport
import Logging

/// Runs `body` against a fresh fake upstream and HTTP client, stopping both afterwards.
func withUpstream(
    _ handler: @escaping FakeUpstream.Handler,
    _ body: (FakeUpstream, UpstreamHTTPClient) async throws -> Void
) async throws {
    let server = try await FakeUpstream.start(handler)
    let http = UpstreamHTTPClient()
    do {
        try await body(server, http)
    } catch {
        await http.shutdown()
        await server.stop()
        throw error
    }
    await http.shutdown()
    await server.stop()
}

/// Runs `body` against a fake upstream that gives every request the same reply.
func withUpstream(reply: FakeReply, _ body: (FakeUpstream, UpstreamHTTPClient) async throws -> Void) async throws {
    try await withUpstream({ _ in reply }, body)
}

/// Settings pointing at a fake upstream, with short timeouts.
func testSettings(
    _ kind: ProviderSettings.Kind = .openai, baseURL: String, request: Duration = .seconds(5), idle: Duration = .seconds(5),
    headers: [String: String] = [:]
) -> ProviderSettings {
    ProviderSettings(
        name: kind == .anthropic ? "anthropic" : "openai", kind: kind, baseURL: baseURL,
        timeouts: .init(connect: .seconds(2), request: request, streamIdle: idle), headers: headers)
}

let testSecret = "sk-test-SECRET-0123456789"
let testCredentials = ProviderCredentials(keyID: "openai#0", secret: testSecret)

func json(_ bytes: [UInt8]) throws -> JSONValue { try JSONValue.parse(bytes) }
func json(_ text: String) throws -> JSONValue { try JSONValue.parse(text) }

/// The error `operation` threw, or `nil` when it succeeded.
func bifrostError<T>(_ operation: () async throws(BifrostError) -> T) async -> BifrostError? {
    do {
        _ = try await operation()
        return nil
    } catch {
        return error
    }
}
