import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

@Suite("POST /v1/chat/completions")
struct ChatCompletionsTests {
    @Test("a chat request is answered by the mock provider, with usage and gateway headers")
    func happyPath() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON("Hi"))
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["content-length"] == String(response.body.count))
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "echo")
            let requestID = try #require(response.headers["x-request-id"])
            #expect(requestID.hasPrefix("req-"))

            let json = try response.json()
            #expect(json.objectField("object") == "chat.completion")
            #expect(json.objectField("id") == .string("chatcmpl-" + requestID))
            #expect(json.objectField("model") == "echo")
            guard case .array(let choices)? = json.objectField("choices"), let first = choices.first
            else {
                Issue.record("no choices in \(response.text)")
                return
            }
            #expect(first.objectField("message")?.objectField("role") == "assistant")
            #expect(first.objectField("message")?.objectField("content") == "Echo: Hi")
            #expect(first.objectField("finish_reason") == "stop")
            #expect(
                json.objectField("usage") == [
                    "prompt_tokens": 4, "completion_tokens": 2, "total_tokens": 6,
                ])
        }
    }

    @Test("malformed JSON is a 400 invalid_request_error")
    func malformedJSON() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", #"{"model": "mock/echo", "messages": ["#)
            #expect(response.status == 400)
            #expect(response.headers["x-request-id"] != nil)
            let error = try errorFields(response)
            #expect(error["type"] == "invalid_request_error")
            #expect(error["code"] == "invalid_json")
            #expect(error["message"]?.stringValue?.contains("not valid JSON") == true)
        }
    }

    @Test("an empty body is a 400")
    func emptyBody() async throws {
        try await withServer { client, _ in
            let response = try await client.send("POST", "/v1/chat/completions")
            #expect(response.status == 400)
            #expect(try errorFields(response)["type"] == "invalid_request_error")
        }
    }

    @Test("a missing model is a 400 naming the model parameter")
    func missingModel() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", #"{"messages":[{"role":"user","content":"Hi"}]}"#)
            #expect(response.status == 400)
            let error = try errorFields(response)
            #expect(error["type"] == "invalid_request_error")
            #expect(error["param"] == "model")
            #expect(error["message"]?.stringValue?.contains("model") == true)
        }
    }

    @Test("missing messages is a 400 naming the messages parameter")
    func missingMessages() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", #"{"model":"mock/echo"}"#)
            #expect(response.status == 400)
            let error = try errorFields(response)
            #expect(error["param"] == "messages")
            #expect(error["code"] == .null)
        }
    }

    @Test("a temperature out of range is a 400 with param temperature")
    func badTemperature() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(extra: #","temperature":7"#))
            #expect(response.status == 400)
            let error = try errorFields(response)
            #expect(error["type"] == "invalid_request_error")
            #expect(error["param"] == "temperature")
            #expect(error["message"]?.stringValue?.contains("between") == true)
        }
    }

    @Test("an unknown provider is a 404 model_not_found")
    func unknownProvider() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON(model: "nope/gpt"))
            #expect(response.status == 404)
            let error = try errorFields(response)
            #expect(error["code"] == "model_not_found")
            #expect(error["param"] == "model")
            #expect(error["message"]?.stringValue?.contains("nope") == true)
        }
    }

    @Test("an unknown model of a known provider is a 404 model_not_found")
    func unknownModel() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(model: "mock/gpt-9"))
            #expect(response.status == 404)
            let error = try errorFields(response)
            #expect(error["code"] == "model_not_found")
            #expect(error["message"]?.stringValue?.contains("gpt-9") == true)
        }
    }

    @Test("a provider failure keeps its status and shape")
    func providerFailure() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON(model: "mock/fail"))
            #expect(response.status == 503)
            let error = try errorFields(response)
            #expect(error["type"] == "provider_error")
            #expect(error["code"] == "mock_failure")
            #expect(response.headers["x-bifrost-provider"] == nil)
        }
    }

    @Test("\"stream\": false answers a complete chat.completion; \"stream\": true answers events")
    func streamFlag() async throws {
        try await withServer { client, _ in
            let streaming = try await client.postJSON(
                "/v1/chat/completions", chatJSON(extra: #","stream":true"#))
            #expect(streaming.status == 200)
            #expect(streaming.headers["content-type"] == "text/event-stream")

            let notStreaming = try await client.postJSON(
                "/v1/chat/completions", chatJSON(extra: #","stream":false"#))
            #expect(notStreaming.status == 200)
            #expect(notStreaming.headers["content-type"] == "application/json")
        }
    }

    @Test("a plugin's rejection reaches the client with status, message and retry-after")
    func pluginRejection() async throws {
        try await withServer(try await makeBifrost([ChainEntry(RejectingPlugin())])) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
            #expect(response.headers["x-request-id"] != nil)
            let error = try errorFields(response)
            #expect(error["message"] == "Slow down, client")
            #expect(error["type"] == "rate_limit_exceeded")
            #expect(error["code"] == "rate_limited")
        }
    }

    @Test("an error whose status is not 4xx/5xx is sent as 500, with its body")
    func errorStatusSanitised() async throws {
        try await withServer(try await makeBifrost([ChainEntry(RejectingPlugin(status: 200))])) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 500)
            #expect(try errorFields(response)["message"] == "Slow down, client")
        }
    }

    @Test("a fail-closed plugin fault is a 500 naming the plugin")
    func pluginFault() async throws {
        try await withServer(try await makeBifrost([ChainEntry(FaultingPlugin(name: "faulty"))])) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 500)
            let error = try errorFields(response)
            #expect(error["type"] == "plugin_error")
            #expect(error["code"] == "plugin_fault")
            #expect(error["message"]?.stringValue?.contains("faulty") == true)
        }
    }

    @Test("a fail-open plugin fault skips the plugin")
    func failOpenFault() async throws {
        let bifrost = try await makeBifrost([ChainEntry(FaultingPlugin(name: "flaky"), failurePolicy: .failOpen)])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON("still here"))
            #expect(response.status == 200)
            #expect(
                try response.json().objectField("choices")
                    == [
                        [
                            "index": 0, "message": ["role": "assistant", "content": "Echo: still here"],
                            "finish_reason": "stop",
                        ]
                    ])
        }
    }

    @Test("an incoming x-request-id is echoed and reaches the context; an invalid one is replaced")
    func requestIDEchoed() async throws {
        try await withServer(try await makeBifrost([ChainEntry(ContextReporter())])) { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["X-Request-Id": "client-42.a_b"])
            #expect(response.status == 200)
            #expect(response.headers["x-request-id"] == "client-42.a_b")
            #expect(response.headers["x-test-request-id"] == "client-42.a_b")
            #expect(try response.json().objectField("id") == "chatcmpl-client-42.a_b")

            for invalid in ["has space", String(repeating: "a", count: 129), "semi;colon"] {
                let replaced = try await client.postJSON(
                    "/v1/chat/completions", chatJSON(), headers: ["x-request-id": invalid])
                #expect(replaced.headers["x-request-id"]?.hasPrefix("req-") == true)
                #expect(replaced.headers["x-request-id"] == replaced.headers["x-test-request-id"])
            }
            let longest = String(repeating: "b", count: 128)
            let kept = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["x-request-id": longest])
            #expect(kept.headers["x-request-id"] == longest)

            let health = try await client.get("/health", headers: ["x-request-id": "health-1"])
            #expect(health.headers["x-request-id"] == "health-1")
        }
    }

    @Test("the client id is a keyed hash of the bearer key, never the key; otherwise the peer address")
    func clientIdentity() async throws {
        try await withServer(try await makeBifrost([ChainEntry(ContextReporter())])) { client, _ in
            let withKey = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["Authorization": "Bearer sk-test-123"])
            #expect(withKey.headers["x-test-client-id"] == ClientIDSecret.processDefault.clientID(forKey: "sk-test-123"))
            #expect(!withKey.text.contains("sk-test-123"))
            #expect(withKey.headers.values.allSatisfy { !$0.contains("sk-test-123") })

            let lowercase = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["authorization": "bearer   a  "])
            #expect(lowercase.headers["x-test-client-id"] == ClientIDSecret.processDefault.clientID(forKey: "a"))

            let anonymous = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(anonymous.headers["x-test-client-id"] == "127.0.0.1")

            let basic = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["Authorization": "Basic dXNlcjpwYXNz"])
            #expect(basic.headers["x-test-client-id"] == "127.0.0.1")

            // Anthropic's clients send the key as x-api-key: the same key, the same id.
            let apiKey = try await client.postJSON(
                "/v1/chat/completions", chatJSON(), headers: ["x-api-key": " sk-test-123 "])
            #expect(apiKey.headers["x-test-client-id"] == ClientIDSecret.processDefault.clientID(forKey: "sk-test-123"))
            #expect(apiKey.headers.values.allSatisfy { !$0.contains("sk-test-123") })
            let emptyKey = try await client.postJSON("/v1/chat/completions", chatJSON(), headers: ["x-api-key": ""])
            #expect(emptyKey.headers["x-test-client-id"] == "127.0.0.1")
        }
    }

    @Test("plugin headers are merged; framing headers and unsafe values are not")
    func pluginHeadersMerged() async throws {
        try await withServer(try await makeBifrost([ChainEntry(ContextReporter())])) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions?debug=1", chatJSON())
            #expect(response.status == 200)
            #expect(response.headers["x-test-route"] == "/v1/chat/completions")
            #expect(response.headers["x-test-multi"] == "one, two")
            #expect(response.headers["x-bad-header"] == nil)
            #expect(response.headers["x-injected"] == nil)
            #expect(response.headers["content-length"] == String(response.body.count))
            #expect(try response.json().objectField("object") == "chat.completion")
        }
    }

    @Test("a thousand concurrent requests are all answered")
    func manyConcurrentRequests() async throws {
        try await withServer(try await makeBifrost(providers: [MockProvider(latency: .milliseconds(1))])) {
            client, _ in
            let statuses = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let response = try await client.postJSON(
                            "/v1/chat/completions", chatJSON("n\(index)"), headers: ["x-request-id": "n\(index)"])
                        let echoed =
                            response.headers["x-request-id"] == "n\(index)"
                            && response.text.contains("Echo: n\(index)\"")
                        return (response.status, echoed)
                    }
                }
                var results: [(Int, Bool)] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(statuses.count == 1000)
            #expect(statuses.allSatisfy { $0.0 == 200 && $0.1 })
        }
    }

    @Test(
        "chat requests are answered whichever executor runs their tasks",
        arguments: [RequestExecutor.eventLoop, RequestExecutor.global])
    func requestExecutors(_ executor: RequestExecutor) async throws {
        let bifrost = try await makeBifrost(
            [ChainEntry(ContextReporter())], providers: [MockProvider(), MockProvider(name: "slow", latency: .milliseconds(2))])
        try await withServer(bifrost, requestExecutor: executor) { client, _ in
            let answers = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<200 {
                    group.addTask {
                        let model = index.isMultiple(of: 2) ? "mock/echo" : "slow/echo"
                        let response = try await client.postJSON("/v1/chat/completions", chatJSON("e\(index)", model: model))
                        return response.status == 200 && response.text.contains("Echo: e\(index)\"")
                    }
                }
                var answers: [Bool] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.count == 200)
            #expect(answers.allSatisfy { $0 })
            try await client.withConnection { connection in
                for index in 0..<20 {
                    let response = try await connection.send(
                        "POST", "/v1/chat/completions", body: Array(chatJSON("k\(index)", model: "slow/echo").utf8))
                    #expect(response.text.contains("Echo: k\(index)"))
                }
            }
        }
    }
}
