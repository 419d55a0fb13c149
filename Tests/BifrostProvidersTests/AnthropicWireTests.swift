import BifrostCore
import BifrostProviders
import BifrostWire
import Testing

@Suite struct AnthropicWireTests {
    @Test func anthropicRequestBecomesCoreRequest() throws {
        let body = #"""
            {"model":"anthropic/claude-3-5-haiku-latest","max_tokens":256,
             "system":[{"type":"text","text":"Be brief."},{"type":"text","text":"Be kind."}],
             "messages":[
               {"role":"user","content":"Hi"},
               {"role":"assistant","content":[{"type":"text","text":"Hello"},{"type":"text","text":"!"}]},
               {"role":"user","content":[{"type":"text","text":"Weather?"}]}],
             "stop_sequences":["\n\nHuman:"],"temperature":0.3,"top_p":0.9,"top_k":40,"stream":true,
             "metadata":{"user_id":"u-1"},"thinking":{"type":"disabled"}}
            """#
        let request = try ChatRequest(anthropicJSON: Array(body.utf8))
        #expect(request.provider == "anthropic")
        #expect(request.model == "claude-3-5-haiku-latest")
        #expect(request.messages.map(\.role) == ["system", "user", "assistant", "user"])
        #expect(request.messages.map(\.content) == ["Be brief.\n\nBe kind.", "Hi", "Hello!", "Weather?"])
        #expect(request.messages.allSatisfy { $0.extra.isEmpty })
        #expect(request.parameters["max_tokens"] == 256)
        #expect(request.parameters["stop"] == ["\n\nHuman:"])
        #expect(request.parameters["temperature"] == 0.3)
        #expect(request.parameters["top_p"] == 0.9)
        #expect(request.parameters["top_k"] == 40)
        #expect(request.parameters["user"] == "u-1")
        #expect(request.parameters["thinking"] == ["type": "disabled"])
        #expect(request.isStreaming)

        let bare = try ChatRequest(
            anthropicJSON: Array(#"{"model":"claude-x","max_tokens":1,"messages":[{"role":"user","content":"a"}]}"#.utf8))
        #expect(bare.provider == "")
        #expect(bare.model == "claude-x")
    }

    @Test func toolUseAndResultsTranslateToOpenAIShapes() throws {
        let body = #"""
            {"model":"anthropic/claude","max_tokens":64,
             "tools":[{"name":"weather","description":"Get weather","input_schema":{"type":"object"}}],
             "tool_choice":{"type":"any"},
             "messages":[
               {"role":"user","content":"Weather in Paris?"},
               {"role":"assistant","content":[{"type":"tool_use","id":"tu_1","name":"weather","input":{"city":"Paris"}}]},
               {"role":"user","content":[{"type":"tool_result","tool_use_id":"tu_1","content":"Sunny"},{"type":"text","text":"Thanks"}]}]}
            """#
        let request = try ChatRequest(anthropicJSON: Array(body.utf8))
        #expect(request.messages.map(\.role) == ["user", "assistant", "tool", "user"])
        #expect(
            request.messages[1].extra["tool_calls"]
                == [["id": "tu_1", "type": "function", "function": ["name": "weather", "arguments": #"{"city":"Paris"}"#]]])
        #expect(request.messages[2].extra["tool_call_id"] == "tu_1")
        #expect(request.messages[2].content == "Sunny")
        #expect(
            request.parameters["tools"]
                == [
                    [
                        "type": "function",
                        "function": ["name": "weather", "description": "Get weather", "parameters": ["type": "object"]],
                    ]
                ])
        #expect(request.parameters["tool_choice"] == "required")

        // And back: tool messages become tool_result blocks merged into the next user turn.
        let back = try request.anthropicObject()
        let messages = try #require(back.objectField("messages"))
        #expect(
            messages
                == [
                    ["role": "user", "content": "Weather in Paris?"],
                    [
                        "role": "assistant",
                        "content": [["type": "tool_use", "id": "tu_1", "name": "weather", "input": ["city": "Paris"]]],
                    ],
                    [
                        "role": "user",
                        "content": [
                            ["type": "tool_result", "tool_use_id": "tu_1", "content": "Sunny"],
                            ["type": "text", "text": "Thanks"],
                        ],
                    ],
                ])
        #expect(back.objectField("tool_choice") == ["type": "any"])
        #expect(
            back.objectField("tools") == [["name": "weather", "description": "Get weather", "input_schema": ["type": "object"]]])
    }

    @Test(arguments: [
        (#"{"max_tokens":1,"messages":[{"role":"user","content":"a"}]}"#, "model"),
        (#"{"model":"a/b","messages":[{"role":"user","content":"a"}]}"#, "max_tokens"),
        (#"{"model":"a/b","max_tokens":0,"messages":[{"role":"user","content":"a"}]}"#, "max_tokens"),
        (#"{"model":"a/b","max_tokens":5,"messages":[]}"#, "messages"),
        (#"{"model":"a/b","max_tokens":5,"messages":[{"role":"system","content":"a"}]}"#, "messages[0].role"),
        (#"{"model":"a/b","max_tokens":5,"messages":[{"role":"user","content":5}]}"#, "messages[0].content"),
        (
            #"{"model":"a/b","max_tokens":5,"messages":[{"role":"user","content":[{"type":"text"}]}]}"#,
            "messages[0].content[0].text"
        ),
        (#"{"model":"a/b","max_tokens":5,"temperature":1.5,"messages":[{"role":"user","content":"a"}]}"#, "temperature"),
        (#"{"model":"a/b","max_tokens":5,"stop_sequences":"x","messages":[{"role":"user","content":"a"}]}"#, "stop_sequences"),
        (#"{"model":"a/b","max_tokens":5,"system":7,"messages":[{"role":"user","content":"a"}]}"#, "system"),
        (
            #"{"model":"a/b","max_tokens":5,"metadata":{"user_id":3},"messages":[{"role":"user","content":"a"}]}"#,
            "metadata.user_id"
        ),
    ])
    func invalidAnthropicRequestsNameTheField(body: String, param: String) {
        #expect {
            try ChatRequest(anthropicJSON: Array(body.utf8))
        } throws: { error in
            let error = error as! BifrostError
            return error.status == 400 && error.type == "invalid_request_error" && error.param == param
                && error.message.contains(param.split(separator: "[").first.map(String.init) ?? param)
        }
    }

    @Test func coreRequestBecomesAnthropicRequest() throws {
        let request = ChatRequest(
            provider: "anthropic", model: "claude-3-5-haiku-latest",
            messages: [
                .init(role: "system", content: "Be brief."),
                .init(role: "user", content: "Hi"),
                .init(role: "user", content: "Still there?"),
                .init(role: "assistant", content: "Yes"),
                .init(role: "developer", content: "No emojis."),
                .init(role: "user", content: "Good"),
            ],
            parameters: ["stop": "END", "temperature": 1.4, "user": "u-1", "n": 1, "store": false, "top_p": 0.5])
        let body = try JSONValue.parse(try request.anthropicJSON(stream: true))
        #expect(body.objectField("model") == "claude-3-5-haiku-latest")
        #expect(body.objectField("system") == "Be brief.\n\nNo emojis.")
        #expect(body.objectField("max_tokens") == 4096)
        #expect(body.objectField("stop_sequences") == ["END"])
        #expect(body.objectField("temperature") == 1)
        #expect(body.objectField("top_p") == 0.5)
        #expect(body.objectField("metadata") == ["user_id": "u-1"])
        #expect(body.objectField("stream") == true)
        #expect(body.objectField("seed") == nil)
        #expect(body.objectField("n") == nil)
        #expect(
            body.objectField("messages")
                == [
                    ["role": "user", "content": [["type": "text", "text": "Hi"], ["type": "text", "text": "Still there?"]]],
                    ["role": "assistant", "content": "Yes"],
                    ["role": "user", "content": "Good"],
                ])

        var seeded = request
        seeded.parameters["seed"] = 3
        #expect {
            try seeded.anthropicJSON()
        } throws: { error in
            let error = error as! BifrostError
            return error.status == 400 && error.param == "seed" && error.message.contains("no counterpart")
        }

        var limited = request
        limited.parameters["max_tokens"] = 100
        #expect(try JSONValue.parse(try limited.anthropicJSON()).objectField("max_tokens") == 100)
    }

    @Test func imagesTranslateBothWays() throws {
        let body = #"""
            {"model":"claude","max_tokens":8,"messages":[{"role":"user","content":[
              {"type":"text","text":"What is this?"},
              {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]}]}
            """#
        let request = try ChatRequest(anthropicJSON: Array(body.utf8))
        #expect(request.messages[0].content == "What is this?")
        #expect(
            request.messages[0].extra["content"]
                == [
                    ["type": "text", "text": "What is this?"],
                    ["type": "image_url", "image_url": ["url": "data:image/png;base64,iVBOR"]],
                ])
        #expect(
            try request.anthropicObject().objectField("messages")
                == [
                    [
                        "role": "user",
                        "content": [
                            ["type": "text", "text": "What is this?"],
                            ["type": "image", "source": ["type": "base64", "media_type": "image/png", "data": "iVBOR"]],
                        ],
                    ]
                ])
    }

    @Test func anthropicResponseBecomesCoreResponse() throws {
        let body = #"""
            {"id":"msg_01","type":"message","role":"assistant","model":"claude-3-5-haiku-20241022",
             "content":[{"type":"text","text":"Hello"},{"type":"text","text":" world"}],
             "stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":3}}
            """#
        let response = try ChatResponse(anthropicJSON: Array(body.utf8), provider: "anthropic", created: 42)
        #expect(response.id == "msg_01")
        #expect(response.created == 42)
        #expect(response.model == "claude-3-5-haiku-20241022")
        #expect(response.choices == [ChatChoice(content: "Hello world", finishReason: "length")])
        #expect(response.usage == TokenUsage(promptTokens: 12, completionTokens: 3))

        #expect(AnthropicWire.finishReason(fromStopReason: "end_turn") == "stop")
        #expect(AnthropicWire.finishReason(fromStopReason: "stop_sequence") == "stop")
        #expect(AnthropicWire.finishReason(fromStopReason: "tool_use") == "tool_calls")

        #expect {
            try ChatResponse(anthropicJSON: Array(#"{"content":"nope"}"#.utf8), provider: "anthropic")
        } throws: { ($0 as! BifrostError).status == 502 && ($0 as! BifrostError).code == "malformed_response" }
    }

    @Test func coreResponseBecomesAnthropicResponse() throws {
        let response = ChatResponse(
            id: "chatcmpl-9", provider: "openai", model: "gpt-4o-mini",
            choices: [ChatChoice(content: "Hi!", finishReason: "length")],
            usage: TokenUsage(promptTokens: 7, completionTokens: 2))
        let body = try JSONValue.parse(response.anthropicJSON())
        #expect(
            body
                == [
                    "id": "chatcmpl-9", "type": "message", "role": "assistant", "model": "gpt-4o-mini",
                    "content": [["type": "text", "text": "Hi!"]], "stop_reason": "max_tokens", "stop_sequence": nil,
                    "usage": ["input_tokens": 7, "output_tokens": 2],
                ])
    }

    static let anthropicEvents: [(String, String)] = [
        (
            "message_start",
            #"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-3-5-haiku","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#
        ),
        ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ("ping", #"{"type": "ping"}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#),
        ("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"!"}}"#),
        ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
        (
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#
        ),
        ("message_stop", #"{"type":"message_stop"}"#),
    ]

    @Test func streamEventsDecodeIntoChunks() throws {
        var decoder = AnthropicStreamDecoder(provider: "anthropic", created: 5)
        var chunks: [ChatChunk] = []
        for (name, data) in Self.anthropicEvents {
            #expect(!decoder.isFinished)
            chunks += try decoder.decode(event: name, data: Array(data.utf8))
        }
        #expect(decoder.isFinished)
        #expect(chunks.count == Self.anthropicEvents.count, "one chunk per event, each keeping its event")
        #expect(chunks.map { $0.wire?.object["type"]?.stringValue } == Self.anthropicEvents.map(\.0))
        #expect(chunks.filter { !$0.choices.isEmpty }.map { $0.choices.first?.content } == ["", "Hello", "!", nil])
        #expect(chunks.first?.choices.first?.role == "assistant")
        #expect(chunks.allSatisfy { $0.id == "msg_1" && $0.model == "claude-3-5-haiku" && $0.created == 5 })
        #expect(chunks.last(where: { !$0.choices.isEmpty })?.choices.first?.finishReason == "stop")
        #expect(chunks.last(where: { $0.usage != nil })?.usage == TokenUsage(promptTokens: 25, completionTokens: 15))

        var assembly = StreamAssembly()
        for chunk in chunks { assembly.add(chunk) }
        #expect(assembly.response.choices.first?.content == "Hello!")
        #expect(assembly.response.usage.totalTokens == 40)
    }

    @Test func streamErrorEventThrows() throws {
        var decoder = AnthropicStreamDecoder(provider: "anthropic")
        #expect {
            try decoder.decode(
                event: "error", data: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8))
        } throws: { error in
            let error = error as! BifrostError
            return error.status == 529 && error.message == "Overloaded" && error.code == "overloaded_error"
        }
        #expect(throws: BifrostError.self) { try decoder.decode(event: "message_delta", data: Array("{nope".utf8)) }
    }

    @Test func encoderEmitsAnthropicEventSequence() throws {
        var encoder = AnthropicStreamEncoder(model: "openai/gpt-4o-mini")
        let chunks = [
            ChatChunk(id: "c1", provider: "openai", model: "gpt-4o-mini", choices: [.init(role: "assistant", content: "")]),
            ChatChunk(id: "c1", provider: "openai", model: "gpt-4o-mini", choices: [.init(content: "Hel")]),
            ChatChunk(id: "c1", provider: "openai", model: "gpt-4o-mini", choices: [.init(content: "lo")]),
            ChatChunk(id: "c1", provider: "openai", model: "gpt-4o-mini", choices: [.init(finishReason: "length")]),
            ChatChunk(
                id: "c1", provider: "openai", model: "gpt-4o-mini", usage: TokenUsage(promptTokens: 9, completionTokens: 2)),
        ]
        var events: [AnthropicStreamEvent] = []
        for chunk in chunks { events += encoder.encode(chunk) }
        events += encoder.finish()
        #expect(encoder.finish().isEmpty)
        #expect(
            events.map(\.name) == [
                "message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop",
                "message_delta", "message_stop",
            ])
        let start = try JSONValue.parse(events[0].data)
        #expect(start.objectField("message")?.objectField("id") == "c1")
        #expect(start.objectField("message")?.objectField("model") == "openai/gpt-4o-mini")
        #expect(start.objectField("message")?.objectField("role") == "assistant")
        #expect(
            try JSONValue.parse(events[2].data)
                == ["type": "content_block_delta", "index": 0, "delta": ["type": "text_delta", "text": "Hel"]])
        let delta = try JSONValue.parse(events[5].data)
        #expect(delta.objectField("delta") == ["stop_reason": "max_tokens", "stop_sequence": nil])
        #expect(delta.objectField("usage")?.objectField("output_tokens") == 2)
        #expect(
            String(decoding: events[6].sseBytes, as: UTF8.self) == "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")

        // Round trip through the decoder gives the same answer.
        var decoder = AnthropicStreamDecoder(provider: "gateway")
        var assembly = StreamAssembly()
        for event in events {
            for chunk in try decoder.decode(event: event.name, data: event.data) { assembly.add(chunk) }
        }
        #expect(decoder.isFinished)
        #expect(assembly.response.choices.first?.content == "Hello")
        #expect(assembly.response.choices.first?.finishReason == "length")
        #expect(assembly.response.usage == TokenUsage(promptTokens: 9, completionTokens: 2))
    }

    @Test func encoderErrorEventAndEmptyStream() throws {
        var encoder = AnthropicStreamEncoder(model: "m")
        #expect(encoder.finish().map(\.name) == ["message_start", "message_delta", "message_stop"])
        var failing = AnthropicStreamEncoder(model: "m")
        _ = failing.encode(ChatChunk(id: "x", provider: "p", model: "m", choices: [.init(content: "a")]))
        let error = failing.error(BifrostError(status: 504, type: "upstream_error", message: "timed out"))
        #expect(error.name == "error")
        #expect(
            try JSONValue.parse(error.data) == ["type": "error", "error": ["type": "timeout_error", "message": "timed out"]])
        #expect(failing.finish().isEmpty)
    }

    @Test(arguments: [
        (400, "invalid_request_error"), (401, "authentication_error"), (403, "permission_error"), (404, "not_found_error"),
        (413, "request_too_large"), (422, "invalid_request_error"), (429, "rate_limit_error"), (500, "api_error"),
        (502, "api_error"), (503, "overloaded_error"), (529, "overloaded_error"), (504, "timeout_error"),
    ])
    func errorTypesFollowStatus(status: Int, type: String) throws {
        let error = BifrostError(status: status, type: "whatever", message: "m \"quoted\"")
        #expect(
            try JSONValue.parse(error.anthropicJSON()) == [
                "type": "error", "error": ["type": .string(type), "message": "m \"quoted\""],
            ])
    }

    @Test func sseParserHandlesSplitsCommentsAndMultilineData() throws {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for piece in [
            ": comment\nevent: mess", "age_start\r\ndata: {\"a\":", "1}\r\n\r", "\ndata: one\ndata: two\n\n", "data: tail",
        ] {
            events += try parser.feed(Array(piece.utf8))
        }
        events += parser.finish()
        #expect(
            events == [
                ServerSentEvent(name: "message_start", data: Array(#"{"a":1}"#.utf8)),
                ServerSentEvent(data: Array("one\ntwo".utf8)),
                ServerSentEvent(data: Array("tail".utf8)),
            ])
    }
}
