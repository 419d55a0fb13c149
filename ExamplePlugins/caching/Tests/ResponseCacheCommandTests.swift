import BifrostCore
import BifrostTestSupport
import ResponseCaching
import Testing

@Suite("caching's commands (ABI 1.5) through the gateway")
struct ResponseCacheCommandTests {
    @Test func statsDescribesTheStoreAndFlushEmptiesIt() async throws {
        try await withPluginGateway([GatewayPlugin(ResponseCache.self)]) { client, _, _ in
            let body = #"{"model":"mock/echo","messages":[{"role":"user","content":"cache me"}]}"#
            #expect(try await client.postJSON("/v1/chat/completions", body).headers["x-bifrost-cache"] == "miss")
            #expect(try await client.postJSON("/v1/chat/completions", body).headers["x-bifrost-cache"] == "hit")

            let stats = try await client.postJSON("/api/plugins/caching/commands/stats", "{}")
            #expect(stats.status == 200, "\(stats.text)")
            let text = try #require(try stats.json().objectField("result")?.stringValue)
            let parsed = try JSONValue.parse(text)
            #expect(parsed.objectField("entries")?.intValue == 1)
            #expect(parsed.objectField("max_entries")?.intValue == 10000)

            let flushed = try await client.postJSON("/api/plugins/caching/commands/flush", "")
            #expect(try flushed.json().objectField("result")?.intValue == 1)
            #expect(try await client.postJSON("/v1/chat/completions", body).headers["x-bifrost-cache"] == "miss")
            let again = try await client.postJSON("/api/plugins/caching/commands/flush", "{}")
            #expect(try again.json().objectField("result")?.intValue == 1, "the miss stored its answer again")
        }
    }

    @Test func theCommandsAreDeclared() {
        #expect(ResponseCache.commands.map(\.name) == ["flush", "stats"])
        #expect(ResponseCache.commands.allSatisfy { $0.arguments.isEmpty })
    }
}
