import BifrostCore
import BifrostProviders
import BifrostTestSupport
import Testing

@Suite("upstream streams: a reader that falls behind slows the upstream instead of filling memory", .timeLimit(.minutes(1)))
struct StreamBackPressureTests {
    static let request = ChatRequest(
        provider: "openai", model: "gpt-4o-mini", messages: [.init(role: "user", content: "flood")],
        parameters: ["stream": true])

    @Test("a stalled reader stops the upstream's writes; reading again delivers every chunk in order")
    func stalledReaderThenEverything() async throws {
        let events = 4_000
        let contentBytes = 4_096
        try await withUpstream(reply: .sseFlood(events: events, contentBytes: contentBytes)) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL, idle: .seconds(20)), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request, credentials: testCredentials, context: RequestContext())
            var iterator = stream.makeAsyncIterator()
            _ = try await iterator.next()
            // Nothing read for a while: the upstream can write only what the buffer and the
            // two sockets' kernel buffers hold, far less than its 16 MiB answer.
            try await Task.sleep(for: .milliseconds(800))
            let writtenWhileStalled = server.bodyBytesWritten
            try await Task.sleep(for: .milliseconds(400))
            #expect(server.bodyBytesWritten == writtenWhileStalled, "the upstream is held, not drained into memory")
            #expect(writtenWhileStalled < events * contentBytes / 2, "\(writtenWhileStalled) bytes written while stalled")

            var numbers: [Int] = []
            while let chunk = try await iterator.next() {
                guard let content = chunk.choices.first?.content, !content.isEmpty else { continue }
                numbers.append(Int(content.prefix { $0 != " " }) ?? -1)
            }
            #expect(numbers == Array(1..<events), "every chunk after the first, in order, none lost or repeated")
        }
    }

    @Test("a reader that leaves a paused stream closes the upstream connection")
    func leavingClosesTheUpstream() async throws {
        try await withUpstream(reply: .sseFlood(events: 100_000, contentBytes: 4_096)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            do {
                let stream = try await provider.chatCompletionStream(
                    Self.request, credentials: testCredentials, context: RequestContext())
                var iterator = stream.makeAsyncIterator()
                _ = try await iterator.next()
                try await Task.sleep(for: .milliseconds(300))
            }
            try await Polling.eventually { server.closedConnections.count == 1 }
            #expect(server.closedConnections.count == 1)
            #expect(server.bodyBytesWritten < 64 << 20)
        }
    }

    @Test("a paused stream whose reader takes nothing for the idle time ends, naming the reader")
    func pausedLongerThanTheIdleTime() async throws {
        try await withUpstream(reply: .sseFlood(events: 100_000, contentBytes: 4_096)) { server, http in
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: server.baseURL, idle: .milliseconds(300)), httpClient: http)
            let stream = try await provider.chatCompletionStream(
                Self.request, credentials: testCredentials, context: RequestContext())
            var iterator = stream.makeAsyncIterator()
            _ = try await iterator.next()
            try await Task.sleep(for: .milliseconds(900))
            try await Polling.eventually { server.closedConnections.count == 1 }
            #expect(server.closedConnections.count == 1, "the upstream connection is closed")
            var error: BifrostError?
            do throws(BifrostError) {
                while try await iterator.next() != nil {}
            } catch let failure {
                error = failure
            }
            #expect(error?.status == 504)
            #expect(error?.message.contains("the stream's reader took nothing for more than 300 ms") == true)
        }
    }
}

@Suite("upstream stream error events never carry the key to the client", .timeLimit(.minutes(1)))
struct StreamErrorSecretTests {
    @Test("an error event that echoes the key loses the key in its message and is not passed through", arguments: [false, true])
    func errorEventEchoingTheKey(anthropic: Bool) async throws {
        let event =
            anthropic
            ? #"event: error"# + "\n"
                + #"data: {"type":"error","error":{"type":"authentication_error","message":"bad key \#(testSecret)"}}"# + "\n\n"
            : #"data: {"error":{"message":"Incorrect API key provided: \#(testSecret)","type":"invalid_request_error"}}"#
                + "\n\n"
        let first =
            anthropic
            ? "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude\",\"content\":[],\"usage\":{\"input_tokens\":1,\"output_tokens\":0}}}\n\n"
            : #"data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"a"}}]}"#
                + "\n\n"
        try await withUpstream(reply: .sse(chunks: [first, event])) { server, http in
            let settings = testSettings(anthropic ? .anthropic : .openai, baseURL: server.baseURL)
            let provider: any Provider =
                anthropic
                ? AnthropicProvider(settings: settings, httpClient: http) : OpenAIProvider(settings: settings, httpClient: http)
            let stream = try await provider.chatCompletionStream(
                OpenAIProviderTests.request(stream: true), credentials: testCredentials, context: RequestContext())
            var failure: BifrostError?
            do throws(BifrostError) {
                for try await _ in stream {}
            } catch {
                failure = error
            }
            let error = try #require(failure)
            #expect(!error.message.contains(testSecret), "\(error.message)")
            #expect(error.message.contains("[redacted]"))
            #expect(error.wire == nil, "the event with the key is not forwarded as it was")
        }
    }
}
