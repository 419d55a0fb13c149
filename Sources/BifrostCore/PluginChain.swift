public import Logging

/// One plugin in a chain, with the failure policy it runs under.
public struct ChainEntry: Sendable {
    /// The plugin.
    public var plugin: any Plugin
    /// What a fault of this plugin does to a request.
    public var failurePolicy: FailurePolicy

    /// Creates an entry; the policy defaults to the plugin's own default.
    public init(_ plugin: any Plugin, failurePolicy: FailurePolicy? = nil) {
        self.plugin = plugin
        self.failurePolicy = failurePolicy ?? plugin.descriptor.defaultFailurePolicy
    }
}

/// Runs plugins around a dispatch with the hook semantics of DESIGN.md §2.
///
/// PreHooks run in order; a PreHook may short-circuit with a response or an error, and then
/// later PreHooks and the dispatch are skipped. PostHooks run in reverse order, only for
/// plugins whose PreHook ran. A faulting plugin fails the request (fail-closed) or is
/// skipped for it (fail-open); other requests are unaffected.
///
/// ```swift
/// let chain = PluginChain([ChainEntry(RateLimit()), ChainEntry(Logging())])
/// let outcome = await chain.run(request, context: context) { request, context in
///     await dispatcher.dispatch(request, context: context)
/// }
/// ```
public struct PluginChain: Sendable {
    /// The entries, in chain order.
    public let entries: [ChainEntry]
    private let hooks: [PluginHooks]
    private let logger: Logger

    /// Creates a chain; the entries run in the given order.
    public init(_ entries: [ChainEntry], logger: Logger = Logger(label: "bifrost.chain")) {
        self.entries = entries
        self.hooks = entries.map(\.plugin.descriptor.hooks)
        self.logger = logger
    }

    /// Runs the request through the chain; `dispatch` is called only if no PreHook answered.
    public func run(
        _ request: ChatRequest,
        context: RequestContext,
        dispatch: (ChatRequest, RequestContext) async -> ChatOutcome
    ) async -> ChatOutcome {
        let (request, entered, shortCircuit) = runPreHooks(request, context: context)
        var outcome: ChatOutcome
        if let shortCircuit {
            outcome = shortCircuit
        } else {
            outcome = await dispatch(request, context)
        }
        runPostHooks(&outcome, entered: entered, context: context)
        return outcome
    }

    /// Runs PreHooks in order until one answers; returns the request as changed, which plugins
    /// were entered, and the answer if one short-circuited.
    func runPreHooks(_ request: ChatRequest, context: RequestContext) -> (ChatRequest, EnteredPlugins, ChatOutcome?) {
        var request = request
        var entered = EnteredPlugins(count: entries.count)
        for index in entries.indices {
            guard hooks[index].contains(.pre) else {
                entered.insert(index)
                continue
            }
            let entry = entries[index]
            // Only a fail-open fault needs the request as it was; copying costs retains otherwise.
            let unchanged = entry.failurePolicy == .failOpen ? request : nil
            do {
                let result = try entry.plugin.preHook(&request, context: context)
                entered.insert(index)
                switch result {
                case .continue:
                    continue
                case .respond(let response):
                    return (request, entered, .response(response))
                case .reject(var error):
                    error.source = .plugin(entry.plugin.descriptor.name)
                    return (request, entered, .failure(error))
                }
            } catch {
                if let unchanged { request = unchanged }
                let fault = Self.fault(from: error, plugin: entry.plugin.descriptor.name, hook: .preHook)
                switch entry.failurePolicy {
                case .failOpen:
                    logger.warning("\(fault); fail-open, plugin skipped for request \(context.requestID)")
                case .failClosed:
                    logger.error("\(fault); fail-closed, request \(context.requestID) fails")
                    return (request, entered, .failure(.pluginFault(fault)))
                }
            }
        }
        return (request, entered, nil)
    }

    /// Runs PostHooks in reverse order over the plugins entered.
    func runPostHooks(_ outcome: inout ChatOutcome, entered: EnteredPlugins, context: RequestContext) {
        for index in entries.indices.reversed() where entered.contains(index) && hooks[index].contains(.post) {
            let entry = entries[index]
            let unchanged = entry.failurePolicy == .failOpen ? outcome : nil
            do {
                try entry.plugin.postHook(&outcome, context: context)
            } catch {
                let fault = Self.fault(from: error, plugin: entry.plugin.descriptor.name, hook: .postHook)
                switch entry.failurePolicy {
                case .failOpen:
                    logger.warning("\(fault); fail-open, outcome left as it was for request \(context.requestID)")
                    if let unchanged { outcome = unchanged }
                case .failClosed:
                    logger.error("\(fault); fail-closed, request \(context.requestID) fails")
                    outcome = .failure(.pluginFault(fault))
                }
            }
        }
    }

    /// Runs chunk hooks in reverse order over the plugins entered; stops at a drop or failure.
    func runChunkHooks(_ chunk: inout ChatChunk, entered: EnteredPlugins, context: RequestContext) -> ChunkHookResult {
        for index in entries.indices.reversed() where entered.contains(index) && hooks[index].contains(.chunk) {
            let entry = entries[index]
            let unchanged = entry.failurePolicy == .failOpen ? chunk : nil
            do {
                switch try entry.plugin.chunkHook(&chunk, context: context) {
                case .continue: continue
                case .drop: return .drop
                case .fail(var error):
                    error.source = .plugin(entry.plugin.descriptor.name)
                    return .fail(error)
                }
            } catch {
                let fault = Self.fault(from: error, plugin: entry.plugin.descriptor.name, hook: .chunkHook)
                switch entry.failurePolicy {
                case .failOpen:
                    logger.warning("\(fault); fail-open, chunk passed on for request \(context.requestID)")
                    if let unchanged { chunk = unchanged }
                case .failClosed:
                    logger.error("\(fault); fail-closed, stream of request \(context.requestID) ends")
                    return .fail(.pluginFault(fault))
                }
            }
        }
        return .continue
    }

    /// Calls `shutdown` on every plugin, in reverse order.
    public func shutdown() {
        for entry in entries.reversed() { entry.plugin.shutdown() }
    }

    private static func fault(from error: any Error, plugin: String, hook: PluginFault.Hook) -> PluginFault {
        if var fault = error as? PluginFault {
            fault.plugin = plugin
            fault.hook = hook
            return fault
        }
        return PluginFault(plugin: plugin, hook: hook, message: String(describing: error))
    }
}

/// Which plugins' PreHooks ran; a bit set that allocates only past 64 plugins.
struct EnteredPlugins: Sendable {
    private var low: UInt64 = 0
    private var high: [Bool]

    init(count: Int) {
        high = count > 64 ? Array(repeating: false, count: count - 64) : []
    }

    mutating func insert(_ index: Int) {
        if index < 64 { low |= 1 << UInt64(index) } else { high[index - 64] = true }
    }

    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high[index - 64]
    }
}
