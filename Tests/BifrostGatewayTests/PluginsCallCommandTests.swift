import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Testing

/// `bifrost plugins call` against a running gateway with the zoo's `commander`.
@Suite("bifrost plugins call")
struct PluginsCallCommandTests {
    static func configuration() async throws -> GatewayConfiguration {
        let file = try await CPluginCompiler.compile(zoo: "commander.c", as: "commander.so")
        return try GatewayConfiguration.parse(
            try JSONValue.parse(#"{"plugins": [{"file": "\#(file)"}]}"#), file: "call.json", environment: [:])
    }

    static func call(_ port: Int, _ arguments: [String]) async throws -> (Int32, String) {
        try await CPluginCompiler.run(
            "\(productsDirectory)/bifrost",
            ["plugins", "call", "--gateway", "http://127.0.0.1:\(port)"] + arguments, environment: [:])
    }

    @Test(
        "name=value pairs are typed by the declaration, --json is sent as it is",
        arguments: [
            (["commander", "add", "a=40", "b=2"], #"{"result":42}"#),
            (["commander", "describe", "i=-1", "d=0.5", "b=true", "s=a b"], #"{"result":"i=-1 d=0.5 b=1 s=a b"}"#),
            (["commander", "greet", "--json", #"{"name":"x"}"#], #"{"result":"hello, x"}"#),
            (["commander", "touch"], #"{"result":null}"#),
        ])
    func calls(arguments: [String], output: String) async throws {
        try await withGateway(try await Self.configuration()) { _, gateway in
            let (status, text) = try await Self.call(gateway.port, arguments)
            #expect(status == 0, "\(text)")
            #expect(text == output + "\n")
        }
    }

    @Test(
        "a refused call exits 1 with the reason",
        arguments: [
            (["commander", "add", "a=x", "b=2"], "argument 'a' must be int64"),
            (["commander", "add", "a=1"], "needs argument 'b'"),
            (["commander", "add", "c=1"], "has no argument 'c'"),
            (["nope", "add"], "no plugin named 'nope'"),
            (["commander", "add", "--json", #"{"a":1,"b":true}"#], "argument 'b' of command 'add'"),
        ])
    func refusals(arguments: [String], reason: String) async throws {
        try await withGateway(try await Self.configuration()) { _, gateway in
            let (status, text) = try await Self.call(gateway.port, arguments)
            #expect(status == 1)
            #expect(text.contains(reason), "\(text)")
        }
    }
}
