import BifrostCore
import BifrostNativePlugins

#if canImport(Glibc)
    import Glibc
#endif

/// Measures the plugin host's own cost: one hook call, and the chain around a request.
///
/// Usage: `bifrost-bench NOOP_PLUGIN_DIR` where the directory holds `noop-1.so` … `noop-4.so`
/// (no-op C plugins; `scripts/bench` builds them). Run it from a release build.
@main
struct HookBenchmark {
    struct InProcessNoop: Plugin {
        let descriptor: PluginDescriptor
        init(_ name: String) { descriptor = PluginDescriptor(name: name, version: "1") }
        func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }
        func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}
    }

    static let request = ChatRequest(
        provider: "mock", model: "echo",
        messages: [
            ChatMessage(role: "system", content: "You are a helpful assistant."),
            ChatMessage(role: "user", content: "Summarise the plot of Hamlet in two sentences."),
        ],
        parameters: ["temperature": 0.7, "max_tokens": 256])
    static let canned = ChatOutcome.response(
        ChatResponse(provider: "mock", model: "echo", choices: [ChatChoice(content: "Hamlet avenges his father.")]))

    static func main() async throws {
        let arguments = CommandLine.arguments
        if arguments.count == 3, arguments[1] == "--example-plugins" {
            try await ExamplePluginCost.run(directory: arguments[2])
            return
        }
        if arguments.count == 3, arguments[1] == "--model-alias" {
            try await ModelAliasCost.run(directory: arguments[2])
            return
        }
        if arguments.count == 4, arguments[1] == "--isolation" {
            try IsolationCost.run(directory: arguments[2], executable: arguments[3])
            return
        }
        if arguments.count == 3, arguments[1] == "--commands" {
            try await CommandCost.run(file: arguments[2])
            return
        }
        if arguments.count == 3, arguments[1] == "--wire" {
            try WireBenchmark.run(directory: arguments[2])
            return
        }
        guard arguments.count >= 2, !arguments[1].hasPrefix("-") else {
            print(
                """
                usage: bifrost-bench NOOP_PLUGIN_DIR [--quick]
                       bifrost-bench --example-plugins DIR | --model-alias DIR | --commands FILE | --wire DIR
                       bifrost-bench --isolation DIR BIFROST_EXECUTABLE
                (scripts/bench and scripts/bench-hooks build what these read and run them)
                """)
            if arguments.count >= 2, !["-h", "--help"].contains(arguments[1]) { exit(2) }
            return
        }
        let directory = arguments[1]
        // --quick divides the iterations by 100, for profiling under callgrind.
        let scale = arguments.contains("--quick") ? 100 : 1
        let native = try (1...4).map { try PluginLoader.load(file: "\(directory)/noop-\($0).so") }
        let swift = (1...4).map { InProcessNoop("swift-\($0)") }

        let hookIterations = 2_000_000 / scale
        let nativeHook = try await median { try preHookLoop(native[0], iterations: hookIterations) }
        let swiftHook = try await median { try preHookLoop(swift[0], iterations: hookIterations) }

        let chainIterations = 500_000 / scale
        let empty = PluginChain([])
        let nativeChain = PluginChain(native.map { ChainEntry($0) })
        let swiftChain = PluginChain(swift.map { ChainEntry($0) })
        let timedChain = PluginChain(native.map { ChainEntry($0) }, metrics: MetricsRegistry())
        let baseline = await median { await chainLoop(empty, iterations: chainIterations) }
        let nativeRequest = await median { await chainLoop(nativeChain, iterations: chainIterations) }
        let swiftRequest = await median { await chainLoop(swiftChain, iterations: chainIterations) }
        let timedRequest = await median { await chainLoop(timedChain, iterations: chainIterations) }

        print("| measurement | ns |")
        print("|---|---|")
        print("| PreHook call, no-op native C plugin (through the adapter) | \(format(nativeHook)) |")
        print("| PreHook call, same no-op in-process Swift plugin | \(format(swiftHook)) |")
        print("| ratio native / in-process | \(format(nativeHook / swiftHook, digits: 2)) |")
        print("| chain run, no plugins (baseline) | \(format(baseline)) |")
        print("| chain run, 4 no-op native plugins, pre + post | \(format(nativeRequest)) |")
        print("| chain run, 4 no-op Swift plugins, pre + post | \(format(swiftRequest)) |")
        print("| chain overhead per request, 4 native plugins (minus baseline) | \(format(nativeRequest - baseline)) |")
        print(
            "| chain run, 4 no-op native plugins with per-hook duration metrics (as the gateway runs) | \(format(timedRequest)) |"
        )
        print("| cost of the hook duration metrics per request (8 hooks) | \(format(timedRequest - nativeRequest)) |")
        for plugin in native { plugin.shutdown() }
    }

    /// ns per PreHook call; one context per request, as in the gateway.
    static func preHookLoop(_ plugin: any Plugin, iterations: Int) throws -> Double {
        var request = request
        let context = RequestContext()
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            _ = try plugin.preHook(&request, context: context)
        }
        return nanoseconds(ContinuousClock.now - start) / Double(iterations)
    }

    /// ns per request through the chain with a dispatch that answers at once.
    static func chainLoop(_ chain: PluginChain, iterations: Int) async -> Double {
        var sink = 0
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            let outcome = await chain.run(request, context: RequestContext()) { _, _ in canned }
            if outcome.response != nil { sink &+= 1 }
        }
        precondition(sink == iterations)
        return nanoseconds(ContinuousClock.now - start) / Double(iterations)
    }

    static func median(_ measure: @Sendable () async throws -> Double) async rethrows -> Double {
        var samples: [Double] = []
        for _ in 0..<5 { samples.append(try await measure()) }
        return samples.sorted()[2]
    }

    static func nanoseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e9 + Double(duration.components.attoseconds) / 1e9
    }

    static func format(_ value: Double, digits: Int = 1) -> String {
        let scale = digits == 2 ? 100.0 : 10.0
        return "\((value * scale).rounded() / scale)"
    }
}
