import BifrostCore
import BifrostProviders
import BifrostTestSupport
import BifrostWire
import Testing

@Suite(.timeLimit(.minutes(1)))
struct AnthropicProviderTests {
    static let message = #"""
        {"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
         "content":[{"type":"text","text":"Bonjour"}],"stop_reason":"end_turn","stop_sequence":null,
         "usage":{"input_tokens":11,"output_tokens":4}}
        """#

    static func request() -> ChatRequest {
        ChatRequest(
            provider: "anthropic", model: "claude-3-5-haiku-latest",
            messages: [.init(role: "system", content: "Answer in French."), .init(role: "user", content: "Hello")],
            parameters: ["max_tokens": 50, "stop": ["END"]])
    }

    @Test func chatSendsAnthropicRequestAndParsesAnswer() async throws {
        try await withUpstream(reply: .json(body: Self.message)) { server, http in
            let provider = AnthropicProvider(settings: testSettings(.anthropic, baseURL: server.baseURL), httpClient: http)
            let response = try await provider.chatCompletion(
                Self.request(), credentials: testCredentials, context: RequestContext())
            #expect(response.choices == [ChatChoice(content: "Bonjour", finishReason: "stop")])
            #expect(response.usage == TokenUsage(promptTokens: 11, completionTokens: 4))
            #expect(response.provider == "anthropic")
            #expect(response.created > 0)

            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/messages")
            #expect(sent.headers["x-api-key"] == testSecret)
            #expect(sent.headers["anthropic-version"] == "2023-06-01")
            #expect(sent.headers["authorization"] == nil)
            #expect(
                try json(sent.body)
                    == [
                        "model": "claude-3-5-haiku-latest", "system": "Answer in French.", "max_tokens": 50,
                        "stop_sequences": ["END"], "stream": false, "messages": [["role": "user", "content": "Hello"]],
                    ])
        }
    }

    @Test func versionHeaderCanBeOverridden() async throws {
        try await withUpstream(reply: .json(body: Self.message)) { server, http in
            let provider = AnthropicProvider(
                settings: testSettings(.anthropic, baseURL: server.baseURL, headers: ["anthropic-version": "2024-01-01"]),
                httpClient: http)
            _ = try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
            #expect(server.requests.first?.headers["anthropic-version"] == "2024-01-01")
        }
    }

    @Test func streamingDecodesEvents() async throws {
        let chunks = AnthropicWireTests.anthropicEvents.map { "event: \($0.0)\ndata: \($0.1)\n\n" }
        try await withUpstream(reply: .sse(chunks: chunks, delay: .milliseconds(20))) { server, http in
            let provider = AnthropicProvider(settings: testSettings(.anthropic, baseURL: server.baseURL), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(), credentials: testCredentials, context: RequestContext())
            var assembly = StreamAssembly()
            for try await chunk in stream { assembly.add(chunk) }
            #expect(assembly.response.choices == [ChatChoice(content: "Hello!", finishReason: "stop")])
            #expect(assembly.response.usage == TokenUsage(promptTokens: 25, completionTokens: 15))
            #expect(try json(try #require(server.requests.first).body).objectField("stream") == true)
        }
    }

    @Test func upstreamErrorJSONIsMapped() async throws {
        let reply = FakeReply.json(
            status: 529, body: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
            headers: [("retry-after", "3")])
        try await withUpstream(reply: reply) { server, http in
            let provider = AnthropicProvider(settings: testSettings(.anthropic, baseURL: server.baseURL), httpClient: http)
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            #expect(error.status == 529)
            #expect(error.type == "overloaded_error")
            #expect(error.message.contains("Overloaded"))
            #expect(error.headers["retry-after"] == "3")
            #expect(error.source == .provider("anthropic"))
            #expect(String(decoding: error.anthropicJSON(), as: UTF8.self).contains(#""type":"overloaded_error""#))
        }
    }

    @Test func midStreamErrorEventEndsTheStream() async throws {
        let chunks = [
            "event: message_start\ndata: "
                + #"{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":0}}}"#
                + "\n\n",
            "event: error\ndata: " + #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"# + "\n\n",
        ]
        try await withUpstream(reply: .sse(chunks: chunks)) { server, http in
            let provider = AnthropicProvider(settings: testSettings(.anthropic, baseURL: server.baseURL), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(), credentials: testCredentials, context: RequestContext())
            var count = 0
            let error = await bifrostError { () async throws(BifrostError) in
                for try await _ in stream { count += 1 }
            }
            #expect(count == 1)
            #expect(error?.status == 529)
            #expect(error?.source == .provider("anthropic"))
        }
    }

    @Test func noEmbeddings() async throws {
        let http = UpstreamHTTPClient()
        let provider = AnthropicProvider(settings: testSettings(.anthropic, baseURL: "http://127.0.0.1:9/v1"), httpClient: http)
        let error = await bifrostError { () async throws(BifrostError) in
            try await provider.embeddings(
                EmbeddingRequest(provider: "anthropic", model: "x", inputs: ["a"]), credentials: testCredentials,
                context: RequestContext())
        }
        await http.shutdown()
        #expect(error?.status == 400)
        #expect(error?.code == "unsupported_operation")
    }

    @Test func settingsMakeTheRightProvider() async throws {
        let http = UpstreamHTTPClient()
        #expect(testSettings(.anthropic, baseURL: "http://x").makeProvider(httpClient: http) is AnthropicProvider)
        #expect(testSettings(.openai, baseURL: "http://x").makeProvider(httpClient: http) is OpenAIProvider)
        await http.shutdown()
    }
}
