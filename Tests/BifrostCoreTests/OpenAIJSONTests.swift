import BifrostCore
import BifrostWire
import Testing

@Suite("OpenAI wire format")
struct OpenAIJSONTests {
    func decode(_ json: String) throws(BifrostError) -> ChatRequest {
        try ChatRequest(openAIJSON: Array(json.utf8))
    }

    @Test func aRequestSplitsProviderAndModelAndKeepsUnknownFields() throws {
        let request = try decode(
            #"{"model":"mock/echo","messages":[{"role":"system","content":"Be brief"},{"role":"user","content":[{"type":"text","text":"Hi "},{"type":"text","text":"there"}]}],"temperature":0.5,"logit_bias":{"1":2}}"#
        )
        #expect(request.provider == "mock")
        #expect(request.model == "echo")
        #expect(request.messages.map(\.role) == ["system", "user"])
        #expect(request.messages[1].content == "Hi there")
        #expect(request.parameters["temperature"] == 0.5)
        #expect(request.parameters["logit_bias"] == ["1": 2])
    }

    @Test func aRequestRoundTripsThroughItsJSON() throws {
        let request = try decode(
            #"{"model":"mock/echo","messages":[{"role":"user","content":"é\n\"q\"","name":"x"}],"max_tokens":5,"stop":["a"]}"#)
        #expect(try ChatRequest(openAIJSON: request.openAIJSON()) == request)
    }

    @Test(arguments: ["1e400", "-0", "1e-400", "0.10", "123456789012345678901234567890", "-1.5E+3"])
    func numbersTheGatewayDoesNotTouchGoUpstreamAsWritten(number: String) throws {
        let body =
            #"{"model":"up/x","messages":[{"role":"user","content":"hi"}],"x_number":\#(number),"nested":{"n":[\#(number)]}}"#
        var request = try decode(body)
        let upstream = String(decoding: try request.openAIUpstreamBody(stream: false), as: UTF8.self)
        #expect(
            upstream
                == #"{"model":"x","messages":[{"role":"user","content":"hi"}],"x_number":\#(number),"nested":{"n":[\#(number)]}}"#
        )
        request.messages[0].content = "changed by a plugin"
        let rewritten = String(decoding: try request.openAIUpstreamBody(stream: false), as: UTF8.self)
        #expect(
            rewritten.contains(#""x_number":\#(number),"nested":{"n":[\#(number)]}"#), "and when a plugin changed the request")
    }

    @Test(arguments: [
        ("{", "request body is not valid JSON"),
        ("[]", "request body must be a JSON object, got an array"),
        (#"{"messages":[{"role":"user","content":"x"}]}"#, "missing required field 'model'"),
        (#"{"model":"mock/echo"}"#, "missing required field 'messages'"),
        (#"{"model":"mock/echo","messages":[]}"#, "'messages' must be a non-empty array"),
        (#"{"model":"mock/echo","messages":[{"role":"robot","content":"x"}]}"#, "messages[0].role must be one of"),
        (
            #"{"model":"mock/echo","messages":[{"role":"user","content":5}]}"#,
            "messages[0].content must be a string or an array of content parts, got a number"
        ),
        (
            #"{"model":"mock/echo","messages":[{"role":"user","content":"x"}],"temperature":3}"#,
            "'temperature' must be between 0.0 and 2.0, got 3.0"
        ),
        (
            #"{"model":"mock/echo","messages":[{"role":"user","content":"x"}],"max_tokens":0}"#,
            "'max_tokens' must be an integer of at least 1"
        ),
        (
            #"{"model":"mock/echo","messages":[{"role":"user","content":"x"}],"stream":"yes"}"#,
            "'stream' must be a boolean, got a string"
        ),
    ])
    func malformedRequestsAre400WithAPreciseMessage(json: String, message: String) {
        #expect {
            _ = try decode(json)
        } throws: { error in
            guard let error = error as? BifrostError else { return false }
            return error.status == 400 && error.type == "invalid_request_error" && error.message.contains(message)
        }
    }

    @Test func aResponseIsWrittenInOpenAIShape() throws {
        let response = ChatResponse(
            id: "chatcmpl-1", created: 7, provider: "mock", model: "echo", choices: [ChatChoice(content: "Hi \"you\"")],
            usage: TokenUsage(promptTokens: 3, completionTokens: 2))
        let text = String(decoding: response.openAIJSON(), as: UTF8.self)
        #expect(
            text
                == #"{"id":"chatcmpl-1","object":"chat.completion","created":7,"model":"echo","choices":[{"index":0,"message":{"role":"assistant","content":"Hi \"you\""},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}"#
        )
        var parsed = try ChatResponse(openAIJSON: response.openAIJSON(), provider: "mock")
        #expect(parsed.wire.map { String(decoding: JSONWriter.bytes(of: .object($0.object)), as: UTF8.self) } == text)
        parsed.wire = nil
        #expect(parsed == response)
    }

    @Test func anErrorIsWrittenInOpenAIShape() {
        let text = String(decoding: BifrostError.invalidRequest("bad", param: "model").openAIJSON(), as: UTF8.self)
        #expect(text == #"{"error":{"message":"bad","type":"invalid_request_error","param":"model","code":null}}"#)
    }

    @Test func theJSONParserHandlesEscapesAndRejectsGarbage() throws {
        #expect(try JSONValue.parse(#"["\u00e9\ud83d\ude00\t", -1.5e2, true, null, {}]"#) == ["é😀\t", -150, true, nil, [:]])
        #expect(throws: JSONParseError.self) { try JSONValue.parse("[1,]") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse("{} x") }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(#""\ud800""#) }
    }
}

@Suite("Dispatcher and mock provider")
struct DispatcherTests {
    let dispatcher = Dispatcher(providers: [MockProvider()])

    @Test func theMockAnswersDeterministicallyWithUsage() async {
        let context = RequestContext(requestID: "req-1")
        let first = await dispatcher.dispatch(echoRequest("Hello there"), context: context).response
        let second = await dispatcher.dispatch(echoRequest("Hello there"), context: context).response
        #expect(first == second)
        #expect(first?.choices.first?.content == "Echo: Hello there")
        #expect(first?.usage == TokenUsage(promptTokens: 6, completionTokens: 5))
        #expect(first?.id == "chatcmpl-req-1")
    }

    @Test func unknownProvidersAndModelsAre404() async {
        let unknownProvider = await dispatcher.dispatch(
            ChatRequest(provider: "nope", model: "x", messages: [ChatMessage(role: "user", content: "x")]),
            context: RequestContext())
        #expect(unknownProvider.error?.status == 404)
        #expect(unknownProvider.error?.message.contains("unknown provider 'nope'") == true)
        let unknownModel = await dispatcher.dispatch(echoRequest(model: "gpt-9"), context: RequestContext())
        #expect(unknownModel.error?.status == 404)
        #expect(unknownModel.error?.code == "model_not_found")
        let noPrefix = await dispatcher.dispatch(
            ChatRequest(provider: "", model: "echo", messages: [ChatMessage(role: "user", content: "x")]),
            context: RequestContext())
        #expect(noPrefix.error?.status == 404)
    }

    @Test func theMockHonoursItsLatency() async {
        let slow = Dispatcher(providers: [MockProvider(latency: .milliseconds(50))])
        let start = ContinuousClock.now
        _ = await slow.dispatch(echoRequest(), context: RequestContext())
        #expect(ContinuousClock.now - start >= .milliseconds(50))
    }
}
