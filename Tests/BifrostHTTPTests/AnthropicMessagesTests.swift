import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

/// An Anthropic Messages body for the mock provider.
func messagesJSON(_ content: String = "Hi", model: String = "mock/echo", extra: String = "") -> String {
    #"{"model":"\#(model)","max_tokens":64,"messages":[{"role":"user","content":"\#(content)"}]\#(extra)}"#
}

@Suite("POST /anthropic/v1/messages")
struct AnthropicMessagesTests {
    @Test("a Messages request is answered as an Anthropic message with usage")
    func happyPath() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/anthropic/v1/messages", messagesJSON("Hello there"),
                headers: ["x-api-key": "sk-ant-1", "anthropic-version": "2023-06-01"])
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "echo")
            let requestID = try #require(response.headers["x-request-id"])
            #expect(response.headers["request-id"] == requestID)
            let json = try response.json()
            #expect(json.objectField("type") == "message")
            #expect(json.objectField("role") == "assistant")
            #expect(json.objectField("model") == "echo", "the answer names the model that served it")
            #expect(json.objectField("stop_reason") == "end_turn")
            #expect(json.objectField("content") == [["type": "text", "text": "Echo: Hello there"]])
            #expect(json.objectField("usage") == ["input_tokens": 6, "output_tokens": 5])
        }
    }

    @Test("a system prompt and content blocks are understood")
    func systemAndBlocks() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/anthropic/v1/messages",
                #"{"model":"mock/echo","max_tokens":16,"system":"Be brief.","#
                    + #""messages":[{"role":"user","content":[{"type":"text","text":"Ping"}]}]}"#)
            #expect(response.status == 200)
            #expect(try response.json().objectField("content") == [["type": "text", "text": "Echo: Ping"]])
        }
    }

    @Test("errors have Anthropic's shape and the right status")
    func errors() async throws {
        try await withServer { client, _ in
            let unknown = try await client.postJSON("/anthropic/v1/messages", messagesJSON(model: "mock/claude-9"))
            #expect(unknown.status == 404)
            #expect(unknown.headers["request-id"] != nil)
            let unknownJSON = try unknown.json()
            #expect(unknownJSON.objectField("type") == "error")
            #expect(unknownJSON.objectField("error")?.objectField("type") == "not_found_error")
            #expect(unknownJSON.objectField("error")?.objectField("message")?.stringValue?.contains("claude-9") == true)

            let noMaxTokens = try await client.postJSON(
                "/anthropic/v1/messages", #"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(noMaxTokens.status == 400)
            #expect(try noMaxTokens.json().objectField("error")?.objectField("type") == "invalid_request_error")

            let malformed = try await client.postJSON("/anthropic/v1/messages", "{")
            #expect(malformed.status == 400)
            #expect(try malformed.json().objectField("type") == "error")

            let failing = try await client.postJSON("/anthropic/v1/messages", messagesJSON(model: "mock/fail"))
            #expect(failing.status == 503)
            #expect(try failing.json().objectField("error")?.objectField("type") == "overloaded_error")

            let wrongMethod = try await client.get("/anthropic/v1/messages")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.headers["allow"] == "POST")
        }
    }

    @Test("a plugin rejection reaches an Anthropic client with its status and headers")
    func rejection() async throws {
        try await withServer(try await makeBifrost([ChainEntry(RejectingPlugin())])) { client, _ in
            let response = try await client.postJSON("/anthropic/v1/messages", messagesJSON())
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
            let json = try response.json()
            #expect(json.objectField("error")?.objectField("type") == "rate_limit_error")
            #expect(json.objectField("error")?.objectField("message") == "Slow down, client")
        }
    }

    @Test("x-api-key identifies the client by a hash, like a bearer key")
    func apiKeyIdentity() async throws {
        try await withServer(try await makeBifrost([ChainEntry(ContextReporter())])) { client, _ in
            let response = try await client.postJSON(
                "/anthropic/v1/messages", messagesJSON(), headers: ["x-api-key": "sk-test-123"])
            #expect(response.status == 200)
            #expect(response.headers["x-test-client-id"] == ClientIDSecret.processDefault.clientID(forKey: "sk-test-123"))
            #expect(response.headers["x-test-route"] == "/anthropic/v1/messages")
            #expect(response.headers.values.allSatisfy { !$0.contains("sk-test-123") })
        }
    }

    @Test("a streamed answer is Anthropic's event sequence, text deltas concatenating to the answer")
    func streamed() async throws {
        try await withServer { client, _ in
            let events = try await client.withEventStream(
                "POST", "/anthropic/v1/messages", body: Array(messagesJSON("Hello there", extra: #","stream":true"#).utf8)
            ) { stream in
                #expect(stream.status == 200)
                #expect(stream.headers["content-type"] == "text/event-stream")
                #expect(stream.headers["request-id"] != nil)
                #expect(stream.headers["x-bifrost-provider"] == "mock")
                return try await stream.collect()
            }
            let names = events.compactMap(\.event)
            #expect(names.count == events.count, "every event is named")
            #expect(names.first == "message_start")
            #expect(names.last == "message_stop")
            #expect(names.contains("content_block_start"))
            #expect(names.contains("content_block_stop"))
            for event in events {
                #expect(try event.json().objectField("type") == .string(event.event ?? ""))
            }
            let text = try events.filter { $0.event == "content_block_delta" }.map { event in
                try event.json().objectField("delta")?.objectField("text")?.stringValue ?? ""
            }.joined()
            #expect(text == "Echo: Hello there")
            let delta = try #require(events.first { $0.event == "message_delta" })
            let deltaJSON = try delta.json()
            #expect(deltaJSON.objectField("delta")?.objectField("stop_reason") == "end_turn")
            #expect(deltaJSON.objectField("usage")?.objectField("output_tokens") == 5)
            #expect(try events[0].json().objectField("message")?.objectField("model") == "echo")
        }
    }

    @Test("a streamed request for an unknown model is a JSON 404 in Anthropic's shape")
    func streamedUnknownModel() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/anthropic/v1/messages", messagesJSON(model: "mock/claude-9", extra: #","stream":true"#))
            #expect(response.status == 404)
            #expect(response.headers["content-type"] == "application/json")
            #expect(try response.json().objectField("error")?.objectField("type") == "not_found_error")
        }
    }

    @Test("an error after the stream started is an Anthropic error event, then the stream ends")
    func streamedErrorAfterStart() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(), BrokenStreamProvider()])
        try await withServer(bifrost) { client, _ in
            let events = try await client.withEventStream(
                "POST", "/anthropic/v1/messages",
                body: Array(messagesJSON(model: "broken/midway", extra: #","stream":true"#).utf8)
            ) { stream in try await stream.collect() }
            let last = try #require(events.last)
            #expect(last.event == "error")
            #expect(try last.json().objectField("error")?.objectField("type") == "api_error")
            #expect(try last.json().objectField("error")?.objectField("message") == "upstream connection reset")
            #expect(!events.contains { $0.event == "message_stop" })
        }
    }

    @Test("Anthropic streams arrive incrementally too")
    func streamedIncrementally() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(latency: .milliseconds(40))])
        try await withServer(bifrost) { client, _ in
            let events = try await client.withEventStream(
                "POST", "/anthropic/v1/messages", body: Array(messagesJSON("a b c d e", extra: #","stream":true"#).utf8)
            ) { stream in try await stream.collect() }
            let deltas = events.filter { $0.event == "content_block_delta" }
            #expect(deltas.count == 6)
            let spread = try #require(deltas.last).receivedAt - (try #require(deltas.first)).receivedAt
            #expect(spread >= .milliseconds(150))
        }
    }
}
