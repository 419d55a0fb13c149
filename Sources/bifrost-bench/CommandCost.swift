import BifrostCore
import BifrostNativePlugins

/// What one plugin command call costs the host (ABI 1.5): the libffi call of an `int64`
/// command and of a `string` one (a copy in, a copy out and `release_result`), and the same
/// with the JSON arguments checked against the declaration first, as the admin route does.
///
/// Usage: `bifrost-bench --commands COMMANDER_SO`, the zoo's `Tests/PluginZoo/commander.c`
/// built as a plugin. Run it from a release build.
enum CommandCost {
    static func run(file: String) async throws {
        let plugin = try PluginLoader.load(file: file)
        defer { plugin.shutdown() }
        let add = plugin.commands.first { $0.name == "add" }!
        let greet = plugin.commands.first { $0.name == "greet" }!
        let addArguments: JSONValue = ["a": 40, "b": 2]
        let greetArguments: JSONValue = ["name": "operator"]
        let iterations = 1_000_000
        print("| command call | ns per call |")
        print("|---|---|")
        let cases: [(String, @Sendable () throws -> Void)] = [
            (
                "`add(a: int64, b: int64) -> int64`, ffi_call only",
                { _ = try plugin.callCommand("add", arguments: [.int64(40), .int64(2)]) }
            ),
            (
                "`add`, JSON arguments checked first",
                { _ = try plugin.callCommand("add", arguments: try add.bind(addArguments, plugin: "commander")) }
            ),
            (
                "`greet(name: string) -> string`, ffi_call only",
                { _ = try plugin.callCommand("greet", arguments: [.string("operator")]) }
            ),
            (
                "`greet`, JSON arguments checked first",
                { _ = try plugin.callCommand("greet", arguments: try greet.bind(greetArguments, plugin: "commander")) }
            ),
        ]
        for (label, call) in cases {
            let nanoseconds = try await HookBenchmark.median {
                let start = ContinuousClock.now
                for _ in 0..<iterations { try call() }
                return HookBenchmark.nanoseconds(ContinuousClock.now - start) / Double(iterations)
            }
            print("| \(label) | \(HookBenchmark.format(nanoseconds)) |")
        }
    }
}
