import BifrostCore
import BifrostTestSupport
import ResponseCaching
import Testing

@Suite("caching through the gateway")
struct ResponseCacheGatewayTests {
    @Test func aCachedAnswerIsReplayedToAStreamingClientWithItsHeader() async throws {
        try await withPluginGateway([GatewayPlugin(ResponseCache.self)], mockLatencyMilliseconds: 20) { client, _, _ in
            let plain = #"{"model":"mock/echo","user":"alice","messages":[{"role":"user","content":"cache me"}]}"#
            let first = try await client.postJSON("/v1/chat/completions", plain)
            #expect(first.status == 200)
            #expect(first.headers["x-bifrost-cache"] == "miss")

            let streamed = #"{"model":"mock/echo","stream":true,"user":"bob","messages":[{"role":"user","content":"cache me"}]}"#
            let replay = try await client.postJSON("/v1/chat/completions", streamed)
            #expect(replay.status == 200)
            #expect(replay.headers["content-type"] == "text/event-stream")
            #expect(replay.headers["x-bifrost-cache"] == "hit", "\(replay.headers)")
            let text = String(decoding: replay.body, as: UTF8.self)
            #expect(text.contains("chat.completion.chunk"))
            #expect(text.hasSuffix("data: [DONE]\n\n"))

            let bypass = try await client.postJSON("/v1/chat/completions", plain, headers: ["x-bifrost-cache": "bypass"])
            #expect(bypass.headers["x-bifrost-cache"] == "bypass")

            let newStream = #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"new"}]}"#
            #expect(try await client.postJSON("/v1/chat/completions", newStream).headers["x-bifrost-cache"] == "miss")
            let cachedStream = try await client.postJSON(
                "/v1/chat/completions", #"{"model":"mock/echo","messages":[{"role":"user","content":"new"}]}"#)
            #expect(cachedStream.headers["x-bifrost-cache"] == "hit", "the streamed answer was cached once assembled")
        }
    }
}
