import BifrostCore
import BifrostTestSupport
import ResponseCaching
import Testing

@Suite("caching on POST /v1/responses")
struct ResponseCacheResponsesTests {
    @Test func storeFalseKeepsNothingAndAStoredAnswerIsServedAsAResponse() async throws {
        try await withPluginGateway([GatewayPlugin(ResponseCache.self)]) { client, _, _ in
            let unkept = #"{"model":"mock/echo","input":"keep nothing","store":false}"#
            #expect(try await client.postJSON("/v1/responses", unkept).headers["x-bifrost-cache"] == "bypass")
            #expect(try await client.postJSON("/v1/responses", unkept).headers["x-bifrost-cache"] == "bypass")
            let kept = #"{"model":"mock/echo","input":"keep nothing"}"#
            #expect(
                try await client.postJSON("/v1/responses", kept).headers["x-bifrost-cache"] == "miss",
                "the store: false exchanges left nothing behind")

            let hit = try await client.postJSON("/v1/responses", kept)
            #expect(hit.headers["x-bifrost-cache"] == "hit")
            let body = try hit.json()
            #expect(body.objectField("object") == "response")
            #expect(
                body.objectField("output")?.arrayValue?.first?.objectField("content")?.arrayValue?.first?.objectField("text")
                    == "Echo: keep nothing")
        }
    }
}
