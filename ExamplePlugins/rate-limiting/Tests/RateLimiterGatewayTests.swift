import BifrostCore
import BifrostPluginSDK
import BifrostTestSupport
import RateLimiting
import Testing

@Suite("rate-limiting through the gateway")
struct RateLimiterGatewayTests {
    static let plugin = GatewayPlugin(
        RateLimiter.self, configuration: #"{"limits": [{"scope": "client", "requests_per_minute": 1, "burst": 1}]}"#)

    @Test func secondRequestOfAClientGets429InOpenAIShape() async throws {
        try await withPluginGateway([Self.plugin]) { client, _, _ in
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}]}"#
            let alice = ["authorization": "Bearer sk-alice"]
            let first = try await client.postJSON("/v1/chat/completions", body, headers: alice)
            #expect(first.status == 200)
            #expect(first.headers["x-ratelimit-remaining-requests"] == "0")
            #expect(first.headers["x-ratelimit-limit-requests"] == "1")

            let second = try await client.postJSON("/v1/chat/completions", body, headers: alice)
            #expect(second.status == 429)
            // About a minute for 1 request a minute; the parallel suite may stall this test for seconds.
            #expect((40...60).contains(Int(second.headers["retry-after"] ?? "") ?? 0), "\(second.headers)")
            #expect(second.headers["x-ratelimit-remaining-requests"] == "0")
            guard case .object(let root) = try second.json(), case .object(let error)? = root["error"] else {
                Issue.record("not an OpenAI error body: \(String(decoding: second.body, as: UTF8.self))")
                return
            }
            #expect(error["type"]?.stringValue == "requests")
            #expect(error["code"]?.stringValue == "rate_limit_exceeded")
            #expect(error["message"]?.stringValue?.hasPrefix("Rate limit reached for client 'key:") == true)

            let bob = try await client.postJSON("/v1/chat/completions", body, headers: ["authorization": "Bearer sk-bob"])
            #expect(bob.status == 200, "another client's key has its own bucket")
            #expect(String(decoding: bob.body, as: UTF8.self).contains("sk-") == false)
        }
    }
}
