import BifrostCore
import BifrostProviders
import BifrostTestSupport
import Synchronization
import Testing

/// The dispatcher's retries, key rotation and fallbacks against real upstream servers on 127.0.0.1.
@Suite("Dispatcher over real upstreams")
struct DispatcherOverUpstreamTests {
    static func settings(_ name: String, baseURL: String, keys: [APIKey] = [], fallbacks: [String: [String]] = [:])
        -> ProviderSettings
    {
        ProviderSettings(
            name: name, kind: .openai, baseURL: baseURL, keys: keys, models: ["gpt-4o-mini"],
            timeouts: .init(connect: .seconds(2), request: .seconds(5), streamIdle: .seconds(5)),
            retry: .init(maxAttempts: 3, initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(100)),
            fallbacks: fallbacks)
    }

    static func request() -> ChatRequest {
        ChatRequest(provider: "openai", model: "gpt-4o-mini", messages: [ChatMessage(role: "user", content: "Hi")])
    }

    @Test func a429IsRetriedWithAnotherKeyAndThenAnswered() async throws {
        let calls = Atomic<Int>(0)
        let firstRateLimitedThenAnswered: FakeUpstream.Handler = { _ in
            calls.add(1, ordering: .relaxed).newValue == 1
                ? .json(
                    status: 429, body: #"{"error":{"message":"slow down","type":"rate_limit_error"}}"#,
                    headers: [("retry-after", "0")])
                : .json(body: OpenAIProviderTests.completion)
        }
        try await withUpstream(firstRateLimitedThenAnswered) { server, http in
            let keys = [APIKey(id: "openai#0", secret: "sk-first"), APIKey(id: "openai#1", secret: "sk-second")]
            let settings = Self.settings("openai", baseURL: server.baseURL, keys: keys)
            let dispatcher = Dispatcher(
                providers: [OpenAIProvider(settings: settings, httpClient: http)], settings: [settings])
            let response = try #require(await dispatcher.dispatch(Self.request(), context: RequestContext()).response)
            #expect(response.headers["x-bifrost-attempts"] == "2")
            let authorizations = server.requests.map { $0.headers["authorization"] ?? "" }
            #expect(authorizations.count == 2)
            #expect(Set(authorizations).count == 2, "the retry after a 429 uses the other key")
        }
    }

    @Test func anUpstreamFailingEveryTimeFallsBackToTheNextProvider() async throws {
        try await withUpstream(reply: .json(status: 500, body: #"{"error":{"message":"boom","type":"server_error"}}"#)) {
            failing, http in
            try await withUpstream(reply: .json(body: OpenAIProviderTests.completion)) { backup, _ in
                let primary = Self.settings(
                    "openai", baseURL: failing.baseURL, fallbacks: ["gpt-4o-mini": ["backup/gpt-4o-mini"]])
                let secondary = Self.settings("backup", baseURL: backup.baseURL)
                let dispatcher = Dispatcher(
                    providers: [
                        OpenAIProvider(settings: primary, httpClient: http),
                        OpenAIProvider(settings: secondary, httpClient: http),
                    ],
                    settings: [primary, secondary])
                let response = try #require(await dispatcher.dispatch(Self.request(), context: RequestContext()).response)
                #expect(failing.requests.count == 3)
                #expect(response.provider == "backup")
                #expect(response.headers["x-bifrost-fallback"] == "backup/gpt-4o-mini")
                #expect(response.headers["x-bifrost-attempts"] == "4")
            }
        }
    }
}
