import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

/// Rewrites the embeddings it sees: the model `alias` to `embed`, and every input upper-cased.
struct EmbeddingsRewriter: Plugin {
    let descriptor = PluginDescriptor(name: "rewriter", version: "1.0.0", hooks: [.pre, .post])

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        guard context.route == "/v1/embeddings" else { return .continue }
        if request.model == "alias" { request.model = "embed" }
        for index in request.messages.indices { request.messages[index].content = request.messages[index].content.uppercased() }
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard case .response(var response) = outcome else { return }
        response.headers["x-seen-prompt-tokens"] = String(response.usage.promptTokens)
        outcome = .response(response)
    }
}

/// Answers embeddings itself, with a fixed vector per input.
struct EmbeddingsAnswerer: Plugin {
    let descriptor = PluginDescriptor(name: "answerer", version: "1.0.0", hooks: .pre)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        let data: [JSONValue] = request.messages.indices.map { _ in ["object": "embedding", "embedding": [0.5, -0.25]] }
        return .respond(
            ChatResponse(
                provider: "answerer", model: request.model, usage: TokenUsage(promptTokens: 1), extra: ["data": .array(data)]))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

@Suite("embeddings through the plugin chain")
struct EmbeddingsThroughPluginsTests {
    @Test("a PreHook rejects an embeddings request with its own status, headers and message")
    func rejected() async throws {
        let bifrost = try await makeBifrost([ChainEntry(RejectingPlugin())])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON("/v1/embeddings", #"{"model":"mock/embed","input":"hi"}"#)
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
            #expect(try errorFields(response)["message"] == "Slow down, client")
        }
    }

    @Test("a PreHook re-routes the model and changes the inputs; the PostHook sees the usage")
    func rewritten() async throws {
        let bifrost = try await makeBifrost([ChainEntry(EmbeddingsRewriter())])
        try await withServer(bifrost) { client, _ in
            let plain = try await client.postJSON("/v1/embeddings", #"{"model":"mock/embed","input":"HELLO"}"#)
            let rewritten = try await client.postJSON("/v1/embeddings", #"{"model":"mock/alias","input":"hello"}"#)
            #expect(rewritten.status == 200)
            #expect(rewritten.headers["x-seen-prompt-tokens"] == "2")
            #expect(
                try rewritten.json().objectField("data") == plain.json().objectField("data"),
                "the provider embedded the rewritten input with the rewritten model")
        }
    }

    @Test("a PreHook answers an embeddings request itself; the provider is not asked")
    func answered() async throws {
        let bifrost = try await makeBifrost([ChainEntry(EmbeddingsAnswerer())])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON("/v1/embeddings", #"{"model":"mock/nonexistent","input":["a","b"]}"#)
            #expect(response.status == 200)
            let data = try #require(response.json().objectField("data")?.arrayValue)
            #expect(data.count == 2)
            #expect(data.first?.objectField("embedding") == [0.5, -0.25])
        }
    }

    @Test("a chat answer to an embeddings request is a 500 naming what is missing, not a malformed 200")
    func chatAnswerRefused() async throws {
        let bifrost = try await makeBifrost([ChainEntry(CannedChatAnswer())])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON("/v1/embeddings", #"{"model":"mock/embed","input":"a"}"#)
            #expect(response.status == 500)
            #expect(try errorFields(response)["message"]?.stringValue?.contains("without embeddings") == true)
        }
    }
}

/// Answers every request with a chat completion.
struct CannedChatAnswer: Plugin {
    let descriptor = PluginDescriptor(name: "canned", version: "1.0.0", hooks: .pre)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        .respond(ChatResponse(provider: "canned", model: "x", choices: [ChatChoice(content: "hi")]))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}
