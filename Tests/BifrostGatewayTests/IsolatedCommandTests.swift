import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Testing

/// Commands of an isolated plugin run in its worker: the call crosses the worker wire
/// (`command`/`commandDone`), and a command that crashes fails only its call.
@Suite("Plugin commands of an isolated plugin", .timeLimit(.minutes(2)))
struct IsolatedCommandTests {
    @Test func aCommandRunsInTheWorkerAndACrashFailsOnlyItsCall() async throws {
        let file = try await CPluginCompiler.compile(zoo: "commander.c", as: "commander.so")
        try await withGateway(try isolatedConfiguration([file])) { client, _ in
            let listing = try await client.get("/api/plugins").json()
            let plugin = listing.objectField("plugins")?.arrayValue?.first
            #expect(plugin?.objectField("isolation") == .string("process"))
            #expect(plugin?.objectField("commands")?.arrayValue?.count == 10)

            let sum = try await client.postJSON("/api/plugins/commander/commands/add", #"{"a":40,"b":2}"#)
            #expect(sum.text == #"{"result":42}"#)
            let text = try await client.postJSON(
                "/api/plugins/commander/commands/describe", #"{"i":1,"d":2.5,"b":false,"s":"ü"}"#)
            #expect(text.text == #"{"result":"i=1 d=2.5 b=0 s=ü"}"#)
            let bad = try await client.postJSON("/api/plugins/commander/commands/add", #"{"a":1}"#)
            #expect(bad.status == 400)

            let crash = try await client.postJSON("/api/plugins/commander/commands/crash", "{}")
            #expect(crash.status == 502)
            #expect(try crash.json().objectField("error")?.objectField("code") == .string("command_failed"))
            #expect(
                try await client.postJSON(
                    "/v1/chat/completions", #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#
                ).status == 200, "the gateway serves on")
            let after = try await client.postJSON("/api/plugins/commander/commands/add", #"{"a":1,"b":2}"#)
            #expect(after.text == #"{"result":3}"#, "a restarted worker serves the next call")
        }
    }
}
