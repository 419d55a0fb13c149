import BifrostCore
import BifrostLibrary
import Foundation
import NIOHTTP1
import Testing

@testable import BifrostHTTP

/// What the console adds to a request, measured in process: the chain's record of the
/// plugins entered, the tail's record, and (with a console open) its once-a-second reads
/// of `/api/stats` and `/api/requests`. Prints the figures; bounds only catch a regression
/// by orders of magnitude, so a loaded machine does not fail it; under the thread sanitizer
/// the figures mean nothing, so it does not run there.
@Suite("Console cost per request", .disabled(if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread"))
struct ConsoleCostTests {
    static func nanoseconds(_ iterations: Int, _ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9) / Double(iterations)
    }

    @Test("recording a request costs microseconds at most; a console's reads are amortised over a second")
    func cost() async throws {
        let metrics = MetricsRegistry()
        let bifrost = try await Bifrost(
            configuration: BifrostConfiguration(
                account: NoProviders(), plugins: [.plugin(CountingPlugin(name: "a")), .plugin(CountingPlugin(name: "b"))],
                providers: [MockProvider()], logger: quietLogger(), metrics: metrics))
        let router = HTTPRouter(
            bifrost: bifrost, models: [], maxBodyBytes: 1024, requestExecutor: .global, logger: quietLogger())
        for _ in 0..<50 {
            _ = await bifrost.chatOutcome(ChatRequest(provider: "mock", model: "echo", messages: []), context: RequestContext())
        }
        let context = RequestContext(route: "/v1/chat/completions")
        let names = ["a", "b"]
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "x-bifrost-provider", value: "mock")
        headers.add(name: "x-bifrost-model", value: "echo")
        let response = HTTPServerResponse(status: .ok, bytes: [], requestID: context.requestID)
        let iterations = 200_000
        let entered = Self.nanoseconds(iterations) { context.recordEnteredPlugins(3, names: names) }
        let tail = Self.nanoseconds(iterations) {
            router.recordForConsole(.chatCompletions, .complete(response), context: context)
        }
        let recorder = ConsoleRecorder(metrics: metrics)
        let record = Self.nanoseconds(iterations) {
            recorder.record(context: context, status: 200, provider: "mock", model: "echo")
        }
        let stats = Self.nanoseconds(200) { _ = router.statsJSON() }
        let requests = Self.nanoseconds(200) { _ = router.requestsJSON() }
        print(
            "console cost: chain's entered record \(Int(entered)) ns, tail record \(Int(record)) ns "
                + "(\(Int(tail)) ns with the route check and header lookups) per request; "
                + "with a console open, per second: /api/stats \(Int(stats / 1000)) µs, /api/requests (200 entries) \(Int(requests / 1000)) µs"
        )
        #expect(entered + tail + record < 100_000)
        #expect(stats + requests < 50_000_000)
        await bifrost.shutdown()
    }
}
