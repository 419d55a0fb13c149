import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import ResponseCaching
import Testing

@Suite("caching, store shared")
struct ResponseCacheSharedStoreTests {
    @Test func anAnswerOneReplicaStoredIsAHitOnAnother() async throws {
        // Two harnesses on one services instance stand for two replicas on one Redis.
        let services = PluginTestHarness<ResponseCache>.memoryServices()
        let first = try PluginTestHarness(ResponseCache.self, configuration: #"{"store": "shared"}"#, services: services)
        let second = try PluginTestHarness(ResponseCache.self, configuration: #"{"store": "shared"}"#, services: services)
        defer {
            first.shutdown()
            second.shutdown()
        }
        let provider = CountingProvider()
        let miss = try #require(await first.run(ResponseCacheTests.request("shared"), provider: provider).response)
        #expect(miss.headers["x-bifrost-cache"] == "miss")
        let hit = try #require(await second.run(ResponseCacheTests.request("shared"), provider: provider).response)
        #expect(hit.headers["x-bifrost-cache"] == "hit")
        #expect(hit.headers["age"] != nil)
        #expect(hit.choices.first?.content == miss.choices.first?.content)
        #expect(provider.calls == 1, "the second replica answered from the shared store")
    }
}
