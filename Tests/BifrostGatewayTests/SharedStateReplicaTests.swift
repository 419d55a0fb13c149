import BifrostCore
import BifrostTestSupport
import Foundation
import Testing

/// Two `bifrost serve` processes sharing their plugins' state through one real Redis server
/// (PluginSDK/DESIGN.md §7), with the C plugin `Tests/PluginZoo/state_user.c`.
@Suite("Shared state across gateway replicas", .serialized, .timeLimit(.minutes(3)))
struct SharedStateReplicaTests {
    static let chat = #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#

    /// Starts a replica whose `state_user` plugin runs with `plugin` settings on `redis`.
    static func replica(_ plugin: String, redis: RedisServer, policy: String = "fail_open", name: String) async throws -> (
        ServedGateway, HTTPTestClient
    ) {
        let directory = try CPluginCompiler.temporaryDirectory("replica-\(name)")
        let file = try await CPluginCompiler.compile(zoo: "state_user.c", as: "state_user.so", in: directory)
        let configuration = """
            {"plugins": [{"file": "\(file)", "state_policy": "\(policy)", "config": \(plugin)}],
             "state": {"redis": {"url": "redis://127.0.0.1:\(redis.port)", "command_timeout_ms": 250, "connect_timeout_ms": 250}},
             "server": {"client_id_secret": "replicas-share-this-secret"}}
            """
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: directory + "/bifrost.json"))
        return try await ServedGateway.started(["serve", "--config", directory + "/bifrost.json"])
    }

    /// Starts a replica running the example plugins `files` (in `productsDirectory`) with
    /// their configurations, its state on `redis`.
    static func replica(examples: [(file: String, config: String)], redis: RedisServer, name: String) async throws -> (
        ServedGateway, HTTPTestClient
    ) {
        let directory = try CPluginCompiler.temporaryDirectory("replica-\(name)")
        let plugins = examples.map { #"{"file": "\#(productsDirectory)/\#($0.file)", "config": \#($0.config)}"# }
        let configuration = """
            {"plugins": [\(plugins.joined(separator: ", "))],
             "state": {"redis": {"url": "redis://127.0.0.1:\(redis.port)"}}}
            """
        try Data(configuration.utf8).write(to: URL(fileURLWithPath: directory + "/bifrost.json"))
        return try await ServedGateway.started(["serve", "--config", directory + "/bifrost.json"])
    }

    @Test(
        .disabled(
            if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread",
            "a sanitized Swift plugin needs the sanitizer's runtime, which a served gateway's process does not export"))
    func theExamplePluginsSharedStoreHoldsAcrossTwoReplicas() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let examples = [
            (
                file: "libRateLimitingPlugin.so",
                config: #"{"store": "shared", "limits": [{"scope": "global", "requests_per_minute": 8}]}"#
            ),
            (file: "libCachingPlugin.so", config: #"{"store": "shared", "ttl_seconds": 60}"#),
        ]
        let (first, firstClient) = try await Self.replica(examples: examples, redis: redis, name: "rl-a")
        let (second, secondClient) = try await Self.replica(examples: examples, redis: redis, name: "rl-b")
        let cached = #"{"model":"mock/echo","messages":[{"role":"user","content":"cache me"}]}"#
        let stored = try await firstClient.postJSON("/v1/chat/completions", cached)
        #expect(stored.status == 200)
        let hit = try await secondClient.postJSON("/v1/chat/completions", cached)
        #expect(hit.headers["x-bifrost-cache"] == "hit", "cached through one replica, a hit on the other: \(hit.headers)")
        var admitted = 2
        for index in 0..<20 {
            let client = index.isMultiple(of: 2) ? firstClient : secondClient
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"request \#(index)"}]}"#
            let response = try await client.postJSON("/v1/chat/completions", body)
            if response.status == 200 { admitted += 1 } else { #expect(response.status == 429) }
        }
        #expect(admitted == 8, "a shared limit of 8 admits exactly 8 across both replicas")
        try await Self.stop(first)
        try await Self.stop(second)
    }

    static func stop(_ gateway: ServedGateway) async throws {
        kill(gateway.processIdentifier, SIGTERM)
        _ = try await gateway.exit(within: .seconds(10))
    }

    @Test func aSharedLimitAdmitsExactlyItsLimitAcrossTwoReplicasAndACachedAnswerIsAHitOnTheOther() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let (first, firstClient) = try await Self.replica(#"{"limit": 10}"#, redis: redis, name: "a")
        let (second, secondClient) = try await Self.replica(#"{"limit": 10}"#, redis: redis, name: "b")
        var admitted = 0
        var counts: Set<String> = []
        for index in 0..<30 {
            let client = index.isMultiple(of: 2) ? firstClient : secondClient
            let response = try await client.postJSON("/v1/chat/completions", Self.chat)
            if response.status == 200 { admitted += 1 }
            counts.insert(response.headers["x-state-count"] ?? "none")
        }
        #expect(admitted == 10, "one counter on the server, not one per replica")
        #expect(counts.count == 30, "every request saw its own count: \(counts.sorted())")

        let (third, thirdClient) = try await Self.replica("{}", redis: redis, name: "c")
        let (fourth, fourthClient) = try await Self.replica("{}", redis: redis, name: "d")
        let stored = try await thirdClient.postJSON("/v1/chat/completions", Self.chat, headers: ["x-cache-key": "shared"])
        #expect(stored.status == 200 && stored.headers["x-state-cache"] == nil)
        let hit = try await fourthClient.postJSON("/v1/chat/completions", Self.chat, headers: ["x-cache-key": "shared"])
        #expect(hit.headers["x-state-cache"] == "hit", "the answer cached through one replica is a hit on the other")
        for gateway in [first, second, third, fourth] { try await Self.stop(gateway) }
        #expect(!first.printed.contains("replicas-share-this-secret"))
    }

    @Test func whenRedisGoesAwayEachPolicyHoldsAndBothRecoverWithoutARestart() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        let (open, openClient) = try await Self.replica(#"{"limit": 1000}"#, redis: redis, policy: "fail_open", name: "open")
        let (closed, closedClient) = try await Self.replica(
            #"{"limit": 1000}"#, redis: redis, policy: "fail_closed", name: "closed")
        #expect(try await openClient.postJSON("/v1/chat/completions", Self.chat).status == 200)
        #expect(try await closedClient.postJSON("/v1/chat/completions", Self.chat).status == 200)

        redis.kill()
        for _ in 0..<5 {
            let started = ContinuousClock.now
            let served = try await openClient.postJSON("/v1/chat/completions", Self.chat)
            #expect(served.status == 200, "fail-open serves from the replica's memory")
            let refused = try await closedClient.postJSON("/v1/chat/completions", Self.chat)
            #expect(refused.status == 503, "fail-closed refuses")
            #expect(try refused.json().objectField("error")?.objectField("code") == .string("state_unavailable"))
            #expect(ContinuousClock.now - started < .seconds(2), "no request waits past the command timeout")
        }
        let listing = try await openClient.get("/api/plugins").json()
        let store = listing.objectField("plugins")?.arrayValue?.first?.objectField("state_store")
        #expect(store?.objectField("backend_up") == .bool(false))
        #expect((store?.objectField("fallbacks")?.intValue ?? 0) >= 5)
        #expect(try await openClient.get("/metrics").text.contains(#"bifrost_state_backend_up{backend="redis"} 0"#))

        try await redis.restart()
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(15)
        while !recovered, ContinuousClock.now < deadline {
            recovered = try await closedClient.postJSON("/v1/chat/completions", Self.chat).status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(recovered, "the fail-closed replica serves again once Redis is back")
        let after = try await openClient.postJSON("/v1/chat/completions", Self.chat)
        #expect(after.status == 200)
        #expect(try await openClient.get("/metrics").text.contains(#"bifrost_state_backend_up{backend="redis"} 1"#))
        #expect(open.printed.contains("fail-open, using this gateway's memory"))
        try await Self.stop(open)
        try await Self.stop(closed)
    }
}
