import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Testing

// ABI 1.6's parsed configuration view through a real C plugin (Tests/PluginZoo/config_probe.c):
// every typed lookup found, missing (NOT_FOUND = 1) and wrong-typed (WRONG_TYPE = 7); nested
// paths, arrays, object members, int64 against fractions; malformed paths (INVALID_ARGUMENT = 2);
// config_refuse naming the full field path; calls after create (WRONG_STATE = 5).

/// The probe plugin, compiled once for the suite.
private let probeLibrary = Task { try await CPluginCompiler.compile(zoo: "config_probe.c", as: "config-probe.so") }

/// The document the probes read, below the configuration's "data".
private let data = #"""
    {"name":"alias","limits":{"rpm":60,"burst":1.5,"big":12345678901234567890,"exp":1e3,"neg":-7,"on":true,
    "rules":[{"model":"gpt-4o"},{"model":"claude"},{"model":"mock/echo","weight":2}]},
    "a.b":{"c":"dotted"},"empty":{},"list":[1,"two",null,[3]],"off":false,"nothing":null}
    """#

/// Loads the probe with the given probes (op, node path, path, index) over `data`.
private func loadProbe(_ probes: [[JSONValue]]) async throws -> NativePlugin {
    var writer = JSONWriter(capacity: 256)
    writer.value(.array(probes.map { .array($0) }))
    let configuration = #"{"probes":\#(String(decoding: writer.bytes, as: UTF8.self)),"data":\#(data)}"#
    return try PluginLoader.load(file: try await probeLibrary.value, configuration: Array(configuration.utf8))
}

/// The probe plugin's answer headers for one request.
private func probeHeaders(_ plugin: NativePlugin) async -> [String: String] {
    guard case .response(let response) = await runChain([plugin]) else { return [:] }
    return ["x-probe": response.headers["x-probe"] ?? "", "x-late": response.headers["x-late"] ?? ""]
}

/// One lookup and what the plugin saw: "status:value".
struct ConfigProbe: Sendable, CustomTestStringConvertible {
    var op: String
    var node: String = ""
    var path: String
    var index: Int?
    var expected: String

    var probe: [JSONValue] {
        var entry: [JSONValue] = [.string(op), .string(node), .string(path)]
        if let index { entry.append(.number(JSONNumber(index))) }
        return entry
    }

    var testDescription: String { "\(op) \(node.isEmpty ? "" : node + " / ")\(path)\(index.map { " #\($0)" } ?? "")" }
}

private let probes: [ConfigProbe] = [
    // strings, nested paths, quoted names, paths from an inner node
    ConfigProbe(op: "string", path: "name", expected: "0:alias"),
    ConfigProbe(op: "string", path: "limits.rules[2].model", expected: "0:mock/echo"),
    ConfigProbe(op: "string", node: "limits.rules", path: "[0].model", expected: "0:gpt-4o"),
    ConfigProbe(op: "string", path: #"["a.b"].c"#, expected: "0:dotted"),
    ConfigProbe(op: "string", path: "missing", expected: "1:"),
    ConfigProbe(op: "string", path: "limits.rules[9].model", expected: "1:"),
    ConfigProbe(op: "string", path: "limits.rpm", expected: "7:"),
    ConfigProbe(op: "string", path: "name.first", expected: "7:"),
    ConfigProbe(op: "string", path: "limits[0]", expected: "7:"),
    // malformed paths
    ConfigProbe(op: "string", path: "limits..rpm", expected: "2:"),
    ConfigProbe(op: "string", path: ".name", expected: "2:"),
    ConfigProbe(op: "string", path: "list[x]", expected: "2:"),
    ConfigProbe(op: "string", path: "list[1", expected: "2:"),
    // numbers: int64 against fractions and out-of-range values, doubles as written
    ConfigProbe(op: "int64", path: "limits.rpm", expected: "0:60"),
    ConfigProbe(op: "int64", path: "limits.neg", expected: "0:-7"),
    ConfigProbe(op: "int64", path: "limits.exp", expected: "0:1000"),
    ConfigProbe(op: "int64", path: "limits.burst", expected: "7:"),
    ConfigProbe(op: "int64", path: "limits.big", expected: "7:"),
    ConfigProbe(op: "int64", path: "name", expected: "7:"),
    ConfigProbe(op: "double", path: "limits.burst", expected: "0:1.5"),
    ConfigProbe(op: "double", path: "limits.rpm", expected: "0:60"),
    ConfigProbe(op: "double", path: "limits.big", expected: "0:1.2345678901234567e+19"),
    ConfigProbe(op: "double", path: "name", expected: "7:"),
    ConfigProbe(op: "double", path: "absent", expected: "1:"),
    // booleans and null
    ConfigProbe(op: "bool", path: "limits.on", expected: "0:1"),
    ConfigProbe(op: "bool", path: "off", expected: "0:0"),
    ConfigProbe(op: "bool", path: "nothing", expected: "7:"),
    // kinds (NULL 0, BOOL 1, NUMBER 2, STRING 3, ARRAY 4, OBJECT 5)
    ConfigProbe(op: "kind", path: "nothing", expected: "0:0"),
    ConfigProbe(op: "kind", path: "off", expected: "0:1"),
    ConfigProbe(op: "kind", path: "list[0]", expected: "0:2"),
    ConfigProbe(op: "kind", path: "list[1]", expected: "0:3"),
    ConfigProbe(op: "kind", path: "list", expected: "0:4"),
    ConfigProbe(op: "kind", path: "", expected: "0:5"),
    ConfigProbe(op: "kind", path: "list[3][0]", expected: "0:2"),
    // arrays and objects: counts, elements, members in the order written
    ConfigProbe(op: "count", path: "list", expected: "0:4"),
    ConfigProbe(op: "count", path: "empty", expected: "0:0"),
    ConfigProbe(op: "count", path: "limits", expected: "0:7"),
    ConfigProbe(op: "count", path: "name", expected: "7:"),
    ConfigProbe(op: "element", path: "list", index: 3, expected: "0:4"),
    ConfigProbe(op: "element", path: "list", index: 4, expected: "4:"),
    ConfigProbe(op: "element", path: "limits", index: 0, expected: "7:"),
    ConfigProbe(op: "member", path: "limits", index: 0, expected: "0:rpm"),
    ConfigProbe(op: "member", path: "", index: 2, expected: "0:a.b"),
    ConfigProbe(op: "member", path: "limits", index: 7, expected: "4:"),
    ConfigProbe(op: "member", path: "list", index: 0, expected: "7:"),
    ConfigProbe(op: "lookup", node: "limits.rules", path: "[1]", expected: "0:5"),
    ConfigProbe(op: "lookup", node: "nowhere", path: "", expected: "1:"),
]

@Test(arguments: probes)
func configLookupThroughACPlugin(_ probe: ConfigProbe) async throws {
    let plugin = try await loadProbe([probe.probe])
    defer { plugin.shutdown() }
    #expect(await probeHeaders(plugin)["x-probe"] == probe.expected)
}

@Test func configCallsAfterCreateAreWrongState() async throws {
    let plugin = try await loadProbe([])
    defer { plugin.shutdown() }
    // config_root with the kept token, then config_get_string with the kept root, from a PostHook.
    #expect(await probeHeaders(plugin)["x-late"] == "5,5")
}

/// A refusal's node and path, and the full path the load error must name.
struct ConfigRefusal: Sendable {
    var node: String
    var path: String
    var field: String
}

@Test(arguments: [
    ConfigRefusal(node: "limits.rules", path: "[2].model", field: "data.limits.rules[2].model"),
    ConfigRefusal(node: "", path: "limits.rules[2].model", field: "data.limits.rules[2].model"),
    ConfigRefusal(node: "a.b", path: "", field: #"data["a.b"]"#),
    ConfigRefusal(node: "limits", path: "absent", field: "data.limits.absent"),
])
func configRefuseNamesTheFieldPath(_ refusal: ConfigRefusal) async throws {
    let file = try await probeLibrary.value
    // A node path with a dot in a member name is written quoted.
    let node = refusal.node == "a.b" ? #"["a.b"]"# : refusal.node
    do {
        let plugin = try await loadProbe([["refuse", .string(node), .string(refusal.path)]])
        plugin.shutdown()
        Issue.record("the plugin loaded although it refused its configuration")
    } catch let error as PluginLoadError {
        #expect(error.kind == .refused)
        #expect(error.field == refusal.field)
        #expect(error.file == file)
        #expect(error.reason == "the plugin refused to load: \(refusal.field): not a model this plugin knows")
    }
}
