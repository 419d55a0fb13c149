import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Testing

@Suite("handles are honoured only in their own hook call, on their own thread")
struct HandleSafetyTests {
    @Test("garbage handles are refused unread: the hook faults, the process lives on")
    func garbageHandles() async throws {
        let plugin = try await loadZoo("handle_abuse.c", name: "abuse-1.so", defines: ["MODE": "1"])
        let outcome = await runChain([plugin])
        let error = try #require(outcome.error)
        #expect(error.status == 500)
        #expect(error.message.contains("request_get_model was given a handle that is not one of this hook's"))
        #expect(await runChain([]).response != nil, "the gateway keeps serving")
    }

    @Test("a plugin's own thread writing through a kept handle changes no request")
    func foreignThread() async throws {
        let plugin = try await loadZoo("handle_abuse.c", name: "abuse-2.so", defines: ["MODE": "2"])
        _ = await runChain([plugin])  // keeps the handle and starts the thread
        let started = ContinuousClock.now
        var served = 0
        while ContinuousClock.now - started < .milliseconds(500) {
            let outcomes = await withTaskGroup(of: ChatOutcome.self) { group in
                for _ in 0..<8 { group.addTask { await runChain([plugin]) } }
                return await group.reduce(into: []) { $0.append($1) }
            }
            for outcome in outcomes {
                #expect(outcome.response?.model == "echo", "\(outcome)")
                served += 1
            }
        }
        #expect(served >= 8)
    }

    @Test("a handle kept from one hook call is refused in the next, even on the same thread")
    func staleHandle() async throws {
        let plugin = try await loadZoo("handle_abuse.c", name: "abuse-3.so", defines: ["MODE": "3"])
        #expect(await runChain([plugin]).response != nil, "the first call keeps the handle")
        let error = try #require(await runChain([plugin]).error)
        // On the same thread the generation differs; on another, the thread does.
        #expect(
            error.message.contains("was given a handle of an earlier hook call")
                || error.message.contains("was given a handle that is not one of this hook's"), "\(error.message)")
    }
}
