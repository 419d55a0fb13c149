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
            noted.withLock { $0 = context.readsStreamedChunks }
            return .failure(BifrostError(status: 503, type: "test", message: "no upstream"))
        }
        #expect(noted.withLock { $0 } == reads)
    }
}
