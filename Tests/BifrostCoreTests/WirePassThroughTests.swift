import BifrostCore
import BifrostWire
import Testing

@Suite("what the gateway does not change goes out as the bytes it read")
struct WirePassThroughTests {
    @Test func anUnchangedAnswerGoesOutAsTheBytesReadAndAChangedOneIsWrittenAgain() throws {
        let text =
            #"{ "id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": "m","#
            + #" "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}, "finish_reason": "stop"}],"#
            + #" "usage": {"prompt_tokens": 1.0e0, "completion_tokens": 1, "total_tokens": 2}, "x_score": 1.50 }"#
        var answer = try ChatResponse(openAIJSON: Array(text.utf8), provider: "openai")
        #expect(answer.openAIJSON() == Array(text.utf8), "spaces and numbers as they came")
        answer.model = "other"
        let written = String(decoding: answer.openAIJSON(), as: UTF8.self)
        #expect(written.contains(#""model":"other""#))
        #expect(written.contains(#""x_score":1.50"#), "still lossless when rewritten")
    }

    @Test func aChangedCopyOfAChunkLeavesTheOriginalAsItCame() {
        let original = ChatChunk(id: "c", provider: "openai", model: "m", choices: [ChunkChoice(content: "Hi")])
        var copy = original
        copy.provider = "other"
        #expect(!copy.typedViewChanged, "the provider is not part of the event")
        copy.choices[0].content = "Bye"
        #expect(copy.typedViewChanged)
        #expect(original.choices[0].content == "Hi" && original.provider == "openai" && !original.typedViewChanged)
        #expect(copy != original)
    }

    @Test func changingTheKeptObjectDropsTheBytes() {
        var wire = WireBody(format: .openAIChat, object: ["a": 1], bytes: Array(#"{"a": 1}"#.utf8))
        #expect(wire.bytes != nil)
        #expect(wire == WireBody(format: .openAIChat, object: ["a": 1]), "the bytes are not part of the value")
        wire.object["b"] = 2
        #expect(wire.bytes == nil)
    }

    @Test(
        "an unchanged chunk is one data line of the bytes read, unless they span lines",
        arguments: [
            (
                #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}],"usage":null,"x":1.50}"#,
                true
            ),
            (
                "{\"id\":\"c\",\n\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":null}",
                false
            ),
            (
                "{\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[],\"usage\":null}\r",
                false
            ),
        ])
    func chunksPassThroughOnOneLine(event: String, asRead: Bool) throws {
        var decoder = OpenAIChunkDecoder(provider: "openai", model: "m")
        var encoder = OpenAIStreamEncoder(includeUsage: true)
        var bytes: [UInt8] = []
        for chunk in try decoder.decode(data: Array(event.utf8)) { encoder.encode(chunk, into: &bytes) }
        let written = String(decoding: bytes, as: UTF8.self)
        #expect(written.hasPrefix("data: ") && written.hasSuffix("\n\n"))
        #expect(!written.utf8.dropFirst(6).dropLast(2).contains { $0 == 10 || $0 == 13 }, "one line")
        #expect((written == "data: \(event)\n\n") == asRead)
    }
}
