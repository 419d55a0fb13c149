import BifrostCore
import BifrostProviders
import BifrostTestSupport
import Testing

/// The response head is checked where its fields are made (HTTPServerResponse, the stream's
/// head), not again on the way out: a model name an upstream or a client chose that holds CR
/// or LF leaves its `x-bifrost-model` stamp out, and the answer still goes through whole.
@Suite("response heads: a model name cannot add header fields")
struct ResponseHeaderSafetyTests {
    static let hostileModel = "gpt\r\nset-cookie: stolen=1"

    @Test("a model name with CR LF, from the upstream or the client, stamps no header", arguments: [false, true])
    func hostileModelNameStampsNoHeader(streamed: Bool) async throws {
        let escaped = #"gpt\r\nset-cookie: stolen=1"#
        let upstream = try await FakeUpstream.start { _ in
            if streamed {
                return .sse(chunks: [
                    #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(escaped)","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}\#n\#n"#,
                    #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"\#(escaped)","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\#n\#n"#,
                    "data: [DONE]\n\n",
                ])
            }
            return .json(
                body:
                    #"{"id":"c1","object":"chat.completion","created":1,"model":"\#(escaped)","choices":[{"index":0,"message":{"role":"assistant","content":"Hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"#
            )
        }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(
            settings: ProviderSettings(name: "up", kind: .openai, baseURL: upstream.baseURL, retry: .init(maxAttempts: 1)),
            httpClient: http)
        let bifrost = try await makeBifrost(providers: [provider])
        let body = #"{"model":"up/\#(escaped)","messages":[{"role":"user","content":"Hi"}],"stream":\#(streamed)}"#
        let request = Array(
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
                .utf8)
        let raw = try await withServer(bifrost) { client, _ in try await client.sendRaw(request) }
        await upstream.stop()
        await http.shutdown()

        let text = String(decoding: raw, as: UTF8.self)
        let headEnd = try #require(text.range(of: "\r\n\r\n"), "a complete head: \(text)")
        let head = text[..<headEnd.lowerBound].lowercased()
        #expect(head.hasPrefix("http/1.1 200 "), "\(head)")
        #expect(!head.contains("set-cookie"), "no field was added: \(head)")
        #expect(!head.contains("x-bifrost-model:"), "the stamp is left out: \(head)")
        #expect(head.contains("x-bifrost-provider: up"))
        // The body keeps the name as it came, escaped as JSON.
        #expect(text[headEnd.upperBound...].contains(#""model":"\#(escaped)""#), "\(text)")
    }
}
