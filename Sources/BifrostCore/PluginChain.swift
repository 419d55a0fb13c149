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
        var request = request
        var entered = EnteredPlugins(count: entries.count)
        var shortCircuit: ChatOutcome?

        preHooks: for index in entries.indices {
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
                    shortCircuit = .response(response)
                    break preHooks
                case .reject(var error):
                    error.source = .plugin(entry.plugin.descriptor.name)
                    shortCircuit = .failure(error)
                    break preHooks
                }
            } catch {
                if let unchanged { request = unchanged }
                let fault = Self.fault(from: error, plugin: entry.plugin.descriptor.name, hook: .preHook)
                switch entry.failurePolicy {
                case .failOpen:
                    logger.warning("\(fault); fail-open, plugin skipped for request \(context.requestID)")
                case .failClosed:
                    logger.error("\(fault); fail-closed, request \(context.requestID) fails")
                    shortCircuit = .failure(.pluginFault(fault))
                    break preHooks
                }
            }
        }

        var outcome: ChatOutcome
        if let shortCircuit {
            outcome = shortCircuit
        } else {
            outcome = await dispatch(request, context)
        }

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
        return outcome
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
struct EnteredPlugins {
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
