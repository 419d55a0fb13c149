import BifrostCore
import BifrostProviders
import BifrostTestSupport
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct OpenAIProviderTests {
    static let completion = #"""
        {"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini",
         "choices":[{"index":0,"message":{"role":"assistant","content":"Hello there"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}
        """#

    static func request(stream: Bool = false) -> ChatRequest {
        ChatRequest(
            provider: "openai", model: "gpt-4o-mini",
            messages: [.init(role: "system", content: "Be brief."), .init(role: "user", content: "Hi")],
            parameters: ["temperature": 0.5, "stream": .bool(stream)])
    }

    @Test func chatHappyPathSendsBodyAndAuthorization() async throws {
        try await withUpstream(reply: .json(body: Self.completion)) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL + "/", headers: ["OpenAI-Organization": "org-1"]),
                httpClient: http)
            let response = try await provider.chatCompletion(
                Self.request(), credentials: testCredentials, context: RequestContext())
            #expect(response.choices.first?.content == "Hello there")
            #expect(response.choices.first?.finishReason == "stop")
            #expect(response.usage == TokenUsage(promptTokens: 9, completionTokens: 2, totalTokens: 11))
            #expect(response.id == "chatcmpl-1")
            #expect(response.provider == "openai")

            let sent = try #require(server.requests.first)
            #expect(sent.method == "POST")
            #expect(sent.path == "/v1/chat/completions")
            #expect(sent.headers["authorization"] == "Bearer \(testSecret)")
            #expect(sent.headers["openai-organization"] == "org-1")
            #expect(sent.headers["content-type"] == "application/json")
            let body = try json(sent.body)
            #expect(body.objectField("model") == "gpt-4o-mini")
            #expect(body.objectField("temperature") == 0.5)
            #expect(body.objectField("stream") == nil)
            #expect(
                body.objectField("messages")
                    == [["role": "system", "content": "Be brief."], ["role": "user", "content": "Hi"]])
        }
    }

    @Test func noAuthorizationWithoutSecret() async throws {
        try await withUpstream(reply: .json(body: Self.completion)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            _ = try await provider.chatCompletion(Self.request(), credentials: .none, context: RequestContext())
            #expect(server.requests.first?.headers["authorization"] == nil)
        }
    }

    static let streamChunks = [
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#
            + "\n\n",
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}"#
            + "\n\n",
        // One event split across two writes.
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"del"#,
        #"ta":{"content":"lo"},"finish_reason":null}]}"# + "\r\n\r\n",
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#
            + "\n\n",
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}"#
            + "\n\n",
        "data: [DONE]\n\n",
    ]

    @Test func streamingForwardsChunksAsTheyArrive() async throws {
        try await withUpstream(reply: .sse(chunks: Self.streamChunks, delay: .milliseconds(120))) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(stream: true), credentials: testCredentials, context: RequestContext())
            var assembly = StreamAssembly()
            var firstArrival: ContinuousClock.Instant?
            for try await chunk in stream {
                if firstArrival == nil { firstArrival = .now }
                assembly.add(chunk)
            }
            let lastWritten = try #require(server.lastChunkWritten)
            // The first chunk reached the consumer while the upstream was still writing.
            #expect(try #require(firstArrival) < lastWritten)
            let response = assembly.response
            #expect(response.choices.first?.content == "Hello")
            #expect(response.choices.first?.finishReason == "stop")
            #expect(assembly.hasUsage)
            #expect(response.usage == TokenUsage(promptTokens: 5, completionTokens: 2, totalTokens: 7))

            let body = try json(try #require(server.requests.first).body)
            #expect(body.objectField("stream") == true)
            #expect(body.objectField("stream_options") == ["include_usage": true])
        }
    }

    @Test func embeddingsInInputOrder() async throws {
        let reply = #"""
            {"object":"list","model":"text-embedding-3-small",
             "data":[{"object":"embedding","index":1,"embedding":[0.5,0.25]},{"object":"embedding","index":0,"embedding":[1,0]}],
             "usage":{"prompt_tokens":4,"total_tokens":4}}
            """#
        try await withUpstream(reply: .json(body: reply)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let response = try await provider.embeddings(
                EmbeddingRequest(provider: "openai", model: "text-embedding-3-small", inputs: ["a", "b"]),
                credentials: testCredentials, context: RequestContext())
            #expect(response.vectors == [[1, 0], [0.5, 0.25]])
            #expect(response.usage.promptTokens == 4)
            let sent = try #require(server.requests.first)
            #expect(sent.path == "/v1/embeddings")
            #expect(sent.headers["authorization"] == "Bearer \(testSecret)")
            #expect(try json(sent.body) == ["model": "text-embedding-3-small", "input": ["a", "b"]])
        }
    }

    @Test func rateLimitKeepsStatusMessageAndRetryAfter() async throws {
        let reply = FakeReply.json(
            status: 429, body: #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
            headers: [("Retry-After", "7")])
        try await withUpstream(reply: reply) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            #expect(error.status == 429)
            #expect(error.headers["retry-after"] == "7")
            #expect(error.message.contains("Rate limit reached"))
            #expect(error.code == "rate_limit_exceeded")
            #expect(error.source == .provider("openai"))

            let streamError = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletionStream(
                        Self.request(stream: true), credentials: testCredentials, context: RequestContext())
                })
            #expect(streamError.status == 429)
            #expect(streamError.headers["retry-after"] == "7")
        }
    }

    @Test func serverErrorKeepsStatus() async throws {
        let reply = FakeReply.json(status: 500, body: #"{"error":{"message":"boom","type":"server_error"}}"#)
        try await withUpstream(reply: reply) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            #expect(error.status == 500)
            #expect(error.type == "server_error")
            #expect(error.message.contains("boom"))
        }
    }

    @Test func hangTimesOutWith504() async throws {
        try await withUpstream(reply: .hang) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL, request: .milliseconds(300)), httpClient: http)
            let started = ContinuousClock.now
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            let elapsed = ContinuousClock.now - started
            #expect(error.status == 504)
            #expect(error.code == "upstream_timeout")
            #expect(elapsed >= .milliseconds(250) && elapsed < .seconds(5))

            let streamStarted = ContinuousClock.now
            let streamError = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletionStream(
                        Self.request(stream: true), credentials: testCredentials, context: RequestContext())
                })
            #expect(streamError.status == 504)
            #expect(streamError.code == "upstream_timeout")
            // Generous: a busy test machine can stall every thread for a second or two.
            #expect(ContinuousClock.now - streamStarted < .seconds(5))
        }
    }

    @Test func idleStreamEndsWith504() async throws {
        let first =
            #"data: {"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#
            + "\n\n"
        try await withUpstream(reply: .sseThenHang(first: first)) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL, request: .seconds(30), idle: .milliseconds(300)),
                httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(stream: true), credentials: testCredentials, context: RequestContext())
            var contents: [String] = []
            let started = ContinuousClock.now
            let error = await bifrostError { () async throws(BifrostError) in
                for try await chunk in stream { contents.append(chunk.choices.first?.content ?? "") }
            }
            #expect(contents == ["Hi"])
            #expect(error?.status == 504)
            #expect(error?.code == "upstream_timeout")
            #expect(error?.message.contains("idle") == true)
            // The idle timeout, not the 30 s request timeout (generous: a busy machine stalls).
            #expect(ContinuousClock.now - started < .seconds(10))
        }
    }

    @Test func resetConnectionIs502() async throws {
        try await withUpstream(reply: .reset) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            #expect(error.status == 502)
            #expect(error.type == "upstream_error")
            #expect(error.code == "upstream_reset")
        }
    }

    @Test func refusedConnectionIs502Unreachable() async throws {
        let port = try await FakeUpstream.unusedPort()
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(settings: testSettings(baseURL: "http://127.0.0.1:\(port)/v1"), httpClient: http)
        let started = ContinuousClock.now
        let error = await bifrostError { () async throws(BifrostError) in
            try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
        }
        await http.shutdown()
        #expect(error?.status == 502)
        #expect(error?.code == "upstream_unreachable")
        #expect(error?.message == "openai: could not connect to 127.0.0.1 port \(port): connection refused")
        // Refused at once, not after a timeout (generous: the machine may be busy with other tests).
        #expect(ContinuousClock.now - started < .seconds(8))
        #expect(error?.message.contains(testSecret) == false)
    }

    @Test func malformedBodyIs502() async throws {
        try await withUpstream(reply: .json(body: #"{"choices": [ {"message": "#)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let error = try #require(
                await bifrostError { () async throws(BifrostError) in
                    try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                })
            #expect(error.status == 502)
            #expect(error.code == "malformed_response")
            #expect(error.type == "upstream_error")
        }
    }

    @Test func malformedStreamChunkIs502() async throws {
        try await withUpstream(reply: .sse(chunks: ["data: {nope\n\n"])) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(stream: true), credentials: testCredentials, context: RequestContext())
            let error = await bifrostError { () async throws(BifrostError) in
                for try await _ in stream {}
            }
            #expect(error?.status == 502)
            #expect(error?.code == "malformed_response")
        }
    }

    @Test func streamCutShortIs502() async throws {
        let chunks = [#"data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}"# + "\n\n"]
        try await withUpstream(reply: .sse(chunks: chunks)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request(stream: true), credentials: testCredentials, context: RequestContext())
            let error = await bifrostError { () async throws(BifrostError) in
                for try await _ in stream {}
            }
            #expect(error?.status == 502)
            #expect(error?.code == "upstream_reset")
        }
    }

    @Test func secretNeverInErrorsOrLogs() async throws {
        let capture = LogCapture()
        let echo = FakeReply.json(
            status: 401,
            body:
                #"{"error":{"message":"Incorrect API key provided: \#(testSecret)","type":"invalid_request_error","code":"invalid_api_key"}}"#
        )
        let script: FakeUpstream.Handler = { request in request.path.hasPrefix("/hang") ? .hang : echo }
        try await withUpstream(script) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL, request: .seconds(10)), httpClient: http,
                logger: capture.logger)
            var errors: [BifrostError] = []
            errors.append(
                try #require(
                    await bifrostError { () async throws(BifrostError) in
                        try await provider.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                    }))
            errors.append(
                try #require(
                    await bifrostError { () async throws(BifrostError) in
                        try await provider.chatCompletionStream(
                            Self.request(stream: true), credentials: testCredentials, context: RequestContext())
                    }))
            let hanging = OpenAIProvider(
                settings: testSettings(baseURL: "http://127.0.0.1:\(server.port)/hang", request: .milliseconds(300)),
                httpClient: http, logger: capture.logger)
            errors.append(
                try #require(
                    await bifrostError { () async throws(BifrostError) in
                        try await hanging.chatCompletion(Self.request(), credentials: testCredentials, context: RequestContext())
                    }))
            #expect(errors.map(\.status) == [401, 401, 504])
            #expect(errors[0].message.contains("[redacted]"))
            for error in errors {
                #expect(!error.message.contains(testSecret))
                #expect(!"\(error)".contains(testSecret))
            }
            #expect(!capture.all.isEmpty)
            for line in capture.all { #expect(!line.contains(testSecret)) }
            #expect(server.requests.first?.headers["authorization"] == "Bearer \(testSecret)")
        }
    }

    @Test func cancellingTheConsumerCancelsTheUpstreamRequest() async throws {
        try await withUpstream(reply: .sseForever(interval: .milliseconds(30))) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let received = Mutex(0)
            let consumer = Task {
                let stream = try await provider.chatCompletionStream(
                    Self.request(stream: true), credentials: testCredentials, context: RequestContext())
                for try await _ in stream { received.withLock { $0 += 1 } }
            }
            let waitStarted = ContinuousClock.now
            while received.withLock({ $0 }) < 3 && ContinuousClock.now - waitStarted < .seconds(5) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(received.withLock { $0 } >= 3)
            #expect(server.closedConnections.isEmpty)
            let cancelled = ContinuousClock.now
            consumer.cancel()
            while server.closedConnections.isEmpty && ContinuousClock.now - cancelled < .seconds(3) {
                try await Task.sleep(for: .milliseconds(10))
            }
            let closed = try #require(server.closedConnections.first)
            #expect(closed - cancelled < .seconds(1))
            _ = await consumer.result
        }
    }
}
