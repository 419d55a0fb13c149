import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import RateLimiting
import Testing

@Suite("rate-limiting, store shared")
struct RateLimiterSharedStoreTests {
    @Test func replicasOnOneStoreShareTheWindow() async throws {
        // Two harnesses on one services instance stand for two replicas on one Redis.
        let services = PluginTestHarness<RateLimiter>.memoryServices()
        let configuration = #"{"limits": [{"scope": "global", "requests_per_minute": 2}], "store": "shared"}"#
        let first = try PluginTestHarness(RateLimiter.self, configuration: configuration, services: services)
        let second = try PluginTestHarness(RateLimiter.self, configuration: configuration, services: services)
        defer {
            first.shutdown()
            second.shutdown()
        }
        let admitted = try #require(await first.run(.test("a")).response)
        #expect(admitted.headers["x-ratelimit-limit-requests"] == "2")
        #expect(admitted.headers["x-ratelimit-remaining-requests"] == "1")
        #expect(await second.run(.test("b")).response != nil)

        let rejected = try #require(await first.run(.test("c")).error)
        #expect(rejected.status == 429)
        #expect(rejected.code == "rate_limit_exceeded")
        #expect(rejected.message.contains("Rate limit reached for the gateway: 2 requests per minute (limits[0])"))
        #expect((1...60).contains(Int(rejected.headers["retry-after"] ?? "") ?? 0), "\(rejected.headers)")
        #expect(rejected.headers["x-ratelimit-remaining-requests"] == "0")
    }

    @Test func tokensChargedAfterOneAnswerRefuseTheNext() async throws {
        let harness = try PluginTestHarness(
            RateLimiter.self,
            configuration: #"{"limits": [{"scope": "provider", "tokens_per_minute": 5}], "store": "shared"}"#)
        defer { harness.shutdown() }
        let first = try #require(await harness.run(.test("one two three four five six")).response)
        #expect(first.usage.totalTokens > 5)
        #expect(first.headers["x-ratelimit-limit-tokens"] == "5")
        #expect(first.headers["x-ratelimit-remaining-tokens"] == "5", "read before this answer's usage was charged")
        let limited = try #require(await harness.run(.test("again")).error)
        #expect(limited.status == 429)
        #expect(limited.type == "tokens")
        #expect(limited.message.contains("provider 'mock': 5 tokens per minute (limits[0])"))
    }
}
