import BifrostCore
import BifrostNativePlugins

#if canImport(Glibc)
    import Glibc
#endif

/// What each of the four example plugins costs per request, through the chain with a canned
/// answer: every request has a new message, so the cache misses and stores. Two clocks: the
/// calling thread's CPU time (which other processes on the machine do not inflate), and the
/// process's, which also counts the plugins' own threads (the logging plugin's writer) and
/// any executor thread a hook's work moved to, as a gateway's CPU figure does.
///
/// Usage: `bifrost-bench --example-plugins DIR`, DIR holding `10-logging.so`,
/// `20-monitoring.so`, `40-rate-limiting.so`, `50-caching.so` and their sidecars
/// (`scripts/bench-plugins` lays them out).
enum ExamplePluginCost {
    static let names = ["10-logging", "20-monitoring", "40-rate-limiting", "50-caching"]

    static func run(directory: String) async throws {
        let metrics = MetricsRegistry()
        let plugins = try names.map { name in
            try PluginLoader.load(
                file: "\(directory)/\(name).so", configuration: try readFile("\(directory)/\(name).json"), metrics: metrics)
        }
        defer { for plugin in plugins { plugin.shutdown() } }
        let iterations = 20_000
        let baseline = await cpuPerRequest(PluginChain([], metrics: metrics), iterations: iterations)
        print("| plugins in the chain | thread CPU µs per request | added µs | process CPU µs per request | added µs |")
        print("|---|---|---|---|---|")
        print("| none | \(format(baseline.thread)) | | \(format(baseline.process)) | |")
        func row(_ name: some StringProtocol, _ cost: CPUCost) {
            print(
                "| \(name) | \(format(cost.thread)) | \(format(cost.thread - baseline.thread)) "
                    + "| \(format(cost.process)) | \(format(cost.process - baseline.process)) |")
        }
        for (name, plugin) in zip(names, plugins) {
            row(
                name.dropFirst(3),
                await cpuPerRequest(PluginChain([ChainEntry(plugin)], metrics: metrics), iterations: iterations))
        }
        row(
            "all four", await cpuPerRequest(PluginChain(plugins.map { ChainEntry($0) }, metrics: metrics), iterations: iterations)
        )
    }

    /// CPU µs per request on the calling thread and in the whole process.
    struct CPUCost {
        var thread: Double
        var process: Double
    }

    /// Median over 5 runs of each clock's CPU µs per request.
    static func cpuPerRequest(_ chain: PluginChain, iterations: Int) async -> CPUCost {
        var threadSamples: [Double] = []
        var processSamples: [Double] = []
        var counter = 0
        for _ in 0..<5 {
            let start = (thread: threadCPUNanoseconds(), process: cpuNanoseconds(CLOCK_PROCESS_CPUTIME_ID))
            for _ in 0..<iterations {
                counter += 1
                var request = HookBenchmark.request
                request.messages[1].content = "Summarise the plot of Hamlet in two sentences, take \(counter)."
                let outcome = await chain.run(request, context: RequestContext(clientID: "key:0123456789abcdef")) { _, _ in
                    answer
                }
                precondition(outcome.response != nil, "\(outcome)")
            }
            threadSamples.append(Double(threadCPUNanoseconds() - start.thread) / Double(iterations) / 1_000)
            processSamples.append(Double(cpuNanoseconds(CLOCK_PROCESS_CPUTIME_ID) - start.process) / Double(iterations) / 1_000)
        }
        return CPUCost(thread: threadSamples.sorted()[2], process: processSamples.sorted()[2])
    }

    static let answer = ChatOutcome.response(
        ChatResponse(
            provider: "mock", model: "echo", choices: [ChatChoice(content: "Hamlet avenges his father; nearly everyone dies.")],
            usage: TokenUsage(promptTokens: 31, completionTokens: 9)))

    static func threadCPUNanoseconds() -> UInt64 { cpuNanoseconds(CLOCK_THREAD_CPUTIME_ID) }

    static func cpuNanoseconds(_ clock: clockid_t) -> UInt64 {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }

    static func readFile(_ path: String) throws -> [UInt8] {
        guard let file = fopen(path, "rb") else { return [] }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
        }
        return bytes
    }

    static func format(_ value: Double) -> String { "\((value * 100).rounded() / 100)" }
}
