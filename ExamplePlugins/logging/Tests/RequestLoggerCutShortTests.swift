import BifrostCore
import BifrostTestSupport
import RequestLogging
import Testing

@Suite("logging a stream its client left")
struct RequestLoggerCutShortTests {
    @Test func aStreamLeftAfterTwoChunksIsLoggedAs499WithTheTokensStreamed() async throws {
        let (path, configuration) = try RequestLoggerTests.logFile()
        // 300 words a word at a time, 20 ms apart: the client leaves long before the end.
        let prompt = String(repeating: "word ", count: 300)
        let body = #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        try await withPluginGateway(
            [GatewayPlugin(RequestLogger.self, configuration: configuration)], mockLatencyMilliseconds: 20
        ) {
            client, _, _ in
            try await client.leaveStream("/v1/chat/completions", body: body, afterEvents: 2)
            try await Polling.eventually { ((try? RequestLoggerTests.lines(path)) ?? []).count == 1 }
        }
        let lines = try RequestLoggerTests.lines(path)
        try #require(lines.count == 1)
        #expect(lines[0]["status"] == 499)
        #expect(lines[0]["cut_short"] == true)
        #expect(lines[0]["usage_estimated"] == true)
        #expect((lines[0]["completion_tokens"]?.intValue ?? 0) > 0, "the part streamed is counted")
    }
}
