import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import Testing

// The ABI 1.2 host services, exercised through the SDK and the host's real table.

/// Defines a metric in `init` and records it in each hook; tries the misuses the host refuses.
private struct Metered: PreHookPlugin, PostHookPlugin {
    static let name = "metered"
    static let version = "0.1"
    let host: PluginHost
    let requests: PluginMetric
    let seen: PluginMetricSeries

    init(configuration: PluginConfiguration) throws {
        host = configuration.host
        requests = try host.defineCounter("bifrost_metered_total", help: "Requests metered.", labels: ["model"])
        seen = try host.defineGauge("bifrost_metered_seen", help: "Last request seen.").series()
        #expect(throws: HostCallError.self) {
            _ = try configuration.host.defineCounter("bad-name", help: "refused")
        }
    }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        requests.record(1, labels: [try request.model])
        seen.set(1)
        try context.setResponseHeader("x-metered", "yes")
        return .continue
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        #expect(try context.upstreamNanoseconds != nil)
        if let error = try outcome.error {
            try error.setHeader("x-source", try error.source.kind + ":" + (try error.source.name))
        }
    }
}

/// Writes a key that belongs to the host: a fault.
private struct WritesHostKey: PreHookPlugin {
    static let name = "writes-host-key"
    static let version = "0.1"
    init(configuration: PluginConfiguration) throws {}

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        try context.set("bifrost.attempts", .number(0))
        return .continue
    }
}

/// Waits once in its PreHook, then continues.
private struct WaitsOnce: PreHookPlugin {
    static let name = "waits-once"
    static let version = "0.1"
    static var capabilities: SensitiveData { [.messageContent] }
    init(configuration: PluginConfiguration) throws {}

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        if try context["waits-once.done"] == nil {
            try context.set("waits-once.done", .bool(true))
            return .wait(nanoseconds: 30_000_000)
        }
        let names = try request.parameterNames().sorted()
        let key = try request.canonicalJSON(omitting: ["user"])
        try context.set("waits-once.summary", .string(names.joined(separator: ",") + " " + key))
        return .continue
    }
}

@Suite("ABI 1.2 host services through the SDK")
struct HostServicesThroughSDKTests {
    @Test func metricsDefinedAtCreateAreRecordedAndServed() async throws {
        let harness = try PluginTestHarness(Metered.self)
        defer { harness.shutdown() }
        let answered = try #require(await harness.run(.test("Hi")).response)
        #expect(answered.headers["x-metered"] == "yes", "a context response header reaches the answer")
        let failed = try #require(await harness.run(.test("Hi", model: "mock/fail")).error)
        #expect(failed.headers["x-source"] == "provider:mock")
        #expect(failed.headers["x-metered"] == "yes", "and an error")
        let text = harness.metrics.render()
        #expect(text.contains(#"bifrost_metered_total{model="echo"} 1"#), "\(text)")
        #expect(text.contains(#"bifrost_metered_total{model="fail"} 1"#))
        #expect(text.contains("bifrost_metered_seen 1\n"))
        #expect(
            harness.logs.messages.contains { $0.contains("metric_define: metric 'bad-name': not a valid Prometheus metric name") }
        )
    }

    @Test func writingAHostKeyIsAFault() async throws {
        let harness = try PluginTestHarness(WritesHostKey.self)
        defer { harness.shutdown() }
        let error = try #require(await harness.run(.test("Hi")).error)
        #expect(error.status == 500)
        #expect(error.message.contains("context_set: 'bifrost.attempts' is the host's"), "\(error.message)")
    }

    @Test func aWaitingPreHookRunsAgainLater() async throws {
        let harness = try PluginTestHarness(WaitsOnce.self)
        defer { harness.shutdown() }
        let context = RequestContext()
        var request = ChatRequest.test("Hi")
        request.parameters = ["user": "alice", "temperature": 0.5, "seed": 7]
        let clock = ContinuousClock()
        let started = clock.now
        #expect(await harness.run(request, context: context).response != nil)
        #expect(clock.now - started >= .milliseconds(25))
        guard case .string(let summary)? = context["waits-once.summary"] else {
            Issue.record("the PreHook did not run a second time: \(context.allValues)")
            return
        }
        #expect(summary.hasPrefix("seed,temperature,user "))
        #expect(summary.contains(#""seed":7"#) && !summary.contains("alice"), "\(summary)")
    }

    @Test func canonicalJSONIgnoresParameterOrder() throws {
        let one = try ChatRequest(
            openAIJSON: Array(#"{"model":"mock/echo","temperature":1,"seed":2,"messages":[{"role":"user","content":"x"}]}"#.utf8))
        let two = try ChatRequest(
            openAIJSON: Array(#"{"seed":2,"messages":[{"content":"x","role":"user"}],"temperature":1,"model":"mock/echo"}"#.utf8))
        #expect(one.openAIJSON() == two.openAIJSON())
        #expect(String(decoding: one.openAIJSON(omitting: ["seed"]), as: UTF8.self).contains("seed") == false)
    }
}
