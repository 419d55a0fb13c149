import BifrostCore
import BifrostHTTP
import BifrostProviders
import BifrostTestSupport
import Testing

/// Records what the chain shows a plugin: each chunk, and the outcome its PostHook sees.
struct ResponsesOutcomeRecorder: Plugin {
    let descriptor = PluginDescriptor(name: "recorder", version: "1.0.0", hooks: [.pre, .post, .chunk])
    let chunks = LockedValue<[ChatChunk]>([])
    let outcomes = LockedValue<[ChatOutcome]>([])

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        outcomes.withLock { $0.append(outcome) }
    }

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        chunks.withLock { $0.append(chunk) }
        return .continue
    }
}

/// Rewrites the last user message, and upper-cases every streamed text delta.
struct ResponsesRewriter: Plugin {
    let descriptor = PluginDescriptor(name: "rewriter", version: "1.0.0", hooks: [.pre, .chunk])

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        if let last = request.messages.lastIndex(where: { $0.role == "user" }) {
            request.messages[last].content = "Rewritten by a plugin."
        }
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        if let text = chunk.choices.first?.content, !text.isEmpty { chunk.choices[0].content = text.uppercased() }
        return .continue
    }
}

/// Answers every request itself, as a cache hit does: text, a tool call and usage.
struct CachedAnswer: Plugin {
    let descriptor = PluginDescriptor(name: "cache", version: "1.0.0", hooks: .pre)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        // As the caching plugin does: the header goes through the context, so a stream's head has it too.
        context.setResponseHeader("x-bifrost-cache", "hit")
        return .respond(
            ChatResponse(
                id: "chatcmpl-cached", created: 1_741_476_542, provider: "cache", model: "gpt-4.1",
                choices: [
                    ChatChoice(
                        content: "Checking.", finishReason: "tool_calls",
                        extra: [
                            "tool_calls": [
                                ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#).openAIObject
                            ]
                        ])
                ],
                usage: TokenUsage(promptTokens: 20, completionTokens: 9, cachedPromptTokens: 16)))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// Answers with reasoning and a refusal, as a plugin that screens requests might.
struct RefusingAnswer: Plugin {
    let descriptor = PluginDescriptor(name: "screen", version: "1.0.0", hooks: .pre)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        .respond(
            ChatResponse(
                id: "chatcmpl-screen", provider: "screen", model: "screen",
                choices: [
                    ChatChoice(
                        content: "",
                        extra: ["content": .null, "refusal": "I can't help with that.", "reasoning_content": "Unsafe."])
                ],
                usage: TokenUsage(promptTokens: 4, completionTokens: 6, reasoningTokens: 2)))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

/// Ends every stream with a 429 at its third chunk, as a token budget might.
struct StreamCutter: Plugin {
    let descriptor = PluginDescriptor(name: "cutter", version: "1.0.0", hooks: [.pre, .chunk])
    let seen = LockedValue(0)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        let count = seen.withLock { seen in
            seen += 1
            return seen
        }
        guard count == 3 else { return .continue }
        return .fail(BifrostError(status: 429, type: "budget", code: "token_budget_exceeded", message: "Budget spent"))
    }
}

@Suite("POST /v1/responses through the plugin chain")
struct ResponsesRouteTests {
    /// The recorded exchange named `name`.
    static func exchange(_ name: String) throws -> ConformanceCase {
        try #require(ConformanceCase.all.first { $0.name == name })
    }

    /// Streams a conformance exchange's request through the gateway to a fake upstream replaying
    /// its events, with a recording plugin: the upstream's events, what the client received, and
    /// what the plugin saw.
    static func streamThroughRecorder(_ name: String) async throws -> (
        events: [String], received: [BifrostTestSupport.ServerSentEvent], recorder: ResponsesOutcomeRecorder
    ) {
        let exchange = try Self.exchange(name)
        let events = exchange.upstreamEventTexts
        let upstream = try await FakeUpstream.start { _ in .sse(chunks: events) }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(
            settings: ProviderSettings(name: "up", kind: .openai, baseURL: upstream.baseURL, retry: .init(maxAttempts: 1)),
            httpClient: http)
        let recorder = ResponsesOutcomeRecorder()
        let bifrost = try await makeBifrost([ChainEntry(recorder)], providers: [provider])
        let body = Array(compact(.object(exchange.request)).utf8)
        let received = try await withServer(bifrost) { client, _ in
            try await client.withEventStream("POST", "/v1/responses", body: body) { try await $0.collect() }
        }
        await upstream.stop()
        await http.shutdown()
        return (events, received, recorder)
    }

    @Test("a plugin's rejection has the Responses API's error shape and status", arguments: [false, true])
    func rejection(streamed: Bool) async throws {
        let bifrost = try await makeBifrost([ChainEntry(RejectingPlugin())])
        let response = try await withServer(bifrost) { client, _ in
            try await client.postJSON("/v1/responses", #"{"model":"mock/echo","input":"Hi","stream":\#(streamed)}"#)
        }
        #expect(response.status == 429)
        #expect(response.headers["retry-after"] == "7")
        #expect(response.headers["content-type"] == "application/json")
        let error = try errorFields(response)
        #expect(error["message"] == "Slow down, client")
        #expect(error["type"] == "rate_limit_exceeded")
        #expect(error["code"] == "rate_limited")
        #expect(error["param"] == .null)
    }

    @Test(
        "a malformed request is a 400 naming the field, in the error shape",
        arguments: [
            (#"{"model":"mock/echo"}"#, "input"),
            (#"{"model":"mock/echo","input":[{"type":"function_call","name":"f"}]}"#, "input[0]"),
            (#"{"model":"mock/echo","input":"Hi","max_output_tokens":0}"#, "max_output_tokens"),
            (#"{"model":"mock/echo","input":"Hi","text":{"format":{"type":"xml"}}}"#, "text.format.type"),
        ])
    func malformed(body: String, param: String) async throws {
        let response = try await withServer { client, _ in try await client.postJSON("/v1/responses", body) }
        #expect(response.status == 400)
        #expect(try errorFields(response)["param"] == .string(param))
    }

    @Test("streamed from an OpenAI-compatible upstream, chunk hooks see every event and PostHooks the assembled answer")
    func streamedPassThroughAssembles() async throws {
        let (events, received, recorder) = try await Self.streamThroughRecorder("responses-openai-reasoning-streamed")
        #expect(received.count == events.count)
        #expect(recorder.chunks.withLock { $0.count } == events.count)
        guard case .response(let response)? = recorder.outcomes.withLock({ $0.first }) else {
            Issue.record("the PostHook saw no response")
            return
        }
        let choice = try #require(response.choices.first)
        #expect(choice.content == "It's 14 °C and overcast in Boston right now.")
        #expect(choice.reasoning == "**Answering**\n\nThe tool said 14 °C and overcast.")
        #expect(choice.finishReason == "stop")
        #expect(response.usage.promptTokens == 412)
        #expect(response.usage.cachedPromptTokens == 256)
        #expect(response.usage.reasoningTokens == 64)
        #expect(response.wire?.format == .openAIResponses)
    }

    @Test("a streamed function call reaches PostHooks as a tool call")
    func streamedToolCallAssembles() async throws {
        let (_, _, recorder) = try await Self.streamThroughRecorder("responses-openai-tools-streamed")
        guard case .response(let response)? = recorder.outcomes.withLock({ $0.first }) else {
            Issue.record("the PostHook saw no response")
            return
        }
        #expect(
            response.choices.first?.toolCalls == [
                ToolCall(
                    id: "call_unLAR8MvFNptuiZK6K6HCy5k", name: "get_current_weather",
                    arguments: #"{"location":"Boston, MA","unit":"celsius"}"#)
            ])
        #expect(response.choices.first?.finishReason == "tool_calls")
        #expect(response.usage.totalTokens == 314)
    }

    @Test("a plugin's rewrite goes upstream as a Responses body, and its chunk changes reach the client")
    func rewriteGoesUpstreamAsResponses() async throws {
        let exchange = try Self.exchange("responses-openai-text-streamed")
        let events = exchange.upstreamEventTexts
        let upstream = try await FakeUpstream.start { _ in .sse(chunks: events) }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(
            settings: ProviderSettings(name: "up", kind: .openai, baseURL: upstream.baseURL, retry: .init(maxAttempts: 1)),
            httpClient: http)
        let bifrost = try await makeBifrost([ChainEntry(ResponsesRewriter())], providers: [provider])
        let body = Array(compact(.object(exchange.request)).utf8)
        let received = try await withServer(bifrost) { client, _ in
            try await client.withEventStream("POST", "/v1/responses", body: body) { try await $0.collect() }
        }
        await upstream.stop()
        await http.shutdown()
        let sent = try #require(upstream.requests.first)
        #expect(sent.path == "/v1/responses")
        let upstreamBody = try JSONValue.parse(sent.body)
        #expect(upstreamBody.objectField("instructions") == "You are a helpful assistant.")
        #expect(upstreamBody.objectField("input") == [["role": "user", "content": "Rewritten by a plugin."]])
        #expect(upstreamBody.objectField("model") == "gpt-4.1")
        #expect(upstreamBody.objectField("stream") == true)
        let deltas = try received.map { try $0.json() }.filter {
            $0.objectField("type") == "response.output_text.delta"
        }
        #expect(deltas.first?.objectField("delta") == "IN A PEACEFUL GROVE")
        #expect(deltas.first?.objectField("sequence_number") == 5)
    }

    @Test("a plugin's answer (a cache hit) replays as the Responses API's events when streamed")
    func cachedAnswerReplaysAsStream() async throws {
        let bifrost = try await makeBifrost([ChainEntry(CachedAnswer())])
        let body = Array(#"{"model":"mock/echo","input":"Weather in Paris?","stream":true}"#.utf8)
        let (events, cacheHeader) = try await withServer(bifrost) { client, _ in
            try await client.withEventStream("POST", "/v1/responses", body: body) { stream in
                (try await stream.collect(), stream.headers["x-bifrost-cache"])
            }
        }
        #expect(cacheHeader == "hit")
        #expect(events.map(\.event) == events.map { try? $0.json().objectField("type")?.stringValue })
        let final = try accumulateResponses(events.map { try $0.json() })
        let difference = contains(
            final,
            [
                "id": "resp_cached", "status": "completed",
                "output": [
                    ["type": "message", "content": [["type": "output_text", "text": "Checking."]]],
                    [
                        "type": "function_call", "call_id": "call_1", "name": "get_weather",
                        "arguments": #"{"city":"Paris"}"#, "status": "completed",
                    ],
                ],
                "usage": ["input_tokens": 20, "input_tokens_details": ["cached_tokens": 16], "output_tokens": 9],
            ])
        #expect(difference == nil, "\(difference ?? "")")
    }

    @Test("a plugin that ends a stream mid-way: the client's last event is an error event in sequence")
    func pluginEndsStream() async throws {
        let bifrost = try await makeBifrost([ChainEntry(StreamCutter())])
        let body = Array(#"{"model":"mock/echo","input":"one two three four","stream":true}"#.utf8)
        let events = try await withServer(bifrost) { client, _ in
            try await client.withEventStream("POST", "/v1/responses", body: body) { try await $0.collect() }
        }
        let values = try events.map { try $0.json() }
        #expect(values.map { $0.objectField("sequence_number")?.intValue } == Array(0..<values.count))
        #expect(events.last?.event == "error")
        #expect(values.last?.objectField("code") == "token_budget_exceeded")
        #expect(values.last?.objectField("message") == "Budget spent")
        #expect(!values.contains { $0.objectField("type") == "response.completed" })
    }

    @Test("reasoning and a refusal become a reasoning item and a refusal part, whole and streamed", arguments: [false, true])
    func reasoningAndRefusal(streamed: Bool) async throws {
        let bifrost = try await makeBifrost([ChainEntry(RefusingAnswer())])
        let body = Array(#"{"model":"mock/echo","input":"Something risky","stream":\#(streamed)}"#.utf8)
        let answer: JSONValue = try await withServer(bifrost) { client, _ in
            guard streamed else { return try await client.postJSON("/v1/responses", text(body)).json() }
            return try await client.withEventStream("POST", "/v1/responses", body: body) { stream in
                try accumulateResponses(try await stream.collect().map { try $0.json() })
            }
        }
        let difference = contains(
            answer,
            [
                "output": [
                    ["type": "reasoning", "summary": [["type": "summary_text", "text": "Unsafe."]]],
                    ["type": "message", "content": [["type": "refusal", "refusal": "I can't help with that."]]],
                ],
                "usage": ["output_tokens_details": ["reasoning_tokens": 2]],
            ])
        #expect(difference == nil, "\(difference ?? "") in \(compact(answer))")
    }

    @Test("a plugin's answer comes back whole as a response object")
    func cachedAnswerWhole() async throws {
        let bifrost = try await makeBifrost([ChainEntry(CachedAnswer())])
        let response = try await withServer(bifrost) { client, _ in
            try await client.postJSON("/v1/responses", #"{"model":"mock/echo","input":"Weather in Paris?"}"#)
        }
        #expect(response.status == 200)
        let difference = contains(
            try response.json(),
            [
                "object": "response", "status": "completed", "model": "gpt-4.1",
                "output": [
                    ["type": "message", "role": "assistant", "content": [["type": "output_text", "text": "Checking."]]],
                    ["type": "function_call", "call_id": "call_1", "name": "get_weather", "arguments": #"{"city":"Paris"}"#],
                ],
                "usage": ["input_tokens": 20, "output_tokens": 9, "total_tokens": 29],
            ])
        #expect(difference == nil, "\(difference ?? "")")
    }
}
