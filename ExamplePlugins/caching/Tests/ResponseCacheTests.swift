import BifrostCore
import BifrostPluginHarness
import BifrostPluginSDK
import BifrostTestSupport
import ResponseCaching
import Testing

@Suite("caching")
struct ResponseCacheTests {
    static func request(_ text: String = "Hi", parameters: JSONObject = [:], headers: [(String, String)] = [])
        -> ChatRequest
    {
        var request = ChatRequest.test(text, headers: headers)
        request.parameters = parameters
        return request
    }

    @Test func secondIdenticalRequestIsAHitWithoutTheProvider() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        let first = try #require(await harness.run(Self.request(), provider: provider).response)
        #expect(first.headers["x-bifrost-cache"] == "miss")
        let second = try #require(await harness.run(Self.request(), provider: provider).response)
        #expect(second.headers["x-bifrost-cache"] == "hit")
        #expect(second.headers["age"] == "0")
        #expect(second.choices.first?.content == first.choices.first?.content)
        #expect(second.usage == first.usage)
        #expect(second.model == "echo")
        #expect(provider.calls == 1)
        #expect(harness.metrics.render().contains("bifrost_cache_entries 1\n"))
    }

    @Test func keyIgnoresUserAndStreamButNotOutputParameters() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        _ = await harness.run(Self.request(parameters: ["temperature": 0.2, "user": "alice"]), provider: provider)
        let sameButUser = await harness.run(Self.request(parameters: ["user": "bob", "temperature": 0.2]), provider: provider)
        #expect(sameButUser.response?.headers["x-bifrost-cache"] == "hit")
        let otherTemperature = await harness.run(Self.request(parameters: ["temperature": 0.3]), provider: provider)
        #expect(otherTemperature.response?.headers["x-bifrost-cache"] == "miss")
        let otherMessage = await harness.run(Self.request("Hello", parameters: ["temperature": 0.2]), provider: provider)
        #expect(otherMessage.response?.headers["x-bifrost-cache"] == "miss")
        #expect(provider.calls == 3)
    }

    @Test func bypassHeaderSkipsTheCache() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        _ = await harness.run(Self.request(), provider: provider)
        let bypassed = await harness.run(Self.request(headers: [("x-bifrost-cache", "bypass")]), provider: provider)
        #expect(bypassed.response?.headers["x-bifrost-cache"] == "bypass")
        #expect(provider.calls == 2)
    }

    @Test func errorsAreNeverCached() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let failing = ChatRequest.test("Hi", model: "mock/fail")
        let first = try #require(await harness.run(failing).error)
        #expect(first.headers["x-bifrost-cache"] == "miss")
        let second = try #require(await harness.run(failing).error)
        #expect(second.status == 503, "the error came from the provider again, not from a cache")
    }

    @Test func entriesExpireAfterTheirTTL() async throws {
        let harness = try PluginTestHarness(ResponseCache.self, configuration: #"{"ttl_seconds": 0.05}"#)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        _ = await harness.run(Self.request(), provider: provider)
        #expect(await harness.run(Self.request(), provider: provider).response?.headers["x-bifrost-cache"] == "hit")
        try await Task.sleep(for: .milliseconds(80))
        #expect(await harness.run(Self.request(), provider: provider).response?.headers["x-bifrost-cache"] == "miss")
        #expect(provider.calls == 2)
    }

    @Test func leastRecentlyUsedGoesFirstWhenFull() async throws {
        let harness = try PluginTestHarness(ResponseCache.self, configuration: #"{"max_entries": 2}"#)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        for text in ["a", "b"] { _ = await harness.run(Self.request(text), provider: provider) }
        _ = await harness.run(Self.request("a"), provider: provider)  // a is now the most recent
        _ = await harness.run(Self.request("c"), provider: provider)  // evicts b
        #expect(provider.calls == 3)
        #expect(await harness.run(Self.request("a"), provider: provider).response?.headers["x-bifrost-cache"] == "hit")
        #expect(await harness.run(Self.request("b"), provider: provider).response?.headers["x-bifrost-cache"] == "miss")
        #expect(provider.calls == 4)
    }

    @Test func byteBoundKeepsBigAnswersOut() async throws {
        let harness = try PluginTestHarness(ResponseCache.self, configuration: #"{"max_bytes": 4096, "max_entry_bytes": 300}"#)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        let long = String(repeating: "x", count: 400)
        _ = await harness.run(Self.request(long), provider: provider)
        #expect(await harness.run(Self.request(long), provider: provider).response?.headers["x-bifrost-cache"] == "miss")
        #expect(provider.calls == 2)
    }

    @Test func streamedAnswerIsCachedAndReplayedAsAStream() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let provider = CountingProvider()
        let streamed = Self.request("stream me", parameters: ["stream": true])
        let first = await harness.runStream(streamed, provider: provider)
        #expect(first.error == nil)
        let replay = await harness.runStream(streamed, provider: provider)
        #expect(replay.error == nil)
        #expect(replay.text == first.text)
        #expect(provider.calls == 1, "the second stream was replayed from the cache")
        let plain = await harness.run(Self.request("stream me"), provider: provider)
        #expect(plain.response?.headers["x-bifrost-cache"] == "hit", "a plain request hits the streamed answer")
        #expect(plain.response?.choices.first?.content == first.text)
    }

    @Test(arguments: [
        (#"{"ttl_seconds": 0}"#, "'ttl_seconds' must be more than 0"),
        (#"{"max_entries": 0}"#, "'max_entries' must be at least 1"),
        (#"{"max_bytes": 10}"#, "'max_bytes' must be at least 1024"),
        (#"{"max_entry_bytes": 0}"#, "'max_entry_bytes' must be 1 to max_bytes"),
        (#"{"ttl": 5}"#, "unknown field 'ttl'"),
        (#"{"ignore_params": "seed"}"#, "field 'ignore_params' must be an array"),
        (#"{"store": "redis"}"#, "'store' must be \"local\" or \"shared\", got \"redis\""),
    ])
    func refusesBadConfiguration(configuration: String, expected: String) {
        #expect {
            _ = try PluginTestHarness(ResponseCache.self, configuration: configuration)
        } throws: { error in
            "\(error)".contains(expected)
        }
    }

    @Test func storeDefaultsToLocalAndReadsShared() throws {
        #expect(try CacheConfiguration(PluginConfiguration(text: "{}")).store == .local)
        #expect(try CacheConfiguration(PluginConfiguration(text: #"{"store": "shared"}"#)).store == .shared)
    }
}

/// The mock provider, counting the calls that reach it.
final class CountingProvider: Provider, Sendable {
    private let mock = MockProvider()
    private let count = LockedValue(0)
    var calls: Int { count.withLock { $0 } }
    var name: String { mock.name }
    var models: [String] { mock.models }

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError)
        -> ChatResponse
    {
        count.withLock { $0 += 1 }
        return try await mock.chatCompletion(request, credentials: credentials, context: context)
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        count.withLock { $0 += 1 }
        return try await mock.chatCompletionStream(request, credentials: credentials, context: context)
    }
}

@Suite("the caching plugin's case file, through the engine `bifrost plugins test` uses")
struct ResponseCacheCaseFileTests {
    @Test func theCaseFilePasses() async throws {
        let harness = try PluginTestHarness(ResponseCache.self)
        defer { harness.shutdown() }
        let file = CPluginCompiler.repositoryRoot + "/ExamplePlugins/caching/cases.json"
        let results = try await harness.run(caseFile: file)
        #expect(results.count == 3)
        for result in results { #expect(result.passed, "\(result.name): \(result.failures)") }
    }
}
