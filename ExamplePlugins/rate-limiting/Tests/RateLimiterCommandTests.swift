import BifrostCore
import BifrostTestSupport
import RateLimiting
import Testing

@Suite("rate limiting's commands (ABI 1.5) through the gateway")
struct RateLimiterCommandTests {
    static let configuration = #"{"limits": [{"scope": "client", "requests_per_minute": 1, "burst": 3}]}"#
    static let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#

    /// `remaining(client)` through the admin API.
    static func remaining(_ client: HTTPTestClient, _ who: String) async throws -> Int? {
        try await client.postJSON("/api/plugins/rate-limiting/commands/remaining", #"{"client":"\#(who)"}"#).json()
            .objectField("result")?.intValue
    }

    @Test func remainingCountsAClientsRequestsAndResetRefillsThem() async throws {
        try await withPluginGateway([GatewayPlugin(RateLimiter.self, configuration: Self.configuration)]) { client, _, _ in
            #expect(try await Self.remaining(client, "127.0.0.1") == 3, "a client not seen yet has a full bucket")
            for _ in 0..<3 { #expect(try await client.postJSON("/v1/chat/completions", Self.body).status == 200) }
            #expect(try await client.postJSON("/v1/chat/completions", Self.body).status == 429)
            #expect(try await Self.remaining(client, "127.0.0.1") == 0)

            let reset = try await client.postJSON("/api/plugins/rate-limiting/commands/reset", #"{"client":"127.0.0.1"}"#)
            #expect(try reset.json().objectField("result") == .bool(true), "\(reset.text)")
            #expect(try await Self.remaining(client, "127.0.0.1") == 3)
            #expect(try await client.postJSON("/v1/chat/completions", Self.body).status == 200)

            let unknown = try await client.postJSON("/api/plugins/rate-limiting/commands/reset", #"{"client":"nobody"}"#)
            #expect(try unknown.json().objectField("result") == .bool(false))
        }
    }

    @Test func aClientArgumentOfAnotherTypeIs400NamingIt() async throws {
        try await withPluginGateway([GatewayPlugin(RateLimiter.self, configuration: Self.configuration)]) { client, _, _ in
            let response = try await client.postJSON("/api/plugins/rate-limiting/commands/remaining", #"{"client":7}"#)
            #expect(response.status == 400)
            #expect(try response.json().objectField("error")?.objectField("param") == .string("client"))
        }
    }
}
