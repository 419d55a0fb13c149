import BifrostCore
import BifrostGateway
import BifrostHTTP
import BifrostLibrary
import BifrostTestSupport
import Foundation
import Testing

@Suite("Configuration of the admin token and plugin scopes")
struct AdminConfigurationTests {
    func parse(_ json: String, environment: [String: String] = [:]) throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(try JSONValue.parse(json), file: "bifrost.json", environment: environment)
    }

    @Test("admin.token is read from the environment and never shows in a description")
    func token() throws {
        let configuration = try parse(
            #"{"admin": {"token": "env.BIFROST_ADMIN_TOKEN"}}"#, environment: ["BIFROST_ADMIN_TOKEN": "t0p-s3cret"])
        #expect(configuration.server.adminToken == AdminToken("t0p-s3cret"))
        #expect(!"\(configuration.server)".contains("t0p-s3cret"))
        #expect(configuration.warnings.isEmpty)
        let literal = try parse(#"{"admin": {"token": "t0p-s3cret"}}"#)
        #expect(literal.warnings.count == 1 && !literal.warnings[0].contains("t0p-s3cret"))
    }

    @Test("server.client_id_secret keys client ids, is read from the environment and never shows")
    func clientIDSecret() throws {
        let configuration = try parse(
            #"{"server": {"client_id_secret": "env.BIFROST_CLIENT_ID_SECRET"}}"#,
            environment: ["BIFROST_CLIENT_ID_SECRET": "replicas-share-this"])
        #expect(configuration.server.clientIDSecret == ClientIDSecret("replicas-share-this"))
        #expect(!"\(configuration.server)".contains("replicas-share-this"))
        #expect(try parse("{}").server.clientIDSecret == .processDefault)
    }

    @Test("a scope's teams stand for their members' client ids")
    func teams() throws {
        let configuration = try parse(
            #"{"teams": {"research": ["key:00000000000000aa", "key:00000000000000bb"]}, "plugins": [{"file": "a.so", "scope": {"clients": ["key:cc*"], "teams": ["research"]}}]}"#
        )
        #expect(configuration.plugins.first?.scope?.clients == ["key:cc*", "key:00000000000000aa", "key:00000000000000bb"])
    }

    @Test(
        "bad admin and scope values name the field",
        arguments: [
            (#"{"admin": {"token": "env.MISSING"}}"#, "admin.token: environment variable MISSING is not set"),
            (#"{"admin": {}}"#, "admin.token: required"),
            (#"{"admin": {"token": "env.T", "user": "x"}}"#, "admin.user: unknown field"),
            (#"{"plugins": [{"file": "a.so", "scope": {"models": "gpt"}}]}"#, "plugins[0].scope.models: expected an array"),
            (#"{"plugins": [{"file": "a.so", "scope": {"users": []}}]}"#, "plugins[0].scope.users: unknown field"),
            (#"{"plugins": [{"file": "a.so", "scope": {"teams": ["ops"]}}]}"#, "plugins[0].scope.teams[0]: unknown team 'ops'"),
        ])
    func refusals(json: String, expected: String) {
        #expect(throws: ConfigurationError.self) { try parse(json, environment: ["T": "x"]) }
        do {
            _ = try parse(json, environment: ["T": "x"])
        } catch {
            #expect("\(error)".contains(expected), "\(error)")
        }
    }

    @Test("a native plugin scoped to a model in the file runs on that model only, and /api/plugins shows the scope")
    func nativeScope() async throws {
        let directory = try CPluginCompiler.temporaryDirectory("scoped")
        let file = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "scoped-counter.so", in: directory, defines: ["PLUGIN_NAME": "\"scoped\""])
        let json = #"{"admin": {"token": "env.ADMIN"}, "plugins": [{"file": "\#(file)", "scope": {"models": ["echo"]}}]}"#
        var configuration = try parse(json, environment: ["ADMIN": "gateway-admin"])
        configuration.server.port = 0
        try await withGateway(configuration) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).status == 200)
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON(model: "mock/fail")).status == 503)
            #expect(try await client.get("/api/plugins").status == 401)
            let listing = try await client.get("/api/plugins", headers: ["Authorization": "Bearer gateway-admin"])
            #expect(listing.text.contains(#""scope":{"routes":[],"models":["echo"],"clients":[]}"#))
        }
        let probe = try CounterProbe(file: file)
        #expect(probe.preCalls() == 1)
        #expect(probe.postCalls() == 1)
    }
}
