import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Testing

/// An account written by the embedding program: an OpenAI-compatible provider `up` at a
/// loopback upstream, with two keys, and the mock. It counts how often it is asked for keys.
final class TestAccount: Account, Sendable {
    let baseURL: String
    let fallbacks: [String: [String]]
    private let keyRequests = LockedValue(0)

    init(baseURL: String, fallbacks: [String: [String]] = [:]) {
        self.baseURL = baseURL
        self.fallbacks = fallbacks
    }

    var keyRequestCount: Int { keyRequests.withLock { $0 } }

    func configuredProviders() async throws -> [String] { ["up", "mock"] }

    func keys(for provider: String) async throws -> [APIKey] {
        keyRequests.withLock { $0 += 1 }
        guard provider == "up" else { return [] }
        // The revoked key is almost always picked first, so the rotation is observed.
        return [
            APIKey(id: "up#revoked", secret: "sk-revoked", weight: 1_000_000),
            APIKey(id: "up#valid", secret: "sk-valid", weight: 0.000_001),
        ]
    }

    func settings(for provider: String) async throws -> ProviderSettings {
        guard provider == "up" else { return ProviderSettings(name: "mock", kind: .mock, baseURL: "") }
        return ProviderSettings(
            name: "up", kind: .openai, baseURL: baseURL, models: ["small", "broken"],
            // Generous, so a parallel suite under the thread sanitizer cannot turn an attempt into a timeout.
            timeouts: .init(connect: .seconds(20), request: .seconds(60), streamIdle: .seconds(60)),
            retry: .init(maxAttempts: 2, initialBackoff: .milliseconds(5), maxBackoff: .milliseconds(20)),
            fallbacks: fallbacks)
    }
}

/// An OpenAI-compatible upstream: `sk-valid` is answered, any other key gets a 401, and
/// model `broken` always fails with 500.
func openAIUpstream() async throws -> FakeUpstream {
    try await FakeUpstream.start { request in
        guard request.headers["authorization"] == "Bearer sk-valid" else {
            return .json(status: 401, body: #"{"error":{"message":"invalid key","type":"invalid_request_error"}}"#)
        }
        if request.text.contains(#""model":"broken""#) {
            return .json(status: 500, body: #"{"error":{"message":"upstream broke","type":"server_error"}}"#)
        }
        return .json(
            body: """
                {"id":"c1","object":"chat.completion","created":1,"model":"small",\
                "choices":[{"index":0,"message":{"role":"assistant","content":"hello from upstream"},"finish_reason":"stop"}],\
                "usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}
                """)
    }
}

@Suite("An account implemented by the embedding program")
struct AccountTests {
    @Test func aBaseURLTheClientCannotUseIsRefusedAtStart() async throws {
        await #expect {
            _ = try await Bifrost(configuration: BifrostConfiguration(account: TestAccount(baseURL: "ftp://127.0.0.1/v1")))
        } throws: { error in
            guard let error = error as? AccountError else { return false }
            return error.provider == "up" && error.reason.contains("the scheme must be http or https")
        }
    }

    @Test func aRevokedKeyIsRotatedToTheNextKeyTheAccountSupplied() async throws {
        let upstream = try await openAIUpstream()
        let account = TestAccount(baseURL: upstream.baseURL)
        let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: account, logger: quietLogger()))
        let response = try await bifrost.chatCompletion(chat("rotate", model: "up/small"))
        #expect(response.choices.first?.content == "hello from upstream")
        #expect(response.provider == "up")
        #expect(response.headers["x-bifrost-attempts"] == "2")
        #expect(upstream.requests.map { $0.headers["authorization"] } == ["Bearer sk-revoked", "Bearer sk-valid"])
        #expect(account.keyRequestCount == 2)  // once per provider, at start
        await bifrost.shutdown()
        await upstream.stop()
    }

    @Test func aFailingModelFallsBackAsTheAccountConfigured() async throws {
        let upstream = try await openAIUpstream()
        let account = TestAccount(baseURL: upstream.baseURL, fallbacks: ["broken": ["mock/echo"]])
        let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: account, logger: quietLogger()))
        let response = try await bifrost.chatCompletion(chat("rescued", model: "up/broken"))
        #expect(response.choices.first?.content == "Echo: rescued")
        #expect(response.headers["x-bifrost-fallback"] == "mock/echo")
        await bifrost.shutdown()
        await upstream.stop()
    }

    @Test func anErrorSaysWhichProviderFailedAndWhichFallbacksWereTried() async throws {
        let upstream = try await openAIUpstream()
        let account = TestAccount(baseURL: upstream.baseURL, fallbacks: ["broken": ["mock/fail"]])
        let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: account, logger: quietLogger()))
        let error = await bifrostError { try await bifrost.chatCompletion(chat("lost", model: "up/broken")) }
        #expect(error?.status == 503)
        #expect(error?.type == "provider_error")
        #expect(error?.provider == "mock")
        #expect(error?.fallbacksTried == ["mock/fail"])
        #expect(error?.triedFallbacks == true)
        await bifrost.shutdown()
        await upstream.stop()
    }
}
