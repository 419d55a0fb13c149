import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Testing

@testable import BifrostHTTP

private let bearer = ["Authorization": "Bearer \(adminToken)"]

/// The zoo's `commander` (Tests/PluginZoo/commander.c), in process.
private func commander() async throws -> PluginSpec {
    .native(try await CPluginCompiler.compile(zoo: "commander.c", as: "commander.so"))
}

@Suite("Plugin commands over the admin API: POST /api/plugins/{name}/commands/{command}")
struct PluginCommandAPITests {
    @Test(
        "each type reaches the C function and comes back as JSON",
        arguments: [
            ("add", #"{"a":40,"b":2}"#, "42"),
            ("scale", #"{"x":1.5,"factor":-2}"#, "-3"),
            ("negate", #"{"flag":false}"#, "true"),
            ("greet", #"{"name":"wörld"}"#, #""hello, wörld""#),
            ("describe", #"{"s":"x","b":true,"d":0.5,"i":-7}"#, #""i=-7 d=0.5 b=1 s=x""#),
            ("nothing", "{}", "null"),
            ("touch", "", "null"),
        ])
    func calls(command: String, body: String, result: String) async throws {
        try await withAdminServer([try await commander()]) { client, _ in
            let response = try await client.postJSON("/api/plugins/commander/commands/\(command)", body, headers: bearer)
            #expect(response.status == 200, "\(response.text)")
            #expect(response.text == #"{"result":\#(result)}"#)
        }
    }

    @Test(
        "wrong argument types and counts are 400 naming the argument",
        arguments: [
            ("add", #"{"a":1}"#, "missing_argument", "b"),
            ("add", #"{"a":1,"b":2,"c":3}"#, "unexpected_argument", "c"),
            ("add", #"{"a":"1","b":2}"#, "invalid_argument", "a"),
            ("add", #"{"a":1,"b":9223372036854775808}"#, "invalid_argument", "b"),
            ("negate", #"{"flag":0}"#, "invalid_argument", "flag"),
            ("greet", #"{"name":"a\u0000b"}"#, "invalid_argument", "name"),
            ("scale", #"{"x":[],"factor":1}"#, "invalid_argument", "x"),
        ])
    func badArguments(command: String, body: String, code: String, argument: String) async throws {
        try await withAdminServer([try await commander()]) { client, _ in
            let response = try await client.postJSON("/api/plugins/commander/commands/\(command)", body, headers: bearer)
            #expect(response.status == 400)
            let error = try response.json().objectField("error")
            #expect(error?.objectField("code") == .string(code))
            #expect(error?.objectField("param") == .string(argument))
            #expect(error?.objectField("message")?.stringValue?.contains("'\(argument)'") == true)
        }
    }

    @Test func unknownPluginsAndCommandsAre404AndABodyThatIsNoObjectIs400() async throws {
        try await withAdminServer([try await commander()]) { client, _ in
            let plugin = try await client.postJSON("/api/plugins/nope/commands/add", "{}", headers: bearer)
            #expect(plugin.status == 404)
            #expect(try plugin.json().objectField("error")?.objectField("code") == .string("unknown_plugin"))
            let command = try await client.postJSON("/api/plugins/commander/commands/nope", "{}", headers: bearer)
            #expect(command.status == 404)
            #expect(try command.json().objectField("error")?.objectField("code") == .string("unknown_command"))
            #expect(try await client.postJSON("/api/plugins/commander/commands/add", "[1,2]", headers: bearer).status == 400)
            #expect(try await client.postJSON("/api/plugins/commander/commands/add", "{", headers: bearer).status == 400)
            #expect(try await client.get("/api/plugins/commander/commands/add", headers: bearer).status == 405)
        }
    }

    @Test func callingNeedsAdminCredentialsAndTheGatewaysOwnOrigin() async throws {
        try await withAdminServer([try await commander()]) { client, _ in
            #expect(try await client.postJSON("/api/plugins/commander/commands/touch", "{}").status == 401)
            var foreign = bearer
            foreign["Origin"] = "https://evil.example"
            #expect(try await client.postJSON("/api/plugins/commander/commands/touch", "{}", headers: foreign).status == 403)
            let (cookie, csrf) = try await logIn(client)
            let noCSRF = try await client.postJSON("/api/plugins/commander/commands/touch", "{}", headers: ["Cookie": cookie])
            #expect(noCSRF.status == 403)
            let withCSRF = try await client.postJSON(
                "/api/plugins/commander/commands/touch", "{}", headers: ["Cookie": cookie, "X-CSRF-Token": csrf])
            #expect(withCSRF.status == 200, "\(withCSRF.text)")
        }
    }

    @Test func theListingShowsEachCommandsSignature() async throws {
        try await withAdminServer([try await commander()]) { client, _ in
            let listing = try await client.get("/api/plugins", headers: bearer).json()
            let commands = try #require(listing.objectField("plugins")?.arrayValue?.first?.objectField("commands")?.arrayValue)
            #expect(commands.count == 10)
            let greet = try #require(commands.first { $0.objectField("name") == .string("greet") })
            #expect(
                String(decoding: JSONWriter.bytes(of: greet), as: UTF8.self)
                    == #"{"name":"greet","description":"says hello","args":[{"name":"name","type":"string","description":"who to greet"}],"result":"string"}"#
            )
        }
    }
}
