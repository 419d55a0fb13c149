import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Testing

@Suite("Shutting Bifrost down")
struct ShutdownTests {
    /// Waits (bounded) until the plugin's PreHook has run `count` times: the calls are in flight.
    func waitForPreHooks(_ plugin: SwiftTracer, count: Int) async throws {
        try await within(.seconds(10)) {
            while plugin.preCalls < count { try await Task.sleep(for: .milliseconds(5)) }
        }
    }

    @Test func callsInFlightFinishBeforeThePluginsAreDestroyedOnce() async throws {
        let counterFile = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "drain-counter.so", defines: ["PLUGIN_NAME": "\"drain-counter\""])
        let swift = SwiftTracer("drain-swift")
        let bifrost = try await startBifrost(
            [.plugin(swift), .native(counterFile)], latency: .milliseconds(300), drainTimeout: .seconds(10))
        let probe = try CounterProbe(file: counterFile)
        let calls = (0..<4).map { index in
            Task { try await bifrost.chatCompletion(chat("call \(index)")) }
        }
        try await waitForPreHooks(swift, count: 4)
        try await within(.seconds(10)) { await bifrost.shutdown() }
        for (index, call) in calls.enumerated() {
            let response = try await within(.seconds(5)) { try await call.value }
            #expect(response.choices.first?.content == "Echo: call \(index)")
        }
        #expect(swift.shutdownCalls == 1)
        #expect(probe.destroyCalls() == 1)
        #expect(probe.postCalls() == 4)

        try await within(.seconds(5)) { await bifrost.shutdown() }
        #expect(swift.shutdownCalls == 1)
        #expect(probe.destroyCalls() == 1)
        let late = await bifrostError { try await bifrost.chatCompletion(chat("too late")) }
        #expect(late == BifrostError.shutDown)
        #expect(late?.status == 503)
        #expect(await bifrostError { try await bifrost.chatCompletionStream(chat("too late")) } == BifrostError.shutDown)
        #expect(await bifrostError { try bifrost.listModels() } == BifrostError.shutDown)
    }

    @Test func callsThatOutlastTheDrainTimeoutFailWithACancellationError() async throws {
        let counterFile = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "cancel-counter.so", defines: ["PLUGIN_NAME": "\"cancel-counter\""])
        let swift = SwiftTracer("cancel-swift")
        let bifrost = try await startBifrost(
            [.plugin(swift), .native(counterFile)], latency: .seconds(30), drainTimeout: .milliseconds(200))
        let probe = try CounterProbe(file: counterFile)
        let calls = (0..<3).map { index in
            Task { await bifrostError { try await bifrost.chatCompletion(chat("slow \(index)")) } }
        }
        var streamed = chat("a b c d")
        streamed.parameters["stream"] = true
        let stream = Task {
            await bifrostError {
                for try await _ in try await bifrost.chatCompletionStream(streamed) {}
            }
        }
        try await waitForPreHooks(swift, count: 4)
        let started = ContinuousClock.now
        try await within(.seconds(10)) { await bifrost.shutdown() }
        #expect(ContinuousClock.now - started < .seconds(5))
        for call in calls + [stream] {
            let error = try await within(.seconds(5)) { await call.value }
            #expect(error == BifrostError.cancelledByShutdown(after: .milliseconds(200)))
            #expect(error?.status == 503)
            #expect(error?.type == "request_cancelled")
            #expect(error?.message.contains("Bifrost shut down before it finished") == true)
        }
        #expect(swift.shutdownCalls == 1)
        #expect(probe.destroyCalls() == 1)
    }

    @Test func aStreamThatEndsInTimeIsDeliveredWhole() async throws {
        let swift = SwiftTracer("stream-swift")
        let bifrost = try await startBifrost([.plugin(swift)], latency: .milliseconds(30), drainTimeout: .seconds(10))
        var streamed = chat("one two three four")
        streamed.parameters["stream"] = true
        let stream = try await bifrost.chatCompletionStream(streamed)
        let reader = Task {
            var text = ""
            for try await chunk in stream { text += chunk.choices.compactMap(\.content).joined() }
            return text
        }
        try await within(.seconds(10)) { await bifrost.shutdown() }
        #expect(try await within(.seconds(5)) { try await reader.value } == "Echo: one two three four")
        #expect(swift.shutdownCalls == 1)
    }

    /// A stream can end before its tracking is set up (likeliest when the caller is on the main
    /// actor, as top-level code is); it must not be counted in flight forever.
    @Test @MainActor func finishedStreamsNeverHoldUpShutdown() async throws {
        for _ in 0..<200 {
            let bifrost = try await startBifrost([], drainTimeout: .seconds(30))
            var streamed = chat("quick")
            streamed.parameters["stream"] = true
            for try await _ in try await bifrost.chatCompletionStream(streamed) {}
            let started = ContinuousClock.now
            try await within(.seconds(10)) { await bifrost.shutdown() }
            #expect(ContinuousClock.now - started < .seconds(5))
        }
    }

    /// A provider whose stream is an `AsyncThrowingStream`: one chunk, then nothing until cancelled.
    struct StallingProvider: Provider {
        let name = "stalling"
        let models = ["model"]

        func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
            async throws(BifrostError) -> ChatResponse
        {
            throw BifrostError(status: 400, type: "invalid_request_error", message: "streams only")
        }

        func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
            async throws(BifrostError) -> ChatStream
        {
            let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream()
            continuation.yield(
                ChatChunk(
                    id: "s", created: 0, provider: name, model: "model",
                    choices: [ChunkChoice(role: "assistant", content: "first")]))
            return ChatStream(stream)
        }
    }

    @Test func aStreamThatCannotBeEndedFromOutsideIsStillCancelledByShutdown() async throws {
        let bifrost = try await Bifrost(
            configuration: BifrostConfiguration(
                account: MockAccount(), providers: [StallingProvider()], logger: quietLogger(),
                drainTimeout: .milliseconds(200)))
        var streamed = chat("stall", model: "stalling/model")
        streamed.parameters["stream"] = true
        let stream = try await bifrost.chatCompletionStream(streamed)
        let reader = Task {
            var received: [String] = []
            let error = await bifrostError {
                for try await chunk in stream { received.append(chunk.choices.first?.content ?? "") }
            }
            return (received, error)
        }
        let started = ContinuousClock.now
        try await within(.seconds(10)) { await bifrost.shutdown() }
        #expect(ContinuousClock.now - started < .seconds(5))
        let (received, error) = try await within(.seconds(5)) { await reader.value }
        #expect(received == ["first"])
        #expect(error == BifrostError.cancelledByShutdown(after: .milliseconds(200)))
    }
}
