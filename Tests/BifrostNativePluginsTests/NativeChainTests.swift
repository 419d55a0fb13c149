import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Testing

@Suite("Hook semantics through real native plugins")
struct NativeChainTests {
    @Test func preHooksRunInOrderAndPostHooksInReverse() async throws {
        let outcome = await runChain([try await tracer("a"), try await tracer("b"), try await tracer("c")])
        #expect(outcome.response?.choices.first?.content == "Echo: Hello")
        #expect(trace(of: outcome) == "pre:a,pre:b,pre:c,post:c,post:b,post:a")
    }

    @Test func aShortCircuitAtPluginKRunsPostHooksKToOneOnly() async throws {
        let outcome = await runChain([
            try await tracer("a"), try await tracer("b", ["SHORT_CIRCUIT": "1"]), try await tracer("c"),
        ])
        #expect(outcome.response?.choices.first?.content == "answered by b")
        #expect(trace(of: outcome) == "pre:a,pre:b,post:b,post:a")
    }

    @Test func aRejectionCarriesStatusMessageAndHeaders() async throws {
        let outcome = await runChain([
            try await tracer("a"), try await tracer("limiter", ["REJECT_STATUS": "429"]), try await tracer("c"),
        ])
        let error = try #require(outcome.error)
        #expect(error.status == 429)
        #expect(error.type == "rate_limit_exceeded")
        #expect(error.message == "rejected by limiter: slow down")
        #expect(error.headers["retry-after"] == "7")
        #expect(error.headers["x-retry-seen"] == "7")
        #expect(error.source == .plugin("limiter"))
        #expect(trace(of: outcome) == "pre:a,pre:limiter,post:limiter,post:a")
    }

    @Test func aPostHookRecoversAnErrorIntoAResponse() async throws {
        let outcome = await runChain([try await tracer("rescuer", ["RECOVER": "1"])], request: chatRequest(model: "fail"))
        #expect(outcome.response?.choices.first?.content == "recovered by rescuer from 503")
    }

    @Test func contextWrittenInAPreHookIsReadInAPostHook() async throws {
        let context = RequestContext()
        let outcome = await runChain(
            [try await loadZoo("counter.c", name: "ctx.so", defines: ["PLUGIN_NAME": "\"ctx\""])], context: context)
        #expect(outcome.response?.headers["x-ctx"] != nil)
        #expect(context["ctx.seen"] != nil)
    }

    @Test(arguments: [
        ("1", "the tracer was told to fail"),
        ("2", "the PreHook returned unknown action 7"),
        ("3", "request_message_get: index 99 out of range (1 messages)"),
        ("4", "returned BIFROST_ACTION_SHORT_CIRCUIT without setting a response or an error"),
    ])
    func aFaultFailsClosedWith500NamingThePlugin(mode: String, message: String) async throws {
        let outcome = await runChain([
            try await tracer("a"), try await tracer("faulty", ["FAULT_IN_PRE": mode]), try await tracer("c"),
        ])
        let error = try #require(outcome.error)
        #expect(error.status == 500)
        #expect(error.type == "plugin_error")
        #expect(error.message.hasPrefix("plugin 'faulty' failed in PreHook: "))
        #expect(error.message.lowercased().contains(message.lowercased()))
        // Only the plugins entered before the faulty one see the PostHook.
        #expect(trace(of: outcome) == "pre:a,pre:faulty,post:a")
    }

    @Test func aFailOpenFaultSkipsThePluginForThatRequest() async throws {
        let outcome = await runChain(
            [try await tracer("a"), try await tracer("faulty", ["FAULT_IN_PRE": "1"]), try await tracer("c")],
            policies: [nil, .failOpen, nil])
        #expect(outcome.response?.choices.first?.content == "Echo: Hello")
        #expect(trace(of: outcome) == "pre:a,pre:faulty,pre:c,post:c,post:a")
    }

    @Test func aPostHookFaultFailsClosedOrIsIgnoredWhenFailOpen() async throws {
        let closed = await runChain([try await tracer("a"), try await tracer("late", ["FAULT_IN_POST": "1"])])
        #expect(closed.error?.status == 500)
        #expect(closed.error?.message == "plugin 'late' failed in PostHook: the tracer failed after the provider")

        let open = await runChain(
            [try await tracer("a2"), try await tracer("late2", ["FAULT_IN_POST": "1"])], policies: [nil, .failOpen])
        #expect(open.response?.choices.first?.content == "Echo: Hello")
    }

    @Test func touchingARequestHandleAfterItsHookIsAFault() async throws {
        let outcome = await runChain([try await tracer("stale", ["FAULT_IN_POST": "2"])])
        let error = try #require(outcome.error)
        #expect(error.message.contains("plugin 'stale' failed in PostHook"))
        #expect(error.message.contains("was given a handle of an earlier hook call"))
    }

    @Test func destroyRunsExactlyOnce() async throws {
        let file = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "destroyed.so", defines: ["PLUGIN_NAME": "\"destroyed\""])
        let plugin = try PluginLoader.load(file: file)
        plugin.shutdown()
        plugin.shutdown()
        let counts = try CounterProbe(file: file)
        #expect(counts.destroyCalls() == 1)
    }

    @Test func thousandsOfConcurrentRequestsCountExactlyInTwoNativePlugins() async throws {
        let fileA = try await CPluginCompiler.compile(zoo: "counter.c", as: "count-a.so", defines: ["PLUGIN_NAME": "\"count-a\""])
        let fileB = try await CPluginCompiler.compile(zoo: "counter.c", as: "count-b.so", defines: ["PLUGIN_NAME": "\"count-b\""])
        let entries = [ChainEntry(try PluginLoader.load(file: fileA)), ChainEntry(try PluginLoader.load(file: fileB))]
        let chain = PluginChain(entries)
        let dispatcher = Dispatcher(providers: [MockProvider()])
        let total = 4000
        let successes = await withTaskGroup(of: Bool.self) { group in
            for index in 0..<total {
                group.addTask {
                    let outcome = await chain.run(chatRequest("request \(index)"), context: RequestContext(), through: dispatcher)
                    return outcome.response?.choices.first?.content == "Echo: request \(index)"
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == total)
        for file in [fileA, fileB] {
            let probe = try CounterProbe(file: file)
            #expect(probe.preCalls() == UInt64(total))
            #expect(probe.postCalls() == UInt64(total))
        }
    }
}
