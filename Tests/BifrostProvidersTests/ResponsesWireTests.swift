import BifrostCore
import BifrostWire
import Testing

@Suite("Responses API wire: the typed view and its way back")
struct ResponsesWireTests {
    static let conversation = #"""
        {"model":"openai/o4-mini","instructions":"Be brief.","input":[
          {"role":"user","content":[{"type":"input_text","text":"Weather in "},{"type":"input_text","text":"Paris?"}]},
          {"type":"reasoning","id":"rs_1","summary":[],"encrypted_content":"gAAA"},
          {"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
          {"type":"function_call","call_id":"call_2","name":"get_time","arguments":"{}"},
          {"type":"function_call_output","call_id":"call_1","output":"12 C"},
          {"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
          {"type":"item_reference","id":"msg_9"}],
         "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"},"strict":true},{"type":"web_search"}],
         "tool_choice":{"type":"function","name":"get_weather"},
         "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},
         "reasoning":{"effort":"high","summary":"auto"},"max_output_tokens":300,"store":false,"metadata":{"k":"v"}}
        """#

    @Test func itemsBecomeChatMessages() throws {
        let request = try ChatRequest(responsesJSON: Array(Self.conversation.utf8))
        #expect(request.provider == "openai")
        #expect(request.model == "o4-mini")
        #expect(request.messages.map(\.role) == ["system", "user", "assistant", "tool", "tool", "user"])
        #expect(request.messages[0].content == "Be brief.")
        #expect(request.messages[1].content == "Weather in Paris?")
        let assistant = request.messages[2]
        #expect(assistant.extra["reasoning_items"]?.arrayValue?.first?.objectField("encrypted_content") == "gAAA")
        #expect(ToolCall.list(assistant.extra["tool_calls"]).map(\.id) == ["call_1", "call_2"])
        #expect(request.messages[3].extra["tool_call_id"] == "call_1")
        #expect(request.messages[4].content == "noon")
        #expect(request.messages[5].extra[ChatMessage.responsesItemKey]?.objectField("type") == "item_reference")
        #expect(request.parameters["reasoning_effort"] == "high")
        #expect(request.parameters["max_completion_tokens"] == 300)
        #expect(request.parameters["response_format"]?.objectField("json_schema")?.objectField("name") == "w")
        #expect(request.parameters["tool_choice"] == ["type": "function", "function": ["name": "get_weather"]])
        #expect(request.parameters["tools"]?.arrayValue?.first?.objectField("function")?.objectField("strict") == true)
        #expect(request.parameters["tools"]?.arrayValue?.last == ["type": "web_search"])
        #expect(request.wire?.format == .openAIResponses)
    }

    @Test func anUnchangedBodyGoesUpstreamAsItCame() throws {
        let body = #"{"model":"openai/gpt-4.1","input":"Hi","x_vendor":{"n":1.50},"stream":true}"#
        let request = try ChatRequest(responsesJSON: Array(body.utf8))
        #expect(
            text(request.responsesUpstreamBody(stream: true))
                == #"{"model":"gpt-4.1","input":"Hi","x_vendor":{"n":1.50},"stream":true}"#)
        #expect(text(request.responsesUpstreamBody(stream: false)) == #"{"model":"gpt-4.1","input":"Hi","x_vendor":{"n":1.50}}"#)
    }

    @Test func aChangedRequestIsWrittenBackAsItems() throws {
        var request = try ChatRequest(responsesJSON: Array(Self.conversation.utf8))
        request.parameters["temperature"] = 0.5
        #expect(request.wire == nil)
        let body = try JSONValue.parse(request.responsesUpstreamBody(stream: false))
        let original = try JSONValue.parse(Array(Self.conversation.utf8))
        #expect(body.objectField("instructions") == "Be brief.")
        #expect(body.objectField("max_output_tokens") == 300)
        #expect(body.objectField("reasoning") == ["effort": "high"])
        #expect(body.objectField("tool_choice") == original.objectField("tool_choice"))
        #expect(body.objectField("tools") == original.objectField("tools"))
        #expect(body.objectField("text") == original.objectField("text"))
        #expect(body.objectField("temperature") == 0.5)
        let items = try #require(body.objectField("input")?.arrayValue)
        #expect(
            items.map { $0.objectField("type")?.stringValue ?? "message" } == [
                "message", "reasoning", "function_call", "function_call", "function_call_output", "function_call_output",
                "item_reference",
            ])
        #expect(items[0].objectField("content")?.arrayValue?.count == nil, "parts of only text are joined")
        #expect(items[2].objectField("call_id") == "call_1")
    }

    @Test(
        "what a provider without server-side state refuses, by field",
        arguments: [
            (#"{"model":"mock/echo","input":"Hi","previous_response_id":"resp_1"}"#, "previous_response_id"),
            (#"{"model":"mock/echo","input":"Hi","conversation":{"id":"conv_1"}}"#, "conversation"),
            (#"{"model":"mock/echo","input":[{"type":"item_reference","id":"msg_1"}]}"#, "input"),
        ])
    func serverStateIsRefused(body: String, param: String) throws {
        let request = try ChatRequest(responsesJSON: Array(body.utf8))
        #expect(request.serverStateRefusal(provider: "mock")?.param == param)
        #expect(throws: BifrostError.self) { try request.routed(to: "claude", model: "x").anthropicObject() }
    }

    @Test(
        "the Responses API's own fields Anthropic cannot express are a 400 naming them; their defaults pass",
        arguments: [
            (#""include":["reasoning.encrypted_content"]"#, "include"),
            (#""truncation":"auto""#, "truncation"),
            (#""text":{"format":{"type":"json_object"}}"#, "response_format"),
            (#""include":[],"truncation":"disabled","store":false"#, nil),
        ])
    func anthropicRefusesWhatItCannotExpress(fields: String, param: String?) throws {
        let body = #"{"model":"anthropic/claude-sonnet-4-5","input":"Hi","# + fields + "}"
        let request = try ChatRequest(responsesJSON: Array(body.utf8))
        do {
            let translated = try request.anthropicObject()
            #expect(param == nil, "translated although '\(param ?? "")' has no counterpart")
            #expect(translated.objectField("include") == nil && translated.objectField("store") == nil)
        } catch {
            #expect(error.param == param)
            #expect(error.status == 400)
        }
    }

    @Test(
        "an error about the chat-shaped view names the field a Responses client wrote",
        arguments: [
            ("response_format", "text.format"), ("max_tokens", "max_output_tokens"), ("reasoning_effort", "reasoning.effort"),
            ("messages", "input"), ("temperature", "temperature"),
        ])
    func errorsNameTheClientsField(chat: String, responses: String) {
        #expect(ResponsesWire.fieldName(forChatParameter: chat) == responses)
    }

    @Test func aResponseBecomesAChoiceAndBack() throws {
        let body = #"""
            {"id":"resp_1","object":"response","created_at":1741476542,"status":"completed","model":"o4-mini","output":[
              {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"Thinking."}]},
              {"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"Let me check.","annotations":[]}]},
              {"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"{}","status":"completed"}],
             "usage":{"input_tokens":50,"input_tokens_details":{"cached_tokens":32},"output_tokens":20,
                      "output_tokens_details":{"reasoning_tokens":12},"total_tokens":70},"x_vendor":1e2}
            """#
        var response = try ChatResponse(responsesJSON: Array(body.utf8), provider: "openai")
        let choice = try #require(response.choices.first)
        #expect(choice.content == "Let me check.")
        #expect(choice.reasoning == "Thinking.")
        #expect(choice.toolCalls == [ToolCall(id: "call_1", name: "get_weather", arguments: "{}")])
        #expect(choice.finishReason == "tool_calls")
        #expect(response.usage == TokenUsage(promptTokens: 50, completionTokens: 20, cachedPromptTokens: 32, reasoningTokens: 12))
        #expect(text(response.responsesJSON()) == compactJSON(body), "unchanged, the upstream's object as it came")

        response.choices[0].content = "Checked."
        let rewritten = try JSONValue.parse(response.responsesJSON())
        #expect(
            rewritten.objectField("x_vendor") == JSONNumber(text: "1e2").map { .number($0) }, "the upstream's other fields kept")
        let output = try #require(rewritten.objectField("output")?.arrayValue)
        #expect(output.map { $0.objectField("type") } == ["reasoning", "message", "function_call"])
        #expect(output[1].objectField("content")?.arrayValue?.first?.objectField("text") == "Checked.")
        #expect(output[2].objectField("call_id") == "call_1")
    }

    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    private func compactJSON(_ text: String) -> String {
        var writer = JSONWriter()
        writer.value((try? JSONValue.parse(Array(text.utf8))) ?? .null)
        return writer.text
    }
}
