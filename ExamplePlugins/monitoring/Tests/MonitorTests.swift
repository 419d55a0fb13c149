import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import Monitoring
import RateLimiting
import ResponseCaching
import Testing

@Suite("monitoring")
struct MonitorTests {
    @Test func countsRequestsTokensAndLatency() async throws {
        let harness = try PluginTestHarness(Monitor.self)
        defer { harness.shutdown() }
        _ = await harness.run(.test("Hi"))
        _ = await harness.run(.test("Hi", model: "mock/fail"))
        let metrics = harness.metrics.render()
        #expect(metrics.contains(#"bifrost_requests_total{provider="mock",model="echo",status="200"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"bifrost_requests_total{provider="mock",model="fail",status="503"} 1"#))
        #expect(metrics.contains(#"bifrost_tokens_total{provider="mock",model="echo",type="input"} "#))
        #expect(metrics.contains(#"bifrost_tokens_total{provider="mock",model="echo",type="output"} 2"#))
        #expect(metrics.contains(#"bifrost_request_duration_seconds_count{provider="mock",model="echo"} 1"#))
        #expect(metrics.contains(#"bifrost_upstream_duration_seconds_count{provider="mock",model="echo"} 1"#))
        #expect(metrics.contains("bifrost_requests_in_flight 0\n"))
        #expect(metrics.contains("# TYPE bifrost_request_duration_seconds histogram"))
        #expect(metrics.contains(#"bifrost_plugin_hook_duration_seconds_count{plugin="monitoring",hook="pre_hook"} 2"#))
    }

    @Test func streamsRecordTimeToFirstToken() async throws {
        let harness = try PluginTestHarness(Monitor.self)
        defer { harness.shutdown() }
        var request = ChatRequest.test("stream it")
        request.parameters["stream"] = .bool(true)
        let result = await harness.runStream(request)
        #expect(result.error == nil)
        let metrics = harness.metrics.render()
        #expect(metrics.contains(#"bifrost_time_to_first_token_seconds_count{provider="mock",model="echo"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"bifrost_requests_total{provider="mock",model="echo",status="200"} 1"#))
    }

    @Test func modelLabelCanBeDropped() async throws {
        let harness = try PluginTestHarness(Monitor.self, configuration: #"{"include_model_label": false}"#)
        defer { harness.shutdown() }
        _ = await harness.run(.test("Hi"))
        #expect(harness.metrics.render().contains(#"bifrost_requests_total{provider="mock",model="",status="200"} 1"#))
    }

    @Test(arguments: [
        (#"{"latency_buckets": [1, 0.5]}"#, "'latency_buckets' must be positive seconds in strictly ascending order"),
        (#"{"include_model": true}"#, "unknown field 'include_model'"),
    ])
    func refusesBadConfiguration(configuration: String, expected: String) {
        #expect {
            _ = try PluginTestHarness(Monitor.self, configuration: configuration)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func gatewayMetricsShowRejectionsCacheHitsAndHookLatency() async throws {
        let plugins = [
            GatewayPlugin(Monitor.self),
            GatewayPlugin(
                RateLimiter.self, configuration: #"{"limits": [{"scope": "global", "requests_per_minute": 1, "burst": 2}]}"#),
            GatewayPlugin(ResponseCache.self),
        ]
        try await withPluginGateway(plugins) { client, _, _ in
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}]}"#
            #expect(try await client.postJSON("/v1/chat/completions", body).headers["x-bifrost-cache"] == "miss")
            #expect(try await client.postJSON("/v1/chat/completions", body).headers["x-bifrost-cache"] == "hit")
            #expect(try await client.postJSON("/v1/chat/completions", body).status == 429)

            let scrape = try await client.get("/metrics")
            #expect(scrape.status == 200)
            #expect(scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(decoding: scrape.body, as: UTF8.self)
            #expect(text.contains(#"bifrost_plugin_rejections_total{plugin="rate-limiting",status="429"} 1"#), "\(text)")
            #expect(text.contains(#"bifrost_cache_hits_total{provider="mock",model="echo"} 1"#))
            #expect(text.contains(#"bifrost_cache_misses_total{provider="mock",model="echo"} 1"#))
            #expect(text.contains(#"bifrost_requests_total{provider="mock",model="echo",status="200"} 2"#))
            #expect(text.contains(#"bifrost_requests_total{provider="mock",model="echo",status="429"} 1"#))
            #expect(
                text.contains(#"bifrost_upstream_duration_seconds_count{provider="mock",model="echo"} 1"#),
                "hits never reach the provider")
            #expect(text.contains("bifrost_cache_entries 1\n"))
            for plugin in ["monitoring", "rate-limiting", "caching"] {
                #expect(text.contains(#"bifrost_plugin_hook_duration_seconds_count{plugin="\#(plugin)",hook="pre_hook"}"#))
            }
        }
    }
}
