import BifrostCore
import BifrostHTTP
import BifrostLibrary
import BifrostTestSupport
import Testing

/// The library's shutdown reaches a call the HTTP server is answering: past the drain timeout,
/// the client gets the shutdown's error at once, not when the upstream would have answered.
@Suite("shutdown past the drain timeout, over HTTP", .timeLimit(.minutes(1)))
struct ShutdownOverHTTPTests {
    @Test(
        "a request that outlasts the drain timeout is answered at once with the shutdown's 503",
        arguments: [RequestExecutor.eventLoop, RequestExecutor.global], [false, true])
    func outlastingTheDrain(executor: RequestExecutor, streamed: Bool) async throws {
        let counter = CountingPlugin(name: "counter")
        var configuration = BifrostConfiguration(
            account: NoProviders(), plugins: [.plugin(counter)], providers: [MockProvider(latency: .seconds(30))],
            logger: quietLogger())
        configuration.drainTimeout = .milliseconds(200)
        let bifrost = try await Bifrost(configuration: configuration)
        try await withServer(bifrost, requestExecutor: executor) { client, _ in
            let call = Task {
                try await client.postJSON(
                    "/v1/chat/completions", chatJSON("slow", extra: streamed ? #","stream":true"# : ""))
            }
            try await Polling.eventually { counter.preCalls == 1 }
            let started = ContinuousClock.now
            await bifrost.shutdown()
            let response = try await call.value
            #expect(ContinuousClock.now - started < .seconds(5), "not the provider's 30 s")
            if streamed {
                #expect(response.status == 200, "the stream had started")
                #expect(response.text.contains("request_cancelled"), "\(response.text)")
            } else {
                #expect(response.status == 503)
                #expect(response.text.contains("request_cancelled"), "\(response.text)")
                #expect(response.text.contains("Bifrost shut down before it finished"), "\(response.text)")
            }
        }
    }
}
