import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Testing

@testable import BifrostHTTP

private let bearer = ["Authorization": "Bearer \(adminToken)"]

@Suite("Admin API: runtime control of the chain")
struct AdminControlTests {
    @Test("disabling skips the plugin from the next request on and shows it as disabled; enabling brings it back")
    func disableAndEnable() async throws {
        let counter = CountingPlugin(name: "counter")
        try await withAdminServer([.plugin(counter)]) { client, bifrost in
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            #expect(counter.preCalls == 1)
            let disabled = try await client.postJSON("/api/plugins/counter/disable", "{}", headers: bearer)
            #expect(disabled.status == 200)
            #expect(disabled.text.contains(#""state":"disabled""#))
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            #expect(counter.preCalls == 1)
            #expect(counter.postCalls == 1)
            let listing = try await client.get("/api/plugins", headers: bearer)
            #expect(listing.text.contains(#""name":"counter""#) && listing.text.contains(#""state":"disabled""#))
            #expect(try await client.postJSON("/api/plugins/counter/enable", "{}", headers: bearer).status == 200)
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            #expect(counter.preCalls == 2)
            #expect(bifrost.chainGeneration == 3)
        }
    }

    @Test("changing a faulting plugin's policy to fail_open turns the next request's 500 into a 200")
    func failurePolicy() async throws {
        try await withAdminServer([.plugin(FaultingPlugin(name: "faulty"))]) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 500)
            let changed = try await client.postJSON(
                "/api/plugins/faulty/failure_policy", #"{"failure_policy":"fail_open"}"#, headers: bearer)
            #expect(changed.status == 200)
            #expect(changed.text.contains(#""failure_policy":"fail_open""#))
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            let listing = try await client.get("/api/plugins", headers: bearer)
            #expect(listing.text.contains(#""failure_policy":"fail_open""#))
            let invalid = try await client.postJSON(
                "/api/plugins/faulty/failure_policy", #"{"failure_policy":"maybe"}"#, headers: bearer)
            #expect(invalid.status == 400)
        }
    }

    @Test("a request in flight when its plugin is disabled finishes on its own chain, PostHook included")
    func inFlight() async throws {
        let counter = CountingPlugin(name: "counter")
        try await withAdminServer([.plugin(counter)], latency: .milliseconds(600)) { client, _ in
            let slow = Task { try await client.postJSON("/v1/chat/completions", chatBody) }
            try await Polling.eventually { counter.preCalls == 1 }
            #expect(counter.preCalls == 1)
            #expect(try await client.postJSON("/api/plugins/counter/disable", "{}", headers: bearer).status == 200)
            let after = try await client.postJSON("/v1/chat/completions", chatBody)
            #expect(after.status == 200)
            #expect(try await slow.value.status == 200)
            #expect(counter.preCalls == 1)
            #expect(counter.postCalls == 1)
        }
    }

    @Test("the disabled set and policy overrides survive a reload")
    func keptAcrossReload() async throws {
        let counter = CountingPlugin(name: "counter")
        try await withAdminServer([.plugin(counter), .plugin(FaultingPlugin(name: "faulty"))]) { client, bifrost in
            #expect(try await client.postJSON("/api/plugins/counter/disable", "{}", headers: bearer).status == 200)
            let policy = try await client.postJSON(
                "/api/plugins/faulty/failure_policy", #"{"failure_policy":"fail_open"}"#, headers: bearer)
            #expect(policy.status == 200)
            try bifrost.reloadPlugins()
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            #expect(counter.preCalls == 0)
            let states = bifrost.loadedPlugins.map { ($0.entry.plugin.descriptor.name, $0.isEnabled, $0.entry.failurePolicy) }
            #expect(states.map(\.0) == ["counter", "faulty"])
            #expect(states.map(\.1) == [false, true])
            #expect(states[1].2 == .failOpen)
        }
    }

    @Test("an unknown plugin is 404; a reload without a gateway behind the server is 503, with the token")
    func refusals() async throws {
        try await withAdminServer { client, _ in
            let unknown = try await client.postJSON("/api/plugins/nope/disable", "{}", headers: bearer)
            #expect(unknown.status == 404)
            #expect(try errorFields(unknown)["code"] == "unknown_plugin")
            #expect(try await client.postJSON("/api/plugins/reload", "{}", headers: bearer).status == 503)
        }
    }
}

/// A counting plugin and its spec limited to `scope`.
private func scopedCounter(_ scope: PluginScope) -> (CountingPlugin, PluginSpec) {
    let counter = CountingPlugin(name: "counter")
    var spec = PluginSpec.plugin(counter)
    spec.scope = scope
    return (counter, spec)
}

@Suite("Plugin scopes: a plugin runs exactly where its scope says")
struct PluginScopeTests {
    @Test(
        "glob patterns",
        arguments: [
            ("gpt-4o*", "gpt-4o-mini", true), ("gpt-4o*", "gpt-4", false), ("*", "", true), ("a?c", "abc", true),
            ("a?c", "ac", false), ("*mini", "gpt-4o-mini", true), ("/v1/*", "/v1/chat/completions", true),
            ("/v1/*/completions", "/v1/chat/completions", true), ("/v1/*/x", "/v1/chat/completions", false),
            ("echo", "echo", true),
            ("echo", "echo2", false),
        ])
    func glob(pattern: String, text: String, matches: Bool) {
        #expect(PluginScope(routes: [pattern]).admits(route: text, provider: "p", model: "m", client: "c") == matches)
    }

    @Test(
        "model patterns with a provider match provider/model",
        arguments: [("mock/*", "mock", "echo", true), ("other/*", "mock", "echo", false), ("echo", "any", "echo", true)])
    func models(pattern: String, provider: String, model: String, admitted: Bool) {
        let scope = PluginScope(models: [pattern])
        #expect(scope.admits(route: "/v1/chat/completions", provider: provider, model: model, client: "c") == admitted)
    }

    @Test("a plugin limited to a model runs on that model only, PostHook included")
    func modelScope() async throws {
        let (counter, spec) = scopedCounter(PluginScope(models: ["echo"]))
        try await withAdminServer([spec]) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            let other = #"{"model":"mock/fail","messages":[{"role":"user","content":"hi"}]}"#
            #expect(try await client.postJSON("/v1/chat/completions", other).status == 503)
            let streamed = #"{"model":"mock/fail","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            _ = try await client.postJSON("/v1/chat/completions", streamed)
            #expect(counter.models == ["echo"])
            #expect(counter.postCalls == 1)
        }
    }

    @Test("a plugin limited to a route runs on that route only")
    func routeScope() async throws {
        let (counter, spec) = scopedCounter(PluginScope(routes: ["/v1/chat/*"]))
        try await withAdminServer([spec]) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            let responses = try await client.postJSON("/v1/responses", #"{"model":"mock/echo","input":"hi"}"#)
            #expect(responses.status == 200)
            let anthropic = try await client.postJSON(
                "/anthropic/v1/messages", #"{"model":"mock/echo","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}"#)
            #expect(anthropic.status == 200)
            #expect(counter.preCalls == 1)
            #expect(counter.postCalls == 1)
            let listing = try await client.get("/api/plugins", headers: bearer)
            #expect(listing.text.contains(#""scope":{"routes":["/v1/chat/*"],"models":[],"clients":[]}"#))
        }
    }

    @Test("a plugin limited to a client runs for that client's key only (matched by its hashed id)")
    func clientScope() async throws {
        let id = ClientIDSecret.processDefault.clientID(forKey: "sk-team-a")
        let (counter, spec) = scopedCounter(PluginScope(clients: [id]))
        try await withAdminServer([spec]) { client, _ in
            let mine = try await client.postJSON("/v1/chat/completions", chatBody, headers: ["Authorization": "Bearer sk-team-a"])
            #expect(mine.status == 200)
            let theirs = try await client.postJSON(
                "/v1/chat/completions", chatBody, headers: ["Authorization": "Bearer sk-team-b"])
            #expect(theirs.status == 200)
            #expect(try await client.postJSON("/v1/chat/completions", chatBody).status == 200)
            #expect(counter.preCalls == 1)
        }
    }
}

@Suite("Admin API: every change is logged with who made it")
struct AdminAuditLogTests {
    @Test("a disable and a policy change name the method and the peer, never a credential")
    func logged() async throws {
        let lines = LogLines()
        let bifrost = try await Bifrost(
            configuration: BifrostConfiguration(
                account: NoProviders(), plugins: [.plugin(CountingPlugin(name: "counter"))], providers: [MockProvider()],
                logger: lines.logger))
        let actor = PluginControlActor(method: "token", peer: "10.0.0.7")
        try bifrost.setPlugin("counter", enabled: false, by: actor)
        try bifrost.setFailurePolicy(
            of: "counter", to: .failOpen, by: PluginControlActor(method: "cookie session", peer: "10.0.0.8"))
        let changes = lines.all.filter { $0.hasPrefix("admin:") }
        #expect(
            changes == [
                "admin: disabled plugin counter (by token from 10.0.0.7); generation 2 serves new requests",
                "admin: set failure policy of plugin counter to fail_open (by cookie session from 10.0.0.8); generation 3 serves new requests",
            ])
        await bifrost.shutdown()
    }
}
