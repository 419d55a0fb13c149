import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import RateLimiting
import Testing

@Suite("rate-limiting")
struct RateLimiterTests {
    /// A harness for `limits` (JSON array text) in `mode`.
    static func harness(_ limits: String, extra: String = "") throws -> PluginTestHarness<RateLimiter> {
        try PluginTestHarness(RateLimiter.self, configuration: #"{"limits": \#(limits)\#(extra)}"#)
    }

    @Test func admitsUpToTheBurstThenRejectsWithOpenAIHeaders() async throws {
        // 6 per minute: one request back every 10 s, far longer than the test takes.
        let harness = try Self.harness(#"[{"scope": "global", "requests_per_minute": 6, "burst": 2}]"#)
        defer { harness.shutdown() }
        let first = try #require(await harness.run(.test("a")).response)
        #expect(first.headers["x-ratelimit-limit-requests"] == "2")
        #expect(first.headers["x-ratelimit-remaining-requests"] == "1")
        #expect(first.headers["x-ratelimit-reset-requests"] == "10s")
        let second = try #require(await harness.run(.test("b")).response)
        #expect(second.headers["x-ratelimit-remaining-requests"] == "0")

        let third = try #require(await harness.run(.test("c")).error)
        #expect(third.status == 429)
        #expect(third.type == "requests")
        #expect(third.code == "rate_limit_exceeded")
        #expect(third.source == .plugin("rate-limiting"))
        #expect(third.message.contains("Rate limit reached for the gateway: 6 requests per minute (burst 2) (limits[0])"))
        #expect((1...10).contains(Int(third.headers["retry-after"] ?? "") ?? 0), "\(third.headers)")
        #expect((1...10_000).contains(Int(third.headers["retry-after-ms"] ?? "") ?? 0), "\(third.headers)")
        #expect(third.headers["x-ratelimit-remaining-requests"] == "0")
        #expect(third.headers["x-ratelimit-limit-requests"] == "2")
    }

    @Test func clientsHaveTheirOwnBuckets() async throws {
        let harness = try Self.harness(#"[{"scope": "client", "requests_per_minute": 1, "burst": 1}]"#)
        defer { harness.shutdown() }
        #expect(await harness.run(.test(), context: RequestContext(clientID: "key:a")).response != nil)
        #expect(await harness.run(.test(), context: RequestContext(clientID: "key:b")).response != nil)
        let limited = try #require(await harness.run(.test(), context: RequestContext(clientID: "key:a")).error)
        #expect(limited.status == 429)
        #expect(limited.message.contains("client 'key:a'"))
    }

    @Test func matchLimitsOnlyThatModel() async throws {
        let harness = try Self.harness(
            #"[{"scope": "model", "match": "mock/fail", "requests_per_minute": 1, "burst": 1}]"#)
        defer { harness.shutdown() }
        for _ in 0..<3 { #expect(await harness.run(.test(model: "mock/echo")).response != nil) }
        #expect(await harness.run(.test(model: "mock/fail")).error?.status == 503, "admitted; the mock's fail model answers 503")
        #expect(await harness.run(.test(model: "mock/fail")).error?.status == 429)
    }

    @Test func tokensPerMinuteAreChargedFromUsage() async throws {
        let harness = try Self.harness(#"[{"scope": "provider", "tokens_per_minute": 5}]"#)
        defer { harness.shutdown() }
        let first = try #require(await harness.run(.test("one two three four five six")).response)
        #expect(first.usage.totalTokens > 5)
        #expect(first.headers["x-ratelimit-limit-tokens"] == "5")
        #expect(first.headers["x-ratelimit-remaining-tokens"] == "0")
        let limited = try #require(await harness.run(.test("again")).error)
        #expect(limited.status == 429)
        #expect(limited.type == "tokens")
        #expect(limited.message.contains("provider 'mock': 5 tokens per minute"))
    }

    @Test func waitModeDelaysWithoutRejecting() async throws {
        // 600 per minute: one every 100 ms.
        let harness = try Self.harness(
            #"[{"scope": "global", "requests_per_minute": 600, "burst": 1}]"#, extra: #", "mode": "wait", "max_wait_ms": 10000"#)
        defer { harness.shutdown() }
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await harness.run(.test("a")).response != nil)
        #expect(await harness.run(.test("b")).response != nil)
        #expect(await harness.run(.test("c")).response != nil)
        // All three were answered (a wait past max_wait_ms would have been a 429), after waiting.
        let elapsed = clock.now - started
        #expect(elapsed >= .milliseconds(150), "two waits of about 100 ms each, took \(elapsed)")
    }

    @Test func waitModeRejectsPastItsBound() async throws {
        let harness = try Self.harness(
            #"[{"scope": "global", "requests_per_minute": 1, "burst": 1}]"#, extra: #", "mode": "wait", "max_wait_ms": 50"#)
        defer { harness.shutdown() }
        #expect(await harness.run(.test("a")).response != nil)
        let limited = try #require(await harness.run(.test("b")).error)
        #expect(limited.status == 429)
        #expect(limited.message.contains("after waiting up to 50 ms"))
    }

    @Test func streamsAreLimitedToo() async throws {
        let harness = try Self.harness(#"[{"scope": "global", "requests_per_minute": 1, "burst": 1}]"#)
        defer { harness.shutdown() }
        var request = ChatRequest.test("Hi")
        request.parameters["stream"] = .bool(true)
        #expect(await harness.runStream(request).error == nil)
        #expect(await harness.runStream(request).error?.status == 429)
    }

    @Test(arguments: [
        (#"{"limits": []}"#, "'limits' must list at least one limit"),
        (#"{"limits": [{"scope": "team", "requests_per_minute": 1}]}"#, "'limits[0].scope' must be one of"),
        (#"{"limits": [{"scope": "global"}]}"#, "'limits[0]' needs 'requests_per_minute', 'tokens_per_minute' or both"),
        (#"{"limits": [{"scope": "global", "requests_per_minute": 0}]}"#, "'limits[0].requests_per_minute' must be a positive"),
        (#"{"limits": [{"scope": "global", "requests_per_minute": 5, "burst": 0.5}]}"#, "'limits[0].burst' must be at least 1"),
        (#"{"limits": [{"scope": "global", "match": "x", "requests_per_minute": 5}]}"#, "does not apply to the global scope"),
        (
            #"{"limits": [{"scope": "global", "requests_per_minut": 5}]}"#,
            "field 'limits[0]' is invalid: unknown field 'requests_per_minut'"
        ),
        (
            #"{"limits": [{"scope": "global", "requests_per_minute": 5}], "mode": "queue"}"#,
            "'mode' must be \"reject\" or \"wait\""
        ),
        (#"{"limits": [{"scope": "global", "requests_per_minute": 5}], "max_wait_ms": 0}"#, "'max_wait_ms' must be 1 to 60000"),
        (#"{"limit": []}"#, "unknown field 'limit'"),
        (
            #"{"limits": [{"scope": "global", "requests_per_minute": 5}], "store": "redis"}"#,
            "'store' must be \"local\" or \"shared\", got \"redis\""
        ),
        (
            #"{"limits": [{"scope": "global", "requests_per_minute": 5, "burst": 2}], "store": "shared"}"#,
            "'limits[0].burst' does not apply to 'store' \"shared\""
        ),
        (
            #"{"limits": [{"scope": "global", "requests_per_minute": 5}], "store": "shared", "mode": "wait"}"#,
            "'mode' \"wait\" needs 'store' \"local\""
        ),
        (
            #"{"limits": [{"scope": "global", "requests_per_minute": "fast"}]}"#,
            "field 'limits[0].requests_per_minute' must be a number"
        ),
    ])
    func refusesBadConfiguration(configuration: String, expected: String) throws {
        #expect {
            _ = try PluginTestHarness(RateLimiter.self, configuration: configuration)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func storeDefaultsToLocalAndReadsShared() throws {
        let limits = #"{"limits": [{"scope": "client", "requests_per_minute": 60, "tokens_per_minute": 1000}]"#
        #expect(try RateLimitConfiguration(PluginConfiguration(text: limits + "}")).store == .local)
        #expect(try RateLimitConfiguration(PluginConfiguration(text: limits + #", "store": "shared"}"#)).store == .shared)
    }

    @Test func headerDurationsReadLikeOpenAIs() {
        #expect(RateLimitHeaders.duration(20_000_000) == "20ms")
        #expect(RateLimitHeaders.duration(1_000_000_000) == "1s")
        #expect(RateLimitHeaders.duration(1_500_000_000) == "1.5s")
        #expect(RateLimitHeaders.duration(360_000_000_000) == "6m0s")
    }
}
