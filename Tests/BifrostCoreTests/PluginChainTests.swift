import BifrostCore
import Testing

@Suite("Chain semantics (PluginSDK/DESIGN.md §2), one rule per test")
struct PluginChainTests {
    @Test func preHooksRunInChainOrder() async {
        let log = HookLog()
        _ = await run([ScriptedPlugin("a", log: log), ScriptedPlugin("b", log: log), ScriptedPlugin("c", log: log)])
        #expect(log.all.filter { $0.hasPrefix("pre:") } == ["pre:a", "pre:b", "pre:c"])
    }

    @Test func postHooksRunInExactlyReverseOrderOncePerRequest() async {
        let log = HookLog()
        _ = await run([ScriptedPlugin("a", log: log), ScriptedPlugin("b", log: log), ScriptedPlugin("c", log: log)])
        #expect(log.all == ["pre:a", "pre:b", "pre:c", "post:c", "post:b", "post:a"])
    }

    @Test(arguments: 0..<4)
    func aShortCircuitAtPluginKRunsPostHooksKToOneOnly(k: Int) async {
        let log = HookLog()
        let plugins = (0..<4).map { index in
            ScriptedPlugin("p\(index)", log: log, pre: index == k ? .respond("cached") : .pass)
        }
        let outcome = await run(plugins)
        #expect(outcome.response?.choices.first?.content == "cached")
        let expected = (0...k).map { "pre:p\($0)" } + (0...k).reversed().map { "post:p\($0)" }
        #expect(log.all == expected)
    }

    @Test func aRejectionSkipsTheProviderAndCarriesStatusAndMessage() async {
        let log = HookLog()
        let outcome = await run([
            ScriptedPlugin("a", log: log), ScriptedPlugin("limiter", log: log, pre: .reject(429, "slow down")),
        ])
        #expect(outcome.error?.status == 429)
        #expect(outcome.error?.message == "slow down")
        #expect(outcome.error?.source == .plugin("limiter"))
        #expect(log.all == ["pre:a", "pre:limiter", "post:limiter", "post:a"])
    }

    @Test func aPreHookMayChangeTheRequestForLaterPluginsAndTheProvider() async {
        let log = HookLog()
        let outcome = await run([ScriptedPlugin("alias", log: log, pre: .setModel("fail"))])
        #expect(outcome.error?.status == 503)
    }

    @Test func aPostHookRecoversAnErrorIntoAResponse() async {
        let log = HookLog()
        let outcome = await run([ScriptedPlugin("rescue", log: log, post: .recover)], request: echoRequest(model: "fail"))
        #expect(outcome.response?.choices.first?.content == "recovered 503")
    }

    @Test func aPostHookTurnsAResponseIntoAnErrorSeenByEarlierPostHooks() async {
        let log = HookLog()
        let outcome = await run([
            ScriptedPlugin("rescue", log: log, post: .recover), ScriptedPlugin("filter", log: log, post: .failResponse),
        ])
        #expect(outcome.response?.choices.first?.content == "recovered 422")
    }

    @Test func contextWrittenInAPreHookIsReadInAPostHook() async {
        struct Stamp: Plugin {
            let descriptor = PluginDescriptor(name: "stamp", version: "1")
            func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
                context["stamp.start"] = .number(42)
                return .continue
            }
            func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
                guard case .response(var response) = outcome, case .number(let start)? = context["stamp.start"] else { return }
                response.headers["x-stamp"] = "\(Int(start))"
                outcome = .response(response)
            }
        }
        let chain = PluginChain([ChainEntry(Stamp())])
        let outcome = await chain.run(echoRequest(), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        #expect(outcome.response?.headers["x-stamp"] == "42")
    }

    @Test func aFailClosedPreHookFaultAnswers500NamingThePlugin() async {
        let log = HookLog()
        let outcome = await run([
            ScriptedPlugin("a", log: log), ScriptedPlugin("broken", log: log, pre: .fail("boom")), ScriptedPlugin("c", log: log),
        ])
        #expect(outcome.error?.status == 500)
        #expect(outcome.error?.message == "plugin 'broken' failed in PreHook: boom")
        #expect(log.all == ["pre:a", "pre:broken", "post:a"])
    }

    @Test func aFailOpenPreHookFaultSkipsThePluginAndUndoesItsChanges() async {
        let log = HookLog()
        let outcome = await run(
            [
                ScriptedPlugin("a", log: log), ScriptedPlugin("broken", log: log, pre: .fail("boom")),
                ScriptedPlugin("c", log: log),
            ],
            policies: [.failClosed, .failOpen])
        #expect(outcome.response?.choices.first?.content == "Echo: Hi")
        #expect(outcome.response?.model == "echo")
        #expect(log.all == ["pre:a", "pre:broken", "pre:c", "post:c", "post:a"])
    }

    @Test func aPostHookFaultFailsClosedOrKeepsTheOutcomeWhenFailOpen() async {
        let log = HookLog()
        let closed = await run([ScriptedPlugin("late", log: log, post: .fail("oops"))])
        #expect(closed.error?.message == "plugin 'late' failed in PostHook: oops")
        let open = await run([ScriptedPlugin("late", log: log, post: .fail("oops"))], policies: [.failOpen])
        #expect(open.response?.choices.first?.content == "Echo: Hi")
    }

    @Test func missingHooksAreNeverCalledButThePluginCountsAsEntered() async {
        let log = HookLog()
        _ = await run([ScriptedPlugin("post-only", log: log, hooks: .post), ScriptedPlugin("pre-only", log: log, hooks: .pre)])
        #expect(log.all == ["pre:pre-only", "post:post-only"])
    }

    @Test func moreThanSixtyFourPluginsKeepTheSemantics() async {
        let log = HookLog()
        let plugins = (0..<70).map { ScriptedPlugin("p\($0)", log: log, pre: $0 == 66 ? .respond("deep") : .pass) }
        let outcome = await run(plugins)
        #expect(outcome.response?.choices.first?.content == "deep")
        #expect(log.all.count == 67 * 2)
        #expect(log.all.last == "post:p0")
    }
}
