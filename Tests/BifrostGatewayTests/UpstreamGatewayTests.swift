import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Testing

/// A gateway whose `openai` provider points at a second gateway (which serves the mock):
/// real OpenAI wire format both ways, real sockets, no fake.
@Suite("A gateway in front of an OpenAI-compatible upstream")
struct UpstreamGatewayTests {
    func withChainedGateways(
        extraProviderFields: String = "", _ body: (HTTPTestClient) async throws -> Void
    ) async throws {
        try await withGateway(GatewayConfiguration()) { _, upstream in
            let json = """
                {"providers": {"upstream": {"kind": "openai", "base_url": "http://127.0.0.1:\(upstream.port)/v1",
                  "retry": {"max_attempts": 2, "initial_backoff_ms": 10, "max_backoff_ms": 50}\(extraProviderFields)}}}
                """
            let configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "front.json", environment: [:])
            try await withGateway(configuration) { client, _ in try await body(client) }
        }
    }

    @Test func aChatRequestIsForwardedAndAnswered() async throws {
        try await withChainedGateways { client in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON("over the wire", model: "upstream/mock/echo"))
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-provider"] == "upstream")
            #expect(response.text.contains(#""content":"Echo: over the wire""#))
            #expect(response.text.contains(#""total_tokens":"#))
        }
    }

    @Test func aStreamIsForwardedChunkByChunkWithUsage() async throws {
        try await withChainedGateways { client in
            let body =
                #"{"model":"upstream/mock/echo","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a b c"}]}"#
            let response = try await client.postJSON("/v1/chat/completions", body)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/event-stream")
            #expect(response.text.contains(#""content":" c""#))
            #expect(response.text.contains(#""usage":{"prompt_tokens""#))
            #expect(response.text.hasSuffix("data: [DONE]\n\n"))
        }
    }

    @Test func anUpstreamFailureIsRetriedThenFallsBack() async throws {
        try await withChainedGateways(extraProviderFields: #", "fallbacks": {"mock/fail": ["mock/echo"]}"#) { client in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON("rescued", model: "upstream/mock/fail"))
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-attempts"] == "3")
            #expect(response.headers["x-bifrost-fallback"] == "mock/echo")
            #expect(response.text.contains("Echo: rescued"))
        }
    }

    @Test func embeddingsAreForwarded() async throws {
        try await withChainedGateways { client in
            let response = try await client.postJSON("/v1/embeddings", #"{"model":"upstream/mock/embed","input":["x","y"]}"#)
            #expect(response.status == 200)
            #expect(response.text.contains(#""index":1"#))
        }
    }
}
