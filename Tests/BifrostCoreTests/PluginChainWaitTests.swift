import BifrostCore
import Testing

/// Asks every request to wait, forever, counting how often it is asked.
final class ForeverWaiting: Plugin, Sendable {
    let descriptor = PluginDescriptor(name: "waiter", version: "1.0.0", hooks: .pre)
    let calls = LockedValue(0)

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        calls.withLock { $0 += 1 }
        return .wait(.milliseconds(20))
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
}

@Suite("a PreHook's waits are bounded and end with the request")
struct PluginChainWaitTests {
    static func request() -> ChatRequest {
        ChatRequest(provider: "mock", model: "echo", messages: [ChatMessage(role: "user", content: "hi")])
    }

    @Test("a never-ending wait is cut at the chain's total bound with a 503 naming the plugin")
    func boundedInAll() async {
        let waiter = ForeverWaiting()
        let chain = PluginChain([ChainEntry(waiter)], maximumTotalWait: .milliseconds(200))
        let started = ContinuousClock.now
        let outcome = await chain.run(Self.request(), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        let elapsed = ContinuousClock.now - started
        #expect(outcome.error?.status == 503)
        #expect(outcome.error?.type == "plugin_wait_exceeded")
        #expect(outcome.error?.source == .plugin("waiter"))
        #expect(outcome.error?.message.contains("200 ms") == true)
        #expect(outcome.error?.headers["retry-after"] == "1")
        #expect(elapsed >= .milliseconds(200) && elapsed < .seconds(10))
        #expect((1...12).contains(waiter.calls.withLock { $0 }), "asked about every 20 ms, not in a loop")
    }

    @Test("cancelling the request (its client left) stops the hook calls at once")
    func cancelledStopsAtOnce() async throws {
        let waiter = ForeverWaiting()
        let chain = PluginChain([ChainEntry(waiter)], maximumTotalWait: .seconds(30))
        let task = Task {
            await chain.run(Self.request(), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let outcome = await task.value
        let callsAtEnd = waiter.calls.withLock { $0 }
        #expect(outcome.error?.status == 499)
        #expect(outcome.error?.source == .plugin("waiter"))
        try await Task.sleep(for: .milliseconds(200))
        #expect(waiter.calls.withLock { $0 } == callsAtEnd, "no hook call after the cancellation")
    }
}
