import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Foundation
import Testing

/// Plugin state and callouts through the host services of ABI 1.7 (PluginSDK/DESIGN.md §7),
/// with the C plugin `Tests/PluginZoo/state_user.c` on real gateways.
@Suite("Host services: state and callouts", .timeLimit(.minutes(3)))
struct HostServicesTests {
    static let chat = #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#

    static func configuration(_ file: String, plugin: String, state: String = "") throws -> GatewayConfiguration {
        let json = """
            {"plugins": [{"file": "\(file)", "config": \(plugin)}]\(state.isEmpty ? "" : #", "state": \#(state)"#)}
            """
        return try GatewayConfiguration.parse(try JSONValue.parse(json), file: "state.json", environment: [:])
    }

    @Test func aCounterInMemoryAdmitsExactlyItsLimitAndTheAnswerSaysTheCount() async throws {
        let file = try await CPluginCompiler.compile(zoo: "state_user.c", as: "state_counter.so")
        try await withGateway(try Self.configuration(file, plugin: #"{"limit": 3}"#)) { client, _ in
            var statuses: [Int] = []
            var counts: [String] = []
            for _ in 0..<5 {
                let response = try await client.postJSON("/v1/chat/completions", Self.chat)
                statuses.append(response.status)
                counts.append(response.headers["x-state-count"] ?? "none")
            }
            #expect(statuses == [200, 200, 200, 429, 429])
            #expect(counts == ["1", "2", "3", "4", "5"])
            let rejected = try await client.postJSON("/v1/chat/completions", Self.chat).json()
            #expect(
                rejected.objectField("error")?.objectField("message")
                    == .string("limit of 3 requests reached (this is request 6)"))
            let listing = try await client.get("/api/plugins").json()
            let state = listing.objectField("plugins")?.arrayValue?.first?.objectField("state_store")
            #expect(state?.objectField("policy") == .string("fail_open"))
            #expect(state?.objectField("backend") == .string("memory"))
            #expect(state?.objectField("backend_up") == .bool(true))
            #expect(state?.objectField("failures") == .number(0))
        }
    }

    @Test func aValueStoredByOneRequestAnswersTheNext() async throws {
        let file = try await CPluginCompiler.compile(zoo: "state_user.c", as: "state_cache.so")
        try await withGateway(try Self.configuration(file, plugin: "{}")) { client, _ in
            let first = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-cache-key": "greeting"])
            #expect(first.status == 200)
            #expect(first.headers["x-state-cache"] == nil)
            let second = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-cache-key": "greeting"])
            #expect(second.status == 200)
            #expect(second.headers["x-state-cache"] == "hit")
            let content = { (response: HTTPTestResponse) throws -> JSONValue? in
                try response.json().objectField("choices")?.arrayValue?.first?.objectField("message")?.objectField("content")
            }
            #expect(try content(second) == content(first))
            let other = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-cache-key": "other"])
            #expect(other.headers["x-state-cache"] == nil, "another key is another value")
        }
    }

    @Test func aCallIssuedAgainWithAnotherKeyFaultsThePlugin() async throws {
        let file = try await CPluginCompiler.compile(zoo: "state_user.c", as: "state_misuse.so")
        try await withGateway(try Self.configuration(file, plugin: "{}")) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-misuse": "1"])
            #expect(response.status == 500)
            #expect(response.text.contains("repeat host operations in the same order"))
            #expect(try await client.postJSON("/v1/chat/completions", Self.chat).status == 200)
        }
    }

    @Test func calloutsAnswerFailAndStayBounded() async throws {
        let file = try await CPluginCompiler.compile(zoo: "state_user.c", as: "state_callout.so")
        let service = try await FakeUpstream.start { request in
            switch request.path {
            case "/slow":
                try? await Task.sleep(for: .seconds(5))
                return .json(body: "late")
            case "/huge": return .json(body: String(repeating: "x", count: 1 << 20))
            case "/denied": return .json(status: 403, body: "no")
            default: return .json(body: "clean")
            }
        }
        let refused = try await FakeUpstream.unusedPort()
        defer { Task { await service.stop() } }
        let plugin = #"{"callout_url": "http://127.0.0.1:\#(service.port)"}"#
        try await withGateway(try Self.configuration(file, plugin: plugin)) { client, _ in
            let ok = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-callout": "/scan"])
            #expect(ok.status == 200)
            #expect(ok.headers["x-callout-status"] == "200")
            #expect(ok.headers["x-callout-body"] == "clean")
            let denied = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-callout": "/denied"])
            #expect(denied.headers["x-callout-status"] == "403", "any status is an answer")

            let started = ContinuousClock.now
            let slow = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-callout": "/slow"])
            #expect(slow.headers["x-callout-error"] == "timeout")
            #expect(ContinuousClock.now - started < .seconds(4), "the callout's 1 s timeout holds")

            let huge = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-callout": "/huge"])
            #expect(huge.headers["x-callout-error"] == "too_large")
            #expect(huge.status == 200)
        }
        let unreachable = #"{"callout_url": "http://127.0.0.1:\#(refused)"}"#
        try await withGateway(try Self.configuration(file, plugin: unreachable)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", Self.chat, headers: ["x-callout": "/scan"])
            #expect(response.headers["x-callout-error"] == "unavailable")
            #expect(response.status == 200)
        }
    }

    @Test(arguments: [
        (#"{"redis": {"url": "http://127.0.0.1"}}"#, "state.redis.url"),
        (#"{"redis": {"url": "redis://:secret@127.0.0.1"}}"#, "credentials do not belong in the URL"),
        (#"{"redis": {"pool_size": 2}}"#, "state.redis.url: required"),
        (#"{"redis": {"url": "redis://127.0.0.1:99999"}}"#, "the port"),
        (#"{"disk": {}}"#, "state.disk"),
    ])
    func aBadStateConfigurationNamesItsField(state: String, expected: String) throws {
        let json = #"{"state": \#(state)}"#
        #expect {
            _ = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "state.json", environment: [:])
        } throws: { error in
            "\(error)".contains(expected) && !"\(error)".contains("secret")
        }
    }

    @Test func aStatePolicyIsReadPerPlugin() throws {
        let json = #"{"plugins": [{"file": "a.so", "state_policy": "fail_closed"}, {"file": "b.so"}]}"#
        let configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "state.json", environment: [:])
        #expect(configuration.plugins.map(\.statePolicy) == [.failClosed, nil])
        #expect(throws: ConfigurationError.self) {
            _ = try GatewayConfiguration.parse(
                try JSONValue.parse(#"{"plugins": [{"file": "a.so", "state_policy": "fail-maybe"}]}"#), file: "state.json",
                environment: [:])
        }
    }
}
