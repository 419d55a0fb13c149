import BifrostCore
import BifrostPluginSDK
import BifrostTestSupport
import Synchronization
import Testing

/// A token budget's PostHook, as a plugin author writes it: it charges what each answer's
/// usage says and notes whether the stream was cut short.
struct StreamBudget: PostHookPlugin {
    struct Charge: Sendable, Equatable {
        var promptTokens: Int
        var completionTokens: Int
        var cutShort: Bool
        var usageEstimated: Bool
    }

    static let name = "stream-budget"
    static let version = "1.0.0"
    static let charges = Mutex<[Charge]>([])

    init(configuration: PluginConfiguration) throws {}

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard let response = try outcome.response else { return }
        let usage = try response.usage
        let charge = Charge(
            promptTokens: usage.promptTokens, completionTokens: usage.completionTokens, cutShort: try context.cutShort,
            usageEstimated: try context.usageEstimated)
        Self.charges.withLock { $0.append(charge) }
    }
}

@Suite("A stream its client leaves is billed", .serialized)
struct AbandonedStreamTests {
    @Test("a client that disconnects after two chunks is charged for what was streamed")
    func aClientLeavingAfterTwoChunksIsCharged() async throws {
        StreamBudget.charges.withLock { $0 = [] }
        let prompt = String(repeating: "word ", count: 400)
        let body = #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        try await withPluginGateway([GatewayPlugin(StreamBudget.self)], mockLatencyMilliseconds: 20) { client, _, _ in
            try await client.leaveStream("/v1/chat/completions", body: body, afterEvents: 2)
            // The PostHook runs once the gateway notices the client is gone.
            try await Polling.eventually { !StreamBudget.charges.withLock { $0.isEmpty } }
            let charges = StreamBudget.charges.withLock { $0 }
            try #require(charges.count == 1)
            let charge = charges[0]
            #expect(charge.cutShort && charge.usageEstimated)
            #expect(charge.promptTokens == (prompt.utf8.count + 3) / 4, "the prompt is counted from its text")
            #expect(charge.completionTokens > 0, "the text streamed before the client left is charged")
            #expect(charge.completionTokens < (prompt.utf8.count + 3) / 4, "only the part that was streamed")
        }
    }

    @Test("a stream read to its end is charged its reported usage, not cut short")
    func aCompleteStreamIsChargedAsReported() async throws {
        StreamBudget.charges.withLock { $0 = [] }
        try await withPluginGateway([GatewayPlugin(StreamBudget.self)]) { client, _, _ in
            let response = try await client.postJSON(
                "/v1/chat/completions", #"{"model":"mock/echo","stream":true,"messages":[{"role":"user","content":"Hi there"}]}"#)
            #expect(response.status == 200)
        }
        let charges = StreamBudget.charges.withLock { $0 }
        try #require(charges.count == 1)
        #expect(!charges[0].cutShort && !charges[0].usageEstimated)
        #expect(charges[0].promptTokens > 0 && charges[0].completionTokens > 0, "the mock's reported usage")
    }
}
