import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import CBifrostPlugin
import Testing

/// ABI 1.5 commands through real builds of the zoo's `commander` (Tests/PluginZoo/commander.c):
/// declarations read and checked at load, arguments bound against them, and the call reaching
/// the C function through libffi with the values given.
@Suite("Plugin commands (ABI 1.5): declarations, binding, ffi_call")
struct CommandTests {
    static func commander(_ defines: [String: String] = [:]) async throws -> NativePlugin {
        try await loadZoo("commander.c", name: "commander.so", defines: defines)
    }

    /// Binds `arguments` to the command's declaration and calls it.
    static func call(_ plugin: NativePlugin, _ name: String, _ arguments: JSONValue = [:]) throws -> PluginCommandValue {
        let declaration = try #require(plugin.commands.first { $0.name == name })
        return try plugin.callCommand(name, arguments: try declaration.bind(arguments, plugin: plugin.descriptor.name))
    }

    static let goodCalls: [(String, JSONValue, PluginCommandValue)] = [
        ("add", ["a": 40, "b": 2], .int64(42)),
        ("add", ["a": .number(JSONNumber(text: "9223372036854775806")!), "b": 1], .int64(Int64.max)),
        ("add", ["a": -5, "b": 2.0], .int64(-3)),
        ("scale", ["x": 1.5, "factor": -2], .double(-3)),
        ("negate", ["flag": true], .bool(false)),
        ("negate", ["flag": false], .bool(true)),
        ("greet", ["name": "wörld"], .string("hello, wörld")),
        ("describe", ["i": -7, "d": 0.25, "b": true, "s": "x y"], .string("i=-7 d=0.25 b=1 s=x y")),
        ("nothing", [:], .null),
        ("touch", [:], .null),
    ]

    static let badCalls: [(String, JSONValue, PluginCommandError.Code, String)] = [
        ("add", ["a": 1], .missingArgument, "b"),
        ("add", ["a": 1, "b": 2, "c": 3], .unexpectedArgument, "c"),
        ("add", ["a": "1", "b": 2], .invalidArgument, "a"),
        ("add", ["a": 1, "b": 1.5], .invalidArgument, "b"),
        ("add", ["a": .number(JSONNumber(text: "9223372036854775808")!), "b": 0], .invalidArgument, "a"),
        ("scale", ["x": true, "factor": 1], .invalidArgument, "x"),
        ("scale", ["x": 1, "factor": .number(JSONNumber(text: "1e400")!)], .invalidArgument, "factor"),
        ("negate", ["flag": 1], .invalidArgument, "flag"),
        ("greet", ["name": .null], .invalidArgument, "name"),
        ("greet", ["name": "a\u{0}b"], .invalidArgument, "name"),
    ]

    @Test func theOneFiveFieldsAreAppendedToThePluginTable() {
        let plugin = MemoryLayout<bifrost_plugin>.self
        let pointer = MemoryLayout<UnsafeRawPointer>.size
        #expect(plugin.offset(of: \.commands) == plugin.offset(of: \.export_state)! + pointer)
        #expect(plugin.offset(of: \.command_count) == plugin.offset(of: \.commands)! + pointer)
        #expect(MemoryLayout<bifrost_command_arg>.size == 8 + 2 * pointer)
        #expect(MemoryLayout<bifrost_command>.size == 8 + 6 * pointer)
    }

    @Test func theDeclarationsAreReadInOrderWithTheirTypes() async throws {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        #expect(
            plugin.commands.map(\.name) == [
                "add", "scale", "negate", "greet", "describe", "touch", "counts", "nothing", "weigh", "crash",
            ])
        let describe = try #require(plugin.commands.first { $0.name == "describe" })
        #expect(describe.signature == "(i: int64, d: double, b: bool, s: string) -> string")
        #expect(describe.description == "echoes its arguments")
        let greet = try #require(plugin.commands.first { $0.name == "greet" })
        #expect(greet.arguments == [PluginCommandArgument(name: "name", type: .string, description: "who to greet")])
        #expect(plugin.commands.first { $0.name == "negate" }?.description == nil)
    }

    @Test(
        "each type crosses both ways with the values given",
        arguments: CommandTests.goodCalls)
    func eachTypeCrossesBothWays(command: String, arguments: JSONValue, expected: PluginCommandValue) async throws {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        #expect(try Self.call(plugin, command, arguments) == expected)
    }

    @Test func sixteenArgumentsArriveInTheirPlaces() async throws {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        var members: [(String, JSONValue)] = []
        for index in 1...16 { members.append(("a\(index)", .number(JSONNumber(index * 100 + index)))) }
        let expected = (1...16).reduce(Int64(0)) { $0 + Int64($1 * ($1 * 100 + $1)) }
        #expect(
            try Self.call(plugin, "weigh", .object(JSONObject(members: members.map { .init(key: $0.0, value: $0.1) })))
                == .int64(expected))
    }

    @Test func stringResultsAreReleasedOnceAndStaticOnesNever() async throws {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        let before = try Self.call(plugin, "counts")
        guard case .string(let text) = before else { throw UnexpectedSuccess(file: "counts") }
        let parts = text.split(separator: " ").compactMap { Int($0) }
        _ = try Self.call(plugin, "greet", ["name": "a"])
        _ = try Self.call(plugin, "touch")
        _ = try Self.call(plugin, "describe", ["i": 1, "d": 1, "b": false, "s": ""])
        #expect(try Self.call(plugin, "counts") == .string("\(parts[0] + 1) \(parts[1] + 2)"))
    }

    @Test(
        "arguments of the wrong type, missing, extra or out of range are refused naming the argument",
        arguments: CommandTests.badCalls)
    func badArgumentsAreRefused(command: String, arguments: JSONValue, code: PluginCommandError.Code, argument: String)
        async throws
    {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        let error = try #require(throws: PluginCommandError.self) { try Self.call(plugin, command, arguments) }
        #expect(error.code == code)
        #expect(error.argument == argument)
        #expect(error.message.contains("'\(argument)'"))
    }

    @Test func argumentsThatAreNotAnObjectOrAnUnknownCommandAreRefused() async throws {
        let plugin = try await Self.commander()
        defer { plugin.shutdown() }
        let add = try #require(plugin.commands.first { $0.name == "add" })
        #expect(throws: PluginCommandError.self) { try add.bind([1, 2], plugin: "commander") }
        let error = try #require(throws: PluginCommandError.self) { try plugin.callCommand("nope", arguments: []) }
        #expect(error.code == .unknownCommand)
    }

    @Test(
        "a malformed declaration refuses the plugin, naming it and the command",
        arguments: [
            (1, "invalid command name 'Bad Name'"),
            (2, "command 'add': another command has the same name"),
            (3, "command 'spare': unknown result_type 9"),
            (4, "command 'spare': argument 'x' has unknown value_type 7"),
            (5, "command 'spare': arg_count is 17"),
            (6, "command 'spare': function is NULL"),
            (7, "command 'spare': release_result is set"),
            (8, "commands[10].struct_size is 8"),
            (9, "command 'spare': args[0]: invalid argument name '2x'"),
            (10, "command 'spare': arg_count is 1 but args is NULL"),
        ])
    func malformedDeclarationsAreRefused(mode: Int, reason: String) async throws {
        let error = try await #require(throws: PluginLoadError.self) {
            try await Self.commander(["BROKEN_COMMAND": "\(mode)"])
        }
        #expect(error.kind == .invalidCommand)
        #expect(error.reason.hasPrefix("plugin 'commander' command"))
        #expect(error.reason.contains(reason), "\(error.reason)")
    }

    @Test func aTableOfTheOneFourSizeLoadsWithNoCommands() async throws {
        let plugin = try await Self.commander(["TABLE_1_4": "1"])
        defer { plugin.shutdown() }
        #expect(plugin.descriptor.abiVersion == "1.4")
        #expect(plugin.commands.isEmpty)
    }
}
