import BifrostCore
import BifrostNativePlugins
import BifrostPluginSDK
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// What the model-alias plugin costs per hook call in C, in Rust (`PluginSDK/rust`) and in
/// Swift (`PluginSDK/BifrostPluginSDK`): the same work through the same host adapter, the
/// first two `dlopen`ed, the Swift one created in-process through `exportPlugin`.
///
/// Usage: `bifrost-bench --model-alias DIR`, DIR holding `noop.so` (`Tests/PluginZoo/noop.c`, the
/// loop and the adapter alone), `c.so` (`ExamplePlugins/model-alias`) and, when cargo built it,
/// `rust.so` (`ExamplePlugins/model-alias-rust`); `scripts/bench-hooks` lays them out.
enum ModelAliasCost {
    static let configuration = Array(#"{"aliases": {"fast": "mock/echo", "smart": "openai/gpt-4o"}}"#.utf8)

    static func run(directory: String) async throws {
        let noop = try PluginLoader.load(file: "\(directory)/noop.so")
        var plugins: [(String, NativePlugin)] = [
            ("C", try PluginLoader.load(file: "\(directory)/c.so", configuration: configuration))
        ]
        if access("\(directory)/rust.so", R_OK) == 0 {
            plugins.append(("Rust", try PluginLoader.load(file: "\(directory)/rust.so", configuration: configuration)))
        }
        let swift = try NativePlugin.create(
            source: SwiftModelAlias.name, configuration: configuration, logger: Logger(label: "bifrost.bench")
        ) { host, token, config, length in
            exportPlugin(SwiftModelAlias.self, host: host, token: token, config: config, configLength: length)
        }
        plugins.append(("Swift", swift))
        defer {
            noop.shutdown()
            for (_, plugin) in plugins { plugin.shutdown() }
        }

        // Bare model names, as clients of an alias send them.
        let miss = bareRequest(model: "unaliased")
        let hit = bareRequest(model: "fast")
        let iterations = 1_000_000
        let loopMiss = try await HookBenchmark.median { try preHookLoop(noop, miss, iterations: iterations) }
        let loopHit = try await HookBenchmark.median { try requestLoop(noop, hit, rewrites: false, iterations: iterations) }
        print(
            "| model-alias plugin | PreHook, no alias matches | added to the no-op | PreHook + PostHook, alias rewritten | added to the no-op |"
        )
        print("|---|---|---|---|---|")
        print(
            "| no-op C plugin: the loop and the adapter alone | \(HookBenchmark.format(loopMiss)) | | \(HookBenchmark.format(loopHit)) | |"
        )
        for (language, plugin) in plugins {
            let missed = try await HookBenchmark.median { try preHookLoop(plugin, miss, iterations: iterations) }
            let rewritten = try await HookBenchmark.median {
                try requestLoop(plugin, hit, rewrites: true, iterations: iterations)
            }
            print(
                "| \(language) | \(HookBenchmark.format(missed)) | \(HookBenchmark.format(missed - loopMiss)) "
                    + "| \(HookBenchmark.format(rewritten)) | \(HookBenchmark.format(rewritten - loopHit)) |")
        }
        print("\n(ns per call, median of 5 runs of \(iterations))")
    }

    /// The benchmark's request with a bare model name.
    static func bareRequest(model: String) -> ChatRequest {
        var request = HookBenchmark.request
        (request.provider, request.model) = ("", model)
        return request
    }

    /// ns per PreHook call on a request no alias matches: two reads and the comparisons.
    static func preHookLoop(_ plugin: NativePlugin, _ request: ChatRequest, iterations: Int) throws -> Double {
        var request = request
        let context = RequestContext()
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            _ = try plugin.preHook(&request, context: context)
        }
        return HookBenchmark.nanoseconds(ContinuousClock.now - start) / Double(iterations)
    }

    /// ns per request's PreHook (rewrite, context write) and PostHook (context read, header),
    /// each request with a fresh copy of the request, context and answer.
    static func requestLoop(_ plugin: NativePlugin, _ template: ChatRequest, rewrites: Bool, iterations: Int) throws
        -> Double
    {
        var sink = 0
        let start = ContinuousClock.now
        for _ in 0..<iterations {
            var request = template
            let context = RequestContext()
            _ = try plugin.preHook(&request, context: context)
            var outcome = HookBenchmark.canned
            try plugin.postHook(&outcome, context: context)
            if request.model == "echo" { sink &+= 1 }
        }
        precondition(sink == (rewrites ? iterations : 0), "the alias was rewritten \(sink) times in \(iterations)")
        return HookBenchmark.nanoseconds(ContinuousClock.now - start) / Double(iterations)
    }
}

/// model-alias written with the Swift SDK, for the benchmark only: the C example's work (read
/// provider and model, look the alias up, rewrite, carry it in the context, set the header).
struct SwiftModelAlias: PreHookPlugin, PostHookPlugin {
    static let name = "model-alias-swift"
    static let version = "1.0.0"
    static let contextKey = "model-alias-swift.from"

    struct Settings: Decodable { let aliases: [String: String] }

    let aliases: [String: (provider: String, model: String)]

    init(configuration: PluginConfiguration) throws {
        var aliases: [String: (provider: String, model: String)] = [:]
        for (from, target) in try configuration.decode(Settings.self).aliases {
            guard let slash = target.firstIndex(of: "/") else {
                throw PluginConfigurationError(#"aliases.\#(from): expected "provider/model", got "\#(target)""#)
            }
            aliases[from] = (String(target[..<slash]), String(target[target.index(after: slash)...]))
        }
        self.aliases = aliases
    }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        let (provider, model) = (try request.provider, try request.model)
        let name = provider.isEmpty ? model : provider + "/" + model
        guard let target = aliases[name] else { return .continue }
        try context.set(Self.contextKey, .string(name))
        try request.setProvider(target.provider)
        try request.setModel(target.model)
        return .continue
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard case .string(let from)? = try context[Self.contextKey], let response = try outcome.response else { return }
        try response.setHeader("x-bifrost-model-alias", from)
    }
}
