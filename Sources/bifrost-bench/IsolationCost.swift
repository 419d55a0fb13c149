import BifrostCore
import BifrostNativePlugins
import BifrostPluginIsolation

/// What isolating a plugin costs per hook call: the same no-op C plugin in process and in a
/// worker process, each call timed on its own so the percentiles show the round trip's spread.
///
/// Usage: `bifrost-bench --isolation NOOP_PLUGIN_DIR BIFROST_EXECUTABLE` (scripts/bench-hooks).
enum IsolationCost {
    static func run(directory: String, executable: String) throws {
        let file = "\(directory)/noop-1.so"
        let inProcess = try PluginLoader.load(file: file)
        let isolated = try IsolatedPlugin.launch(
            file: file, settings: IsolationSettings(workerExecutable: executable), hookDeadline: .seconds(5))
        defer {
            isolated.shutdown()
            inProcess.shutdown()
        }
        let calls = 20_000
        let inProcessPre = try percentiles(calls) { try preHook(inProcess) }
        let isolatedPre = try percentiles(calls) { try preHook(isolated) }
        let inProcessPost = try percentiles(calls) { try postHook(inProcess) }
        let isolatedPost = try percentiles(calls) { try postHook(isolated) }

        print("| one hook call, no-op C plugin, \(calls) calls | p50 ns | p99 ns |")
        print("|---|---|---|")
        print("| PreHook in process | \(inProcessPre.p50) | \(inProcessPre.p99) |")
        print("| PreHook isolated (worker process, one round trip) | \(isolatedPre.p50) | \(isolatedPre.p99) |")
        print("| PostHook in process | \(inProcessPost.p50) | \(inProcessPost.p99) |")
        print("| PostHook isolated | \(isolatedPost.p50) | \(isolatedPost.p99) |")
    }

    private static func preHook(_ plugin: any Plugin) throws {
        var request = HookBenchmark.request
        _ = try plugin.preHook(&request, context: RequestContext(requestID: "req-1", arrivalTimeNanoseconds: 0))
    }

    private static func postHook(_ plugin: any Plugin) throws {
        var outcome = HookBenchmark.canned
        try plugin.postHook(&outcome, context: RequestContext(requestID: "req-1", arrivalTimeNanoseconds: 0))
    }

    /// The 50th and 99th percentile of `calls` timed calls, in whole nanoseconds, after a warm-up.
    private static func percentiles(_ calls: Int, _ call: () throws -> Void) throws -> (p50: Int, p99: Int) {
        for _ in 0..<calls / 10 { try call() }
        var samples: [UInt64] = []
        samples.reserveCapacity(calls)
        for _ in 0..<calls {
            let start = RequestContext.monotonicNanoseconds()
            try call()
            samples.append(RequestContext.monotonicNanoseconds() - start)
        }
        samples.sort()
        return (Int(samples[calls / 2]), Int(samples[calls * 99 / 100]))
    }
}
