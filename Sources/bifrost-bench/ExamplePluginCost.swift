import BifrostCore
import BifrostNativePlugins

#if canImport(Glibc)
    import Glibc
#endif

/// What each of the four example plugins costs per request, in CPU time of the calling
/// thread (which other processes on the machine do not inflate), through the chain with a
/// canned answer: every request has a new message, so the cache misses and stores.
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
        print("| plugins in the chain | CPU µs per request | added µs |")
        print("|---|---|---|")
        print("| none | \(format(baseline)) | |")
        for (name, plugin) in zip(names, plugins) {
            let alone = await cpuPerRequest(PluginChain([ChainEntry(plugin)], metrics: metrics), iterations: iterations)
            print("| \(name.dropFirst(3)) | \(format(alone)) | \(format(alone - baseline)) |")
        }
        let all = await cpuPerRequest(PluginChain(plugins.map { ChainEntry($0) }, metrics: metrics), iterations: iterations)
        print("| all four | \(format(all)) | \(format(all - baseline)) |")
    }

    /// Median over 5 runs of the calling thread's CPU µs per request.
    static func cpuPerRequest(_ chain: PluginChain, iterations: Int) async -> Double {
        var samples: [Double] = []
        var counter = 0
        for _ in 0..<5 {
            let start = threadCPUNanoseconds()
            for _ in 0..<iterations {
                counter += 1
                var request = HookBenchmark.request
                request.messages[1].content = "Summarise the plot of Hamlet in two sentences, take \(counter)."
                let outcome = await chain.run(request, context: RequestContext(clientID: "key:0123456789abcdef")) { _, _ in
                    answer
                }
                precondition(outcome.response != nil, "\(outcome)")
            }
            samples.append(Double(threadCPUNanoseconds() - start) / Double(iterations) / 1_000)
        }
        return samples.sorted()[2]
    }

    static let answer = ChatOutcome.response(
        ChatResponse(
            provider: "mock", model: "echo", choices: [ChatChoice(content: "Hamlet avenges his father; nearly everyone dies.")],
            usage: TokenUsage(promptTokens: 31, completionTokens: 9)))

    static func threadCPUNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
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
