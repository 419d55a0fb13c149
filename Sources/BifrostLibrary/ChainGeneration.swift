public import BifrostCore
import Logging

/// One plugin instance as the chains hold it: its `shutdown` (a native plugin's `destroy`)
/// runs exactly once, when the last holder is gone (every chain generation and every call or
/// stream that uses it), or at Bifrost's shutdown.
///
/// The chain's entries hold the lease itself, not the plugin, so whatever can still call a
/// hook (a stream running its PostHooks after its client left) keeps the instance alive.
final class PluginLease: Plugin {
    let base: any Plugin
    let origin: PluginOrigin
    /// The chain generation that loaded it.
    let generation: UInt64
    /// When it was loaded, in nanoseconds since the Unix epoch.
    let loadedAtNanoseconds: UInt64
    let failurePolicy: FailurePolicy
    let hookDeadline: Duration
    private let isShutDown = LockedValue(false)

    init(_ loaded: LoadedPlugin, generation: UInt64) {
        base = loaded.entry.plugin
        origin = loaded.origin
        failurePolicy = loaded.entry.failurePolicy
        hookDeadline = loaded.entry.hookDeadline
        self.generation = generation
        loadedAtNanoseconds = RequestContext.wallClockNanoseconds()
    }

    /// The entry the chain runs: this lease, under the plugin's policy and deadline.
    var entry: ChainEntry { ChainEntry(self, failurePolicy: failurePolicy, hookDeadline: hookDeadline) }

    var descriptor: PluginDescriptor { base.descriptor }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        try base.preHook(&request, context: context)
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        try base.postHook(&outcome, context: context)
    }

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        try base.chunkHook(&chunk, context: context)
    }

    func exportState() throws -> [UInt8]? { try base.exportState() }

    /// Runs the plugin's `shutdown` unless it ran already.
    func shutdown() {
        let first = isShutDown.withLock { done in
            defer { done = true }
            return !done
        }
        if first { base.shutdown() }
    }

    deinit { shutdown() }
}

/// A chain of plugins and what it holds them by, numbered from 1 by load: every call runs on
/// the generation current when it began, to its end (a stream's too), whatever reloads happen
/// meanwhile.
final class ChainGeneration: Sendable {
    let tag: ChainGenerationTag
    let chain: PluginChain
    let leases: [PluginLease]

    var number: UInt64 { tag.number }

    /// Builds generation `number`'s chain over `leases`; its log lines carry the generation.
    /// A generation holding `leases` whose chain runs `entries` (the leases' entries less those
    /// disabled, under their policies and scopes).
    init(
        number: UInt64, leases: [PluginLease], entries: [ChainEntry], logger: Logger, metrics: MetricsRegistry,
        maximumTotalWait: Duration, services: (any HostServices)?
    ) {
        tag = ChainGenerationTag(number: number)
        var logger = logger
        logger[metadataKey: ChainGenerationTag.logKey] = "\(number)"
        chain = PluginChain(entries, logger: logger, metrics: metrics, maximumTotalWait: maximumTotalWait, services: services)
        self.leases = leases
    }
}

/// How the last reload went, for `/api/plugins`.
///
/// ```swift
/// if let reload = bifrost.lastReload, !reload.succeeded { print(reload.message) }
/// ```
public struct PluginReloadStatus: Sendable, Hashable {
    /// When it finished, in nanoseconds since the Unix epoch.
    public var finishedAtNanoseconds: UInt64
    /// Whether the new chain took over.
    public var succeeded: Bool
    /// What happened: the counts of plugins kept, loaded and retired, or why it was refused.
    public var message: String
    /// The generation serving after it.
    public var generation: UInt64
}

/// A plugin of the current chain and where it came from, for `/api/plugins`.
///
/// ```swift
/// for plugin in bifrost.loadedPlugins { print(plugin.entry.plugin.descriptor.name, plugin.generation) }
/// ```
public struct LoadedPluginStatus: Sendable {
    /// The chain entry.
    public var entry: ChainEntry
    /// The chain generation that loaded this instance (earlier than the current one when a
    /// reload kept it).
    public var generation: UInt64
    /// When this instance was loaded, in nanoseconds since the Unix epoch.
    public var loadedAtNanoseconds: UInt64
    /// Whether the plugin runs; a disabled one stays loaded but is left out of the chain.
    public var isEnabled = true
}
