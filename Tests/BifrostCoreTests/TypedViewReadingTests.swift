import BifrostCore
import BifrostWire
import Testing

@Suite("a streamed chunk's typed view, read as it is decoded or when first asked for")
struct ChatChunkTypedViewTests {
    static let events = [
        #"{"id":"chatcmpl-1","object":"chat.completion.chunk","created":7,"model":"gpt-4o-2024","system_fingerprint":"fp_1","choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","created":7,"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"service_tier":"default"}"#,
        #"{"id":"chatcmpl-1","choices":[{"index":1,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":"}}]},"finish_reason":null}]}"#,
        #"{"id":"chatcmpl-1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
        #"{"id":"chatcmpl-1","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#,
    ]

    func decode(_ event: String, asItGoes: Bool) throws -> (ChatChunk, OpenAIChunkDecoder) {
        var decoder = OpenAIChunkDecoder(provider: "openai", model: "asked-for", readsTypedViewAsItGoes: asItGoes)
        let chunks = try decoder.decode(data: Array(event.utf8))
        try #require(chunks.count == 1)
        return (chunks[0], decoder)
    }

    @Test("the view read later is the view read as it goes", arguments: events)
    func bothWaysReadTheSameView(event: String) throws {
        let (later, laterDecoder) = try decode(event, asItGoes: false)
        let (now, nowDecoder) = try decode(event, asItGoes: true)
        #expect(later.usage == now.usage, "usage is read up front either way")
        #expect(later.id == now.id && later.created == now.created && later.model == now.model)
        #expect(later.choices == now.choices && later.extra == now.extra)
        #expect(later == now && later.hashValue == now.hashValue)
        #expect(!later.typedViewChanged && later.wire?.bytes == Array(event.utf8))
        let finishedLater = (try? laterDecoder.finish()) != nil
        let finishedNow = (try? nowDecoder.finish()) != nil
        #expect(finishedLater == finishedNow, "a finish reason is seen either way")
    }

    @Test func aChunkThatNamesNoModelTakesTheOneAskedFor() throws {
        let (chunk, _) = try decode(Self.events[1], asItGoes: false)
        #expect(chunk.model == "asked-for" && chunk.provider == "openai")
        #expect(chunk.choices.first?.content == "Hi" && chunk.extra["service_tier"] == "default")
    }

    @Test(
        "a chunk the typed view cannot read ends the stream either way",
        arguments: [
            (#"{"id":"c","choices":{}}"#, "'choices' must be an array"),
            (#"{"id":"c","choices":[1]}"#, "choices[0] must be an object"),
            (#"{"id":"c","choices":[{"index":0}],"#, "not valid JSON"),
            (#"{"error":{"message":"overloaded","type":"server_error","code":503}}"#, "overloaded"),
        ], [false, true])
    func malformedChunksFail(malformed: (event: String, reason: String), asItGoes: Bool) {
        var decoder = OpenAIChunkDecoder(provider: "openai", model: "m", readsTypedViewAsItGoes: asItGoes)
        #expect {
            _ = try decoder.decode(data: Array(malformed.event.utf8))
        } throws: { error in
            (error as? BifrostError)?.message.contains(malformed.reason) == true
        }
    }

    @Test func changingACopyReadsTheViewAndLeavesTheOriginalAsItCame() throws {
        let (original, _) = try decode(Self.events[1], asItGoes: false)
        var copy = original
        copy.choices[0].content = "Bye"
        #expect(copy.typedViewChanged && copy.choices[0].content == "Bye" && copy.id == "chatcmpl-1")
        #expect(!original.typedViewChanged && original.choices[0].content == "Hi")
        #expect(copy != original)
        var usageChanged = original
        usageChanged.usage = TokenUsage(promptTokens: 1, completionTokens: 1)
        #expect(usageChanged.typedViewChanged && usageChanged.choices == original.choices)
    }

    @Test func tasksReadingOneChunkAtOnceSeeOneView() async throws {
        let (chunk, _) = try decode(Self.events[2], asItGoes: false)
        let seen = await withTaskGroup(of: [ToolCallDelta].self) { group in
            for _ in 0..<8 { group.addTask { chunk.choices.first?.toolCallDeltas ?? [] } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(seen.count == 8)
        #expect(seen.allSatisfy { $0 == [ToolCallDelta(index: 0, id: "call_1", name: "f", arguments: #"{"a":"#)] })
    }

    @Test(
        "the chain asks for the view as it goes when a plugin entered reads chunks",
        arguments: [
            (PluginHooks.pre, false),
            (PluginHooks([.pre, .post]), true),
            (PluginHooks.chunk, true),
        ])
    func theChainNotesWhoReadsChunks(hooks: PluginHooks, reads: Bool) async {
        let chain = PluginChain([ChainEntry(ScriptedPlugin("p", log: HookLog(), hooks: hooks))])
        let noted = LockedValue<Bool?>(nil)
        _ = await chain.runStream(echoRequest(), context: RequestContext()) { _, context in
            noted.withLock { $0 = context.readsTypedAnswer }
            return .failure(BifrostError(status: 503, type: "test", message: "no upstream"))
        }
        #expect(noted.withLock { $0 } == reads)
    }
}

@Suite("a whole answer's typed view, read as it is decoded or when first asked for")
struct ChatResponseTypedViewTests {
    static let answers = [
        #"{"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"gpt-4o-2024","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10,"prompt_tokens_details":{"cached_tokens":4}},"service_tier":"default","system_fingerprint":"fp_1"}"#,
        #"{"id":"chatcmpl-2","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}"#,
        #"{"id":"chatcmpl-3","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":0,"total_tokens":1}}"#,
    ]

    func decode(_ text: String, asItGoes: Bool) throws -> ChatResponse {
        try ChatResponse(openAIJSON: Array(text.utf8), provider: "openai", readsTypedViewAsItGoes: asItGoes)
    }

    @Test("the view read later is the view read as it goes", arguments: answers)
    func bothWaysReadTheSameView(text: String) throws {
        let later = try decode(text, asItGoes: false)
        let now = try decode(text, asItGoes: true)
        #expect(later.model == now.model && later.created == now.created && later.provider == "openai")
        #expect(later.id == now.id && later.choices == now.choices && later.usage == now.usage && later.extra == now.extra)
        #expect(later == now && later.hashValue == now.hashValue)
        #expect(!later.typedViewChanged && later.openAIJSON() == Array(text.utf8), "it goes out as it came")
    }

    @Test(
        "an answer the typed view cannot read fails either way",
        arguments: [
            (#"{"id":"c"}"#, "'choices' must be an array"),
            (#"{"id":"c","choices":{}}"#, "'choices' must be an array"),
            (#"{"id":"c","choices":[{"index":0,"message":"Hi"}]}"#, "choices[0].message must be an object"),
            (#"{"id":"c","choices":[{"index":0}]}"#, "choices[0].message must be an object"),
            (#"{"id":"c","choices":[]"#, "not valid JSON"),
            (#"[]"#, "expected a JSON object"),
        ], [false, true])
    func malformedAnswersFail(malformed: (text: String, reason: String), asItGoes: Bool) {
        #expect {
            _ = try decode(malformed.text, asItGoes: asItGoes)
        } throws: { error in
            (error as? BifrostError).map { $0.status == 502 && $0.message.contains(malformed.reason) } == true
        }
    }

    @Test func changingACopyReadsTheViewAndWritesItAgain() throws {
        let original = try decode(Self.answers[0], asItGoes: false)
        var copy = original
        copy.headers["x-bifrost-cache"] = "miss"
        #expect(!copy.typedViewChanged, "headers are not part of the answer's body")
        copy.choices[0].content = "Bye"
        #expect(copy.typedViewChanged && copy.id == "chatcmpl-1" && copy.usage.cachedPromptTokens == 4)
        let written = String(decoding: copy.openAIJSON(), as: UTF8.self)
        #expect(written.contains(#""content":"Bye""#) && written.contains(#""system_fingerprint":"fp_1""#))
        #expect(!original.typedViewChanged && original.choices[0].content == "Hi" && original.headers.isEmpty)
    }

    @Test func tasksReadingOneAnswerAtOnceSeeOneView() async throws {
        let answer = try decode(Self.answers[1], asItGoes: false)
        let seen = await withTaskGroup(of: [ToolCall].self) { group in
            for _ in 0..<8 { group.addTask { answer.choices.first?.toolCalls ?? [] } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(seen.count == 8 && seen.allSatisfy { $0 == [ToolCall(id: "call_1", name: "f", arguments: "{}")] })
    }

    @Test(
        "the chain asks for the view as it goes when a plugin entered has a PostHook",
        arguments: [(PluginHooks.pre, false), (PluginHooks([.pre, .post]), true)])
    func theChainNotesWhoReadsTheAnswer(hooks: PluginHooks, reads: Bool) async {
        let chain = PluginChain([ChainEntry(ScriptedPlugin("p", log: HookLog(), hooks: hooks))])
        let noted = LockedValue<Bool?>(nil)
        _ = await chain.run(echoRequest(), context: RequestContext()) { _, context in
            noted.withLock { $0 = context.readsTypedAnswer }
            return .failure(BifrostError(status: 503, type: "test", message: "no upstream"))
        }
        #expect(noted.withLock { $0 } == reads)
    }
}
