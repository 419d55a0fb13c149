import BifrostCore
import BifrostTestSupport
import Monitoring
import RateLimiting
import ResponseCaching
import Testing

@Suite("monitoring, rate limiting and caching on POST /v1/responses")
struct ResponsesRouteMonitorTests {
    @Test func aCacheHitStreamsAsResponsesEventsAndARejectionHasTheErrorShape() async throws {
        let plugins = [
            GatewayPlugin(Monitor.self),
            GatewayPlugin(
                RateLimiter.self, configuration: #"{"limits": [{"scope": "global", "requests_per_minute": 1, "burst": 2}]}"#),
            GatewayPlugin(ResponseCache.self),
        ]
        try await withPluginGateway(plugins) { client, _, _ in
            let body = #"{"model":"mock/echo","input":"Hi","stream":true}"#
            let first = try await client.postJSON("/v1/responses", body)
            #expect(first.status == 200)
            #expect(first.headers["x-bifrost-cache"] == "miss")

            let hit = try await client.postJSON("/v1/responses", body)
            #expect(hit.headers["x-bifrost-cache"] == "hit", "the streamed answer was cached once assembled")
            #expect(hit.headers["content-type"] == "text/event-stream")
            let text = String(decoding: hit.body, as: UTF8.self)
            #expect(text.hasPrefix("event: response.created\n"))
            #expect(text.contains(#""delta":"Echo: Hi""#), "the cached text replayed in one delta")
            #expect(text.contains("event: response.completed\n"))

            let limited = try await client.postJSON("/v1/responses", body)
            #expect(limited.status == 429)
            #expect(limited.headers["retry-after"] != nil)
            let error = try limited.json().objectField("error")
            #expect(error?.objectField("code") == "rate_limit_exceeded")
            #expect(error?.objectField("message")?.stringValue?.hasPrefix("Rate limit reached") == true)

            let scrape = String(decoding: try await client.get("/metrics").body, as: UTF8.self)
            #expect(scrape.contains(#"bifrost_requests_total{provider="mock",model="echo",status="200"} 2"#), "\(scrape)")
            #expect(scrape.contains(#"bifrost_requests_total{provider="mock",model="echo",status="429"} 1"#))
            #expect(scrape.contains(#"bifrost_cache_hits_total{provider="mock",model="echo"} 1"#))
        }
    }
}
