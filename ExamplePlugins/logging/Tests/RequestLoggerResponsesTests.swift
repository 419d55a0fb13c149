import BifrostCore
import BifrostTestSupport
import RequestLogging
import Testing

@Suite("logging on POST /v1/responses")
struct RequestLoggerResponsesTests {
    @Test func aStreamedResponseIsLoggedWithItsRouteAndUsage() async throws {
        let (path, configuration) = try RequestLoggerTests.logFile()
        try await withPluginGateway([GatewayPlugin(RequestLogger.self, configuration: configuration)]) { client, _, _ in
            let response = try await client.postJSON("/v1/responses", #"{"model":"mock/echo","input":"Hi there","stream":true}"#)
            #expect(response.status == 200)
        }
        let lines = try RequestLoggerTests.lines(path)
        #expect(lines.count == 1)
        #expect(lines.first?["route"] == "/v1/responses")
        #expect(lines.first?["stream"] == true)
        #expect(lines.first?["status"] == 200)
        #expect(lines.first?["total_tokens"] == 9, "the streamed answer's usage (5 in, 4 out) is logged")
    }
}
