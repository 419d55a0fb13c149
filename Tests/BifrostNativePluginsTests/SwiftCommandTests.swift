import BifrostCore
import BifrostNativePlugins
import BifrostPluginSDK
import Logging
import Synchronization
import Testing

/// A Swift plugin with a command of every type, exported through the SDK.
struct SwiftCommander: CommandProvidingPlugin {
    static let name = "swift-commander"
    static let version = "1.0.0"
    static let touches = Atomic<Int>(0)

    let greeting: String

    init(configuration: PluginConfiguration) throws {
        greeting = "hello"
    }

    typealias Instance = UnsafeMutableRawPointer?

    static let commands = [
        PluginCommand(
            name: "add", arguments: [.init(name: "a", type: .int64), .init(name: "b", type: .int64)], result: .int64,
            function: PluginCommand.function({ _, a, b in a &+ b } as @convention(c) (Instance, Int64, Int64) -> Int64)),
        PluginCommand(
            name: "scale", arguments: [.init(name: "x", type: .double), .init(name: "factor", type: .double)],
            result: .double,
            function: PluginCommand.function(
                { _, x, factor in x * factor } as @convention(c) (Instance, Double, Double) -> Double)),
        PluginCommand(
            name: "negate", arguments: [.init(name: "flag", type: .bool)], result: .bool,
            function: PluginCommand.function({ _, flag in flag == 0 ? 1 : 0 } as @convention(c) (Instance, Int32) -> Int32)),
        PluginCommand(
            name: "greet", description: "greets with the plugin's greeting",
            arguments: [.init(name: "name", type: .string, description: "who")], result: .string,
            function: PluginCommand.function(
                { instance, name in
                    let plugin = PluginCommand.plugin(instance, as: SwiftCommander.self)
                    return PluginCommand.result("\(plugin?.greeting ?? "?"), \(PluginCommand.text(name))")
                } as @convention(c) (Instance, UnsafePointer<CChar>?) -> UnsafePointer<CChar>?)),
        PluginCommand(
            name: "touch", result: .void,
            function: PluginCommand.function(
                { _ in SwiftCommander.touches.add(1, ordering: .relaxed) } as @convention(c) (Instance) -> Void)),
    ]
}

@Suite("Plugin commands of a Swift plugin (CommandProvidingPlugin)")
struct SwiftCommandTests {
    static func load() throws -> NativePlugin {
        try NativePlugin.create(source: SwiftCommander.name, configuration: [], logger: Logger(label: "test")) {
            host, token, config, length in
            exportPlugin(SwiftCommander.self, host: host, token: token, config: config, configLength: length)
        }
    }

    static let typedCalls: [(String, JSONValue, PluginCommandValue)] = [
        ("add", ["a": 40, "b": 2], .int64(42)),
        ("scale", ["x": 1.5, "factor": 4], .double(6)),
        ("negate", ["flag": true], .bool(false)),
        ("greet", ["name": "Ada"], .string("hello, Ada")),
        ("touch", [:], .null),
    ]

    @Test("each type crosses into and out of the Swift function", arguments: typedCalls)
    func eachType(command: String, arguments: JSONValue, expected: PluginCommandValue) throws {
        let plugin = try Self.load()
        defer { plugin.shutdown() }
        let declaration = try #require(plugin.commands.first { $0.name == command })
        #expect(
            try plugin.callCommand(command, arguments: try declaration.bind(arguments, plugin: "swift-commander")) == expected)
    }

    @Test func theDeclarationsReachTheHost() throws {
        let plugin = try Self.load()
        defer { plugin.shutdown() }
        #expect(
            plugin.commands.map(\.signature) == [
                "(a: int64, b: int64) -> int64", "(x: double, factor: double) -> double", "(flag: bool) -> bool",
                "(name: string) -> string", "() -> void",
            ])
        #expect(plugin.commands[3].description == "greets with the plugin's greeting")
        #expect(plugin.commands[3].arguments.first?.description == "who")
        let before = SwiftCommander.touches.load(ordering: .relaxed)
        _ = try plugin.callCommand("touch", arguments: [])
        #expect(SwiftCommander.touches.load(ordering: .relaxed) == before + 1)
    }
}
