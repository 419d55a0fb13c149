import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

/// Streams `role`, then `"tick"` every `interval`, forever; records when its producer is cancelled.
struct EndlessProvider: Provider {
    let name = "endless"
    let models = ["forever"]
    let interval: Duration
    let cancelled: LockedValue<Bool>
    let started: LockedValue<Bool>

    init(interval: Duration = .milliseconds(10)) {
        self.interval = interval
        self.cancelled = LockedValue(false)
        self.started = LockedValue(false)
    }

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        throw .invalidRequest("stream only")
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        let interval = interval
        let cancelled = cancelled
        let started = started
        return ChatStream { continuation throws(BifrostError) in
            started.withLock { $0 = true }
            await continuation.yield(
                ChatChunk(id: "c1", provider: "endless", model: "forever", choices: [.init(role: "assistant")]))
            while true {
                do {
                    try await Task.sleep(for: interval)
                } catch {
                    cancelled.withLock { $0 = true }
                    throw BifrostError(status: 499, type: "request_cancelled", message: "cancelled")
                }
                await continuation.yield(
                    ChatChunk(id: "c1", provider: "endless", model: "forever", choices: [.init(content: "tick")]))
            }
        }
    }
}

/// Streams two chunks and then fails with a 502, or fails before any chunk (`failFirst`).
struct BrokenStreamProvider: Provider {
    let name = "broken"
    let models = ["midway", "first"]

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        throw .invalidRequest("stream only")
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        let failFirst = request.model == "first"
        return ChatStream { continuation throws(BifrostError) in
            let error = BifrostError(
                status: 502, type: "provider_error", code: "upstream_reset", message: "upstream connection reset",
                source: .provider("broken"))
            if failFirst { throw error }
            await continuation.yield(
                ChatChunk(id: "b1", provider: "broken", model: "midway", choices: [.init(role: "assistant")]))
            await continuation.yield(
                ChatChunk(id: "b1", provider: "broken", model: "midway", choices: [.init(content: "partial")]))
            throw error
        }
    }
}

/// The exact `data:` line of one mock chunk.
private func chunkLine(
    id: String, created: Int, delta: String, finish: String? = nil, usage: String? = nil
) -> String {
    let finishText = finish.map { "\"\($0)\"" } ?? "null"
    let usageText = usage.map { #","usage":\#($0)"# } ?? ""
    return #"data: {"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"echo","#
        + #""choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(finishText)}]\#(usageText)}"# + "\n\n"
}

/// The `created` field of the first event of a stream body.
private func createdOfFirstEvent(_ body: String) throws -> Int {
    let firstLine = try #require(body.split(separator: "\n").first)
    let json = try JSONValue.parse(String(firstLine.dropFirst("data: ".count)))
    return try #require(json.objectField("created")?.intValue)
}

@Suite("POST /v1/chat/completions with \"stream\": true")
struct StreamingTests {
    @Test("the mock's stream is exact SSE: role chunk, word chunks, finish chunk, [DONE]; no usage unless asked")
    func exactFormat() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON("Hi there", extra: #","stream":true"#),
                headers: ["x-request-id": "stream-1"])
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "text/event-stream")
            #expect(response.headers["cache-control"] == "no-cache")
            #expect(response.headers["transfer-encoding"] == "chunked")
            #expect(response.headers["content-length"] == nil)
            #expect(response.headers["x-request-id"] == "stream-1")
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "echo")
            let created = try createdOfFirstEvent(response.text)
            let id = "chatcmpl-stream-1"
            let expected =
                chunkLine(id: id, created: created, delta: #"{"role":"assistant","content":""}"#)
                + chunkLine(id: id, created: created, delta: #"{"content":"Echo:"}"#)
                + chunkLine(id: id, created: created, delta: #"{"content":" Hi"}"#)
                + chunkLine(id: id, created: created, delta: #"{"content":" there"}"#)
                + chunkLine(id: id, created: created, delta: "{}", finish: "stop")
                + "data: [DONE]\n\n"
            #expect(response.text == expected)
        }
    }

    @Test("include_usage: every chunk has usage null, then a chunk with no choices carries the usage")
    func includeUsage() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions",
                chatJSON("Hi there", extra: #","stream":true,"stream_options":{"include_usage":true}"#),
                headers: ["x-request-id": "stream-2"])
            #expect(response.status == 200)
            let created = try createdOfFirstEvent(response.text)
            let id = "chatcmpl-stream-2"
            let expected =
                chunkLine(id: id, created: created, delta: #"{"role":"assistant","content":""}"#, usage: "null")
                + chunkLine(id: id, created: created, delta: #"{"content":"Echo:"}"#, usage: "null")
                + chunkLine(id: id, created: created, delta: #"{"content":" Hi"}"#, usage: "null")
                + chunkLine(id: id, created: created, delta: #"{"content":" there"}"#, usage: "null")
                + chunkLine(id: id, created: created, delta: "{}", finish: "stop", usage: "null")
                + #"data: {"id":"\#(id)","object":"chat.completion.chunk","created":\#(created),"model":"echo","#
                + #""choices":[],"usage":{"prompt_tokens":5,"completion_tokens":4,"total_tokens":9}}"# + "\n\n"
                + "data: [DONE]\n\n"
            #expect(response.text == expected)
        }
    }

    @Test("include_usage false and stream_options null strip usage")
    func includeUsageFalse() async throws {
        try await withServer { client, _ in
            for options in [#"{"include_usage":false}"#, "null", "{}"] {
                let response = try await client.postJSON(
                    "/v1/chat/completions", chatJSON(extra: #","stream":true,"stream_options":\#(options)"#))
                #expect(response.status == 200)
                #expect(!response.text.contains("usage"))
                #expect(response.text.hasSuffix("data: [DONE]\n\n"))
            }
        }
    }

    @Test("malformed stream_options are 400s naming the field")
    func badStreamOptions() async throws {
        try await withServer { client, _ in
            let cases: [(String, String)] = [
                (#","stream":true,"stream_options":true"#, "stream_options"),
                (#","stream":true,"stream_options":{"include_usage":"yes"}"#, "stream_options.include_usage"),
                (#","stream_options":{"include_usage":true}"#, "stream_options"),
                (#","stream":"yes""#, "stream"),
            ]
            for (extra, param) in cases {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON(extra: extra))
                #expect(response.status == 400, "\(extra)")
                #expect(response.headers["content-type"] == "application/json")
                #expect(try errorFields(response)["param"] == .string(param), "\(extra)")
            }
        }
    }

    @Test("chunks reach the client as they are produced, not when the stream ends")
    func incremental() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(latency: .milliseconds(50))])
        let words = (1...8).map { "w\($0)" }.joined(separator: " ")
        try await withServer(bifrost) { client, _ in
            let events = try await client.withEventStream(
                "POST", "/v1/chat/completions", body: Array(chatJSON(words, extra: #","stream":true"#).utf8)
            ) { stream in
                #expect(stream.status == 200)
                #expect(stream.headers["content-type"] == "text/event-stream")
                return try await stream.collect()
            }
            // role, 9 words ("Echo:" + 8), finish, [DONE]
            #expect(events.count == 12)
            #expect(events.last?.data == "[DONE]")
            let first = try #require(events.first)
            let last = try #require(events.last)
            let total = last.receivedAt - first.receivedAt
            // Nine word chunks are 50 ms apart: the first event arrives long before the last.
            #expect(total >= .milliseconds(300), "events arrived together: \(total)")
            // (Where inside that span the client's reads land depends on scheduling on a busy machine.)
        }
    }

    @Test("incremental delivery works with the global request executor too")
    func incrementalGlobalExecutor() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(latency: .milliseconds(40))])
        try await withServer(bifrost, requestExecutor: .global) { client, _ in
            let events = try await client.withEventStream(
                "POST", "/v1/chat/completions", body: Array(chatJSON("a b c d e", extra: #","stream":true"#).utf8)
            ) { stream in try await stream.collect() }
            #expect(events.count == 9)
            let content = try events.dropLast().compactMap { event -> String? in
                guard case .array(let choices)? = try event.json().objectField("choices") else { return nil }
                return choices.first?.objectField("delta")?.objectField("content")?.stringValue
            }.joined()
            #expect(content == "Echo: a b c d e")
            let gap = try #require(events.last).receivedAt - (try #require(events.first)).receivedAt
            #expect(gap >= .milliseconds(150))
        }
    }

    @Test("an error after the stream started becomes an error event, and the stream ends without [DONE]")
    func errorAfterStart() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(), BrokenStreamProvider()])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(model: "broken/midway", extra: #","stream":true"#))
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-provider"] == "broken")
            let events = response.text.components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.count == 3)
            #expect(
                events.last
                    == #"data: {"error":{"message":"upstream connection reset","type":"provider_error","#
                    + #""param":null,"code":"upstream_reset"}}"#)
            #expect(!response.text.contains("[DONE]"))
        }
    }

    @Test("a stream that fails before its first chunk is answered as a JSON error with its status")
    func errorBeforeFirstChunk() async throws {
        let bifrost = try await makeBifrost(providers: [MockProvider(), BrokenStreamProvider()])
        try await withServer(bifrost) { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(model: "broken/first", extra: #","stream":true"#))
            #expect(response.status == 502)
            #expect(response.headers["content-type"] == "application/json")
            #expect(try errorFields(response)["code"] == "upstream_reset")
        }
    }

    @Test("an unknown model is a JSON 404 before any stream")
    func unknownModel() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON(model: "mock/gpt-9", extra: #","stream":true"#))
            #expect(response.status == 404)
            #expect(response.headers["content-type"] == "application/json")
            #expect(try errorFields(response)["code"] == "model_not_found")
            let failing = try await client.postJSON(
                "/v1/chat/completions", chatJSON(model: "mock/fail", extra: #","stream":true"#))
            #expect(failing.status == 503)
            #expect(try errorFields(failing)["code"] == "mock_failure")
        }
    }

    @Test("a PreHook rejection of a streamed request is a JSON error with its status and headers")
    func rejectedStream() async throws {
        try await withServer(try await makeBifrost([ChainEntry(RejectingPlugin())])) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON(extra: #","stream":true"#))
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
            #expect(try errorFields(response)["message"] == "Slow down, client")
        }
    }

    @Test("a client that disconnects mid-stream cancels the upstream stream")
    func disconnectCancels() async throws {
        let endless = EndlessProvider()
        let bifrost = try await makeBifrost(providers: [MockProvider(), endless])
        try await withServer(bifrost) { client, _ in
            let received = try await client.withEventStream(
                "POST", "/v1/chat/completions",
                body: Array(chatJSON(model: "endless/forever", extra: #","stream":true"#).utf8)
            ) { stream in
                var events: [ServerSentEvent] = []
                while events.count < 3, let event = try await stream.next() { events.append(event) }
                return events.count
            }
            #expect(received == 3)
            #expect(endless.started.withLock { $0 })
            // The connection is closed now; the server notices at its next write.
            let deadline = ContinuousClock.now + .seconds(5)
            while !endless.cancelled.withLock({ $0 }) && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(endless.cancelled.withLock { $0 }, "the provider's stream was not cancelled")
            // The server is still fine.
            #expect(try await client.get("/health").status == 200)
        }
    }

    @Test("a slow reader holds the writer back; what it gets is in order and ends with [DONE]")
    func slowReader() async throws {
        // A long answer: 20,000 words in ~2 MB of events, far more than the socket buffers
        // hold, read only after a pause.
        let words = (0..<20_000).map { "word\($0)" }
        try await withServer { client, _ in
            let (received, done) = try await client.withEventStream(
                "POST", "/v1/chat/completions",
                body: Array(chatJSON(words.joined(separator: " "), extra: #","stream":true"#).utf8)
            ) { stream in
                try await Task.sleep(for: .milliseconds(300))
                var received: [Int] = []
                var done = false
                while let event = try await stream.next() {
                    if event.data == "[DONE]" {
                        done = true
                        break
                    }
                    guard case .array(let choices)? = try event.json().objectField("choices"),
                        let content = choices.first?.objectField("delta")?.objectField("content")?.stringValue,
                        let number = Int(content.drop(while: { !$0.isNumber }))
                    else { continue }
                    received.append(number)
                }
                return (received, done)
            }
            #expect(done)
            #expect(received == received.sorted(), "chunks arrived out of order")
            #expect(try await client.get("/health").status == 200)
            // The transport waits for a slow client; the core buffers the answer, losing nothing.
            #expect(received == Array(0..<words.count))
        }
    }

    @Test("streams and complete answers alternate on one keep-alive connection")
    func keepAlive() async throws {
        try await withServer { client, _ in
            try await client.withConnection { connection in
                for round in 0..<3 {
                    let stream = try await connection.openEventStream(
                        "POST", "/v1/chat/completions", body: Array(chatJSON("r\(round)", extra: #","stream":true"#).utf8))
                    #expect(stream.status == 200)
                    let events = try await stream.collect()
                    #expect(events.last?.data == "[DONE]")
                    let plain = try await connection.send(
                        "POST", "/v1/chat/completions", headers: ["content-type": "application/json"],
                        body: Array(chatJSON("p\(round)").utf8))
                    #expect(plain.status == 200)
                    #expect(try plain.json().objectField("object") == "chat.completion")
                }
            }
        }
    }

    @Test("chunk hooks and PostHooks see the stream; a PostHook's change of the assembled answer does not break it")
    func pluginsSeeStream() async throws {
        let seen = LockedValue<[String]>([])
        try await withServer(try await makeBifrost([ChainEntry(ChunkRecorder(seen: seen))])) { client, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", chatJSON("a b", extra: #","stream":true"#))
            #expect(response.status == 200)
            #expect(response.text.contains(#""content":" A""#))
            #expect(seen.withLock { $0 } == ["", "Echo:", " a", " b", "", "post:Echo: A b"])
        }
    }
}

/// Upper-cases `a` in content deltas and records what its hooks saw.
struct ChunkRecorder: Plugin {
    let descriptor = PluginDescriptor(name: "chunk-recorder", version: "1.0.0", hooks: [.post, .chunk])
    let seen: LockedValue<[String]>

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        if case .response(let response) = outcome {
            seen.withLock { $0.append("post:" + (response.choices.first?.content ?? "")) }
        }
    }

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        let content = chunk.choices.first?.content ?? ""
        seen.withLock { $0.append(content) }
        if content == " a" { chunk.choices[0].content = " A" }
        return .continue
    }
}
