import BifrostCore
import BifrostGateway
import BifrostHTTP
import BifrostTestSupport
import Foundation
import Testing

/// The governance example plugin (`ExamplePlugins/governance/governance.c`): virtual keys for
/// teams, with allowed models, a request rate and a token budget in the gateway's state.
@Suite("Governance: virtual keys, models, rates and budgets", .serialized, .timeLimit(.minutes(3)))
struct GovernanceTests {
    static let secret = "governance-test-secret"
    static let source = CPluginCompiler.repositoryRoot + "/ExamplePlugins/governance/governance.c"

    static func chat(_ model: String = "mock/echo") -> String {
        #"{"model":"\#(model)","messages":[{"role":"user","content":"hello there"}]}"#
    }

    static func id(_ key: String) -> String { ClientIDSecret(secret).clientID(forKey: key) }

    static func plugin(budget: Int, rate: Int) -> String {
        """
        {"teams": {"search": {"models": ["mock/echo"], "requests_per_minute": \(rate), "token_budget": \(budget),
                              "budget_period_s": 3600},
                   "other": {"models": ["mock/*"]}},
         "keys": {"\(id("sk-search-1"))": "search", "\(id("sk-other"))": "other"}}
        """
    }

    static func bearer(_ key: String) -> [String: String] { ["authorization": "Bearer \(key)"] }

    @Test func keysModelsAndRatesAnswer401And403And429NamingTheRule() async throws {
        let file = try await CPluginCompiler.compile(file: Self.source, as: "governance-rules.so")
        let json = """
            {"plugins": [{"file": "\(file)", "config": \(Self.plugin(budget: 0, rate: 2))}],
             "server": {"client_id_secret": "\(Self.secret)"}}
            """
        let configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "g.json", environment: [:])
        try await withGateway(configuration) { client, _ in
            let anonymous = try await client.postJSON("/v1/chat/completions", Self.chat())
            #expect(anonymous.status == 401)
            let unknown = try await client.postJSON("/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-nobody"))
            #expect(unknown.status == 401)
            #expect(unknown.text.contains("belongs to no team") && !unknown.text.contains("sk-nobody"))

            let forbidden = try await client.postJSON(
                "/v1/chat/completions", Self.chat("mock/fail"), headers: Self.bearer("sk-search-1"))
            #expect(forbidden.status == 403)
            #expect(
                try forbidden.json().objectField("error")?.objectField("message")
                    == .string("governance: team 'search' may not use the model 'mock/fail' (rule: teams.search.models)"))
            let wildcard = try await client.postJSON(
                "/v1/chat/completions", Self.chat("mock/fail"), headers: Self.bearer("sk-other"))
            #expect(wildcard.status == 503, "mock/* admits every mock model: this one reaches the mock, which fails")

            var statuses: [Int] = []
            for _ in 0..<3 {
                let response = try await client.postJSON("/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-search-1"))
                statuses.append(response.status)
                #expect(response.headers["x-bifrost-team"] == "search")
                if response.status == 429 {
                    #expect(response.text.contains("over its 2 requests per minute (rule: teams.search.requests_per_minute)"))
                }
            }
            #expect(statuses == [200, 200, 429], "the 403 did not count: it was refused before the rate")
        }
    }

    @Test func aStreamItsClientLeavesAfterTwoChunksIsChargedToTheBudget() async throws {
        let file = try await CPluginCompiler.compile(file: Self.source, as: "governance-streams.so")
        let json = """
            {"plugins": [{"file": "\(file)", "config": \(Self.plugin(budget: 100_000, rate: 0))}],
             "server": {"client_id_secret": "\(Self.secret)"}}
            """
        var configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "g.json", environment: [:])
        configuration.mock = .init(latencyMilliseconds: 20)
        let prompt = String(repeating: "word ", count: 400)
        let body = #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        try await withGateway(configuration) { client, _ in
            let before = try await client.postJSON("/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-search-1"))
            let left = try #require(Int(before.headers["x-bifrost-budget-remaining"] ?? ""))
            try await client.leaveStream(
                "/v1/chat/completions", body: body, headers: Self.bearer("sk-search-1"), afterEvents: 2)
            // The PostHook charges once the gateway notices the client is gone; each look adds its
            // own few tokens, far fewer than the prompt's 500.
            var charged = 0
            for _ in 0..<10 where charged <= (prompt.utf8.count + 3) / 4 {
                try await Task.sleep(for: .milliseconds(300))
                let next = try await client.postJSON("/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-search-1"))
                charged = left - (Int(next.headers["x-bifrost-budget-remaining"] ?? "") ?? left)
            }
            #expect(charged > (prompt.utf8.count + 3) / 4, "the prompt and the part streamed are charged")
        }
    }

    @Test func aBudgetSharedByTwoReplicasIsSpentByTrafficSplitBetweenThem() async throws {
        let redis = try await RedisServer.start()
        defer { redis.stop() }
        var replicas: [(ServedGateway, HTTPTestClient)] = []
        for name in ["one", "two"] {
            let directory = try CPluginCompiler.temporaryDirectory("governance-\(name)")
            let file = try await CPluginCompiler.compile(file: Self.source, as: "governance.so", in: directory)
            let json = """
                {"plugins": [{"file": "\(file)", "state_policy": "fail_closed", "config": \(Self.plugin(budget: 60, rate: 0))}],
                 "state": {"redis": {"url": "redis://127.0.0.1:\(redis.port)"}},
                 "server": {"client_id_secret": "\(Self.secret)"}}
                """
            try Data(json.utf8).write(to: URL(fileURLWithPath: directory + "/bifrost.json"))
            replicas.append(try await ServedGateway.started(["serve", "--config", directory + "/bifrost.json"]))
        }
        var remaining: [Int] = []
        var spentAt: Int?
        for index in 0..<40 where spentAt == nil {
            let response = try await replicas[index % 2].1.postJSON(
                "/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-search-1"))
            if response.status == 429 {
                spentAt = index
                #expect(response.text.contains("has spent its budget of 60 tokens per 3600 s (rule: teams.search.token_budget)"))
                #expect(response.headers["x-bifrost-budget-remaining"] == "0")
            } else {
                #expect(response.status == 200)
                remaining.append(Int(response.headers["x-bifrost-budget-remaining"] ?? "") ?? -1)
            }
        }
        let spent = try #require(spentAt, "the budget ran out")
        #expect(spent >= 2, "both replicas served before it ran out")
        #expect(remaining == remaining.sorted(by: >) && Set(remaining).count == remaining.count, "\(remaining)")
        let other = try await replicas[(spent + 1) % 2].1.postJSON(
            "/v1/chat/completions", Self.chat(), headers: Self.bearer("sk-search-1"))
        #expect(other.status == 429, "the other replica sees the same spent budget")
        for (gateway, _) in replicas {
            kill(gateway.processIdentifier, SIGTERM)
            _ = try await gateway.exit(within: .seconds(10))
            #expect(!gateway.printed.contains("sk-search-1"))
        }
    }
}
