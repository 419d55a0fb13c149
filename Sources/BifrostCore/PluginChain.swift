public import Logging

/// One plugin in a chain, with the failure policy it runs under and its hook deadline.
public struct ChainEntry: Sendable {
    /// How long one hook call may take before it is reported as an overrun, unless set.
    public static let defaultHookDeadline: Duration = .seconds(1)

    /// The plugin.
    public var plugin: any Plugin
    /// What a fault of this plugin does to a request.
    public var failurePolicy: FailurePolicy
    /// How long one hook call may take. An in-process hook cannot be stopped, so a longer one
    /// is reported (a warning, at most one per plugin every ten seconds, and
    /// `bifrost_plugin_hook_overruns_total`) rather than cut.
    public var hookDeadline: Duration
    /// Where the plugin runs; `nil` (the default) everywhere.
    public var scope: PluginScope?
    /// What the plugin's state operations do when the state backend cannot be reached.
    public var statePolicy: StatePolicy = .failOpen

    /// Creates an entry; the policy defaults to the plugin's own default.
    public init(_ plugin: any Plugin, failurePolicy: FailurePolicy? = nil, hookDeadline: Duration? = nil) {
        self.plugin = plugin
        self.failurePolicy = failurePolicy ?? plugin.descriptor.defaultFailurePolicy
        self.hookDeadline = hookDeadline ?? Self.defaultHookDeadline
    }
}

/// Runs plugins around a dispatch with the hook semantics of PluginSDK/DESIGN.md §2.
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
    /// Each entry's scope, `nil` for those unrestricted; unread when no entry has one.
    private let scopes: [PluginScope?]
    private let isScoped: Bool
    /// The plugins' names in order, shared with each request's record of the plugins entered.
    private let names: [String]
    private let logger: Logger
    private let instruments: ChainInstruments?
    /// Performs the host operations hooks ask for; `nil` where the chain offers none (a
    /// PreHook that returns pending then fails with 500).
    public let services: (any HostServices)?
    /// The longest a request may wait in all, over every `wait` its PreHooks ask for; beyond
    /// it the request fails with 503 naming the plugin that kept it waiting.
    public let maximumTotalWait: Duration

    /// The longest a PreHook may ask a request to wait in one step; longer asks are cut to it.
    public static let maximumWait: Duration = .seconds(60)

    /// Creates a chain; the entries run in the given order.
    ///
    /// With `metrics`, the chain records each hook's duration per plugin
    /// (`bifrost_plugin_hook_duration_seconds`), each fault (`bifrost_plugin_faults_total`)
    /// and each call longer than the entry's ``ChainEntry/hookDeadline``
    /// (`bifrost_plugin_hook_overruns_total`).
    public init(
        _ entries: [ChainEntry], logger: Logger = Logger(label: "bifrost.chain"), metrics: MetricsRegistry? = nil,
        maximumTotalWait: Duration = .seconds(60), services: (any HostServices)? = nil
    ) {
        self.maximumTotalWait = maximumTotalWait
        self.services = services
        self.entries = entries
        self.hooks = entries.map(\.plugin.descriptor.hooks)
        self.scopes = entries.map { $0.scope?.isUnrestricted == false ? $0.scope : nil }
        self.isScoped = scopes.contains { $0 != nil }
        self.names = entries.map(\.plugin.descriptor.name)
        self.logger = logger
        self.instruments = metrics.flatMap { ChainInstruments(entries: entries, metrics: $0, logger: logger) }
    }

    /// Runs the request through the chain; `dispatch` is called only if no PreHook answered.
    public func run(
        _ request: ChatRequest,
        context: RequestContext,
        dispatch: (ChatRequest, RequestContext) async -> ChatOutcome
    ) async -> ChatOutcome {
        let (request, entered, shortCircuit) = await runPreHooksWaiting(request, context: context)
        var outcome: ChatOutcome
        if let shortCircuit {
            outcome = shortCircuit
        } else {
            if hasPostHooks(among: entered) { context.readsTypedAnswer = true }
            outcome = await dispatch(request, context)
        }
        runPostHooks(&outcome, entered: entered, context: context)
        await performDeferredOperations(context: context)
        outcome.addDefaultHeaders(context.responseHeaders)
        return outcome
    }

    /// Runs PreHooks, sleeping (without holding a thread) whenever one asks the request to wait,
    /// then calling that PreHook again; at most ``maximumTotalWait`` in all (then 503 from the
    /// plugin that waited), and never after the request was cancelled (its client left: 499,
    /// and the hook is not called again). A PreHook that returns pending is called again once
    /// the host services performed its operations.
    func runPreHooksWaiting(_ request: ChatRequest, context: RequestContext) async -> (ChatRequest, EnteredPlugins, ChatOutcome?)
    {
        var step = runPreHooks(request, context: context, from: 0, entered: EnteredPlugins(count: entries.count))
        // Only a waiting request reads the clock or suspends; the common path does neither.
        var deadline: ContinuousClock.Instant?
        while true {
            switch step {
            case .done(let request, let entered, let answer):
                if !names.isEmpty { context.recordEnteredPlugins(entered.firstSixtyFour, names: names) }
                return (request, entered, answer)
            case .pending(let request, let entered, let operations, let index):
                step = await performPending(operations, request: request, entered: entered, index: index, context: context)
            case .wait(let request, let entered, let delay, let index):
                let now = ContinuousClock.now
                let end = deadline ?? now + maximumTotalWait
                deadline = end
                step = await wait(
                    min(delay, Self.maximumWait, end - now), request: request, entered: entered, index: index, context: context)
            }
        }
    }

    /// Sleeps `pause`, then runs the PreHooks again from the one that asked to wait.
    private func wait(_ pause: Duration, request: ChatRequest, entered: EnteredPlugins, index: Int, context: RequestContext)
        async -> PreHookStep
    {
        let name = entries[index].plugin.descriptor.name
        guard pause > .zero else {
            return .done(request, entered, .failure(.waitedTooLong(plugin: name, limit: maximumTotalWait)))
        }
        do {
            try await Task.sleep(for: pause)
        } catch {
            return .done(request, entered, .failure(.cancelledWhileWaiting(plugin: name)))
        }
        return runPreHooks(request, context: context, from: index, entered: entered)
    }

    /// Performs a PreHook's host operations, records their results, then runs the PreHooks
    /// again from that one; a fail-closed plugin whose state backend is away fails the request.
    private func performPending(
        _ operations: [HostOperation], request: ChatRequest, entered: EnteredPlugins, index: Int, context: RequestContext
    ) async -> PreHookStep {
        let entry = entries[index]
        let name = entry.plugin.descriptor.name
        guard let services else {
            let fault = PluginFault(
                plugin: name, hook: .preHook,
                message: "the PreHook started host operations (state, callouts), which this chain does not offer")
            logger.error("\(fault); request \(context.requestID) fails")
            return .done(request, entered, .failure(.pluginFault(fault)))
        }
        switch await services.perform(operations, plugin: name, policy: entry.statePolicy) {
        case .success(let results):
            context.recordHostOperations(operations, results: results, plugin: name)
            return runPreHooks(request, context: context, from: index, entered: entered)
        case .failure(let error):
            return .done(request, entered, .failure(error))
        }
    }

    /// Performs the writes hooks queued (a PostHook's charge of tokens), in order, so the next
    /// request sees them; a failure is logged by the services and does not change the answer.
    func performDeferredOperations(context: RequestContext) async {
        let deferred = context.takeDeferredHostOperations()
        guard !deferred.isEmpty, let services else { return }
        var start = deferred.startIndex
        while start < deferred.endIndex {
            let plugin = deferred[start].plugin
            var end = start + 1
            while end < deferred.endIndex && deferred[end].plugin == plugin { end += 1 }
            let policy = entries.first { $0.plugin.descriptor.name == plugin }?.statePolicy ?? .failOpen
            _ = await services.perform(deferred[start..<end].map(\.operation), plugin: plugin, policy: policy)
            start = end
        }
    }

    /// Runs PreHooks in order from `start` until one answers or asks to wait.
    func runPreHooks(_ request: ChatRequest, context: RequestContext, from start: Int, entered: EnteredPlugins) -> PreHookStep {
        var request = request
        var entered = entered
        var clock = instruments?.startClock()
        for index in entries.indices where index >= start {
            if isScoped, let scope = scopes[index],
                !scope.admits(route: context.route, provider: request.provider, model: request.model, client: context.clientID)
            {
                continue
            }
            guard hooks[index].contains(.pre) else {
                entered.insert(index)
                continue
            }
            let entry = entries[index]
            // Only a fail-open fault needs the request as it was; copying costs retains otherwise.
            let unchanged = entry.failurePolicy == .failOpen ? request : nil
            do {
                let result = try entry.plugin.preHook(&request, context: context)
                instruments?.record(.preHook, plugin: index, clock: &clock)
                entered.insert(index)
                switch result {
                case .continue:
                    continue
                case .respond(let response):
                    return .done(request, entered, .response(response))
                case .reject(var error):
                    error.source = .plugin(entry.plugin.descriptor.name)
                    return .done(request, entered, .failure(error))
                case .wait(let delay):
                    return .wait(request, entered, delay: delay, index: index)
                case .pending(let operations):
                    return .pending(request, entered, operations, index: index)
                }
            } catch {
                if let unchanged { request = unchanged }
                let fault = noteFault(error, plugin: index, hook: .preHook, clock: &clock, context: context)
                switch entry.failurePolicy {
                case .failOpen:
                    logger.warning("\(fault); fail-open, plugin skipped for request \(context.requestID)")
                case .failClosed:
                    logger.error("\(fault); fail-closed, request \(context.requestID) fails")
                    return .done(request, entered, .failure(.pluginFault(fault)))
                }
            }
        }
        return .done(request, entered, nil)
    }

    /// Whether any of the plugins entered has a PostHook.
    func hasPostHooks(among entered: EnteredPlugins) -> Bool {
        entries.indices.contains { entered.contains($0) && hooks[$0].contains(.post) }
    }

    /// Whether any of the plugins entered reads a stream's chunks: a ChunkHook, or a PostHook
    /// (it sees the answer assembled from them).
    func readsChunks(among entered: EnteredPlugins) -> Bool {
        entries.indices.contains { entered.contains($0) && !hooks[$0].isDisjoint(with: [.post, .chunk]) }
    }

    /// Runs PostHooks in reverse order over the plugins entered.
    func runPostHooks(_ outcome: inout ChatOutcome, entered: EnteredPlugins, context: RequestContext) {
        var clock = instruments?.startClock()
        for index in entries.indices.reversed() where entered.contains(index) && hooks[index].contains(.post) {
            let entry = entries[index]
            let unchanged = entry.failurePolicy == .failOpen ? outcome : nil
            do {
                try entry.plugin.postHook(&outcome, context: context)
                instruments?.record(.postHook, plugin: index, clock: &clock)
            } catch {
                let fault = noteFault(error, plugin: index, hook: .postHook, clock: &clock, context: context)
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
        var clock = instruments?.startClock()
        for index in entries.indices.reversed() where entered.contains(index) && hooks[index].contains(.chunk) {
            let entry = entries[index]
            let unchanged = entry.failurePolicy == .failOpen ? chunk : nil
            do {
                let result = try entry.plugin.chunkHook(&chunk, context: context)
                instruments?.record(.chunkHook, plugin: index, clock: &clock)
                switch result {
                case .continue: continue
                case .drop: return .drop
                case .fail(var error):
                    error.source = .plugin(entry.plugin.descriptor.name)
                    return .fail(error)
                }
            } catch {
                let fault = noteFault(error, plugin: index, hook: .chunkHook, clock: &clock, context: context)
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

    /// A hook threw: times it, counts it, records it on the request, and says what broke.
    private func noteFault(
        _ error: any Error, plugin index: Int, hook: PluginFault.Hook, clock: inout UInt64?, context: RequestContext
    ) -> PluginFault {
        instruments?.record(hook, plugin: index, clock: &clock)
        instruments?.countFault(plugin: index, hook: hook)
        let name = entries[index].plugin.descriptor.name
        context.recordFault(of: name)
        return Self.fault(from: error, plugin: name, hook: hook)
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

/// Where a run of PreHooks stopped: done (with the answer, if one short-circuited) or asked
/// to wait before the PreHook at `index` runs again.
enum PreHookStep {
    case done(ChatRequest, EnteredPlugins, ChatOutcome?)
    case wait(ChatRequest, EnteredPlugins, delay: Duration, index: Int)
    case pending(ChatRequest, EnteredPlugins, [HostOperation], index: Int)
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

    /// The first 64 plugins' bits, plugin `i` at bit `i`.
    var firstSixtyFour: UInt64 { low }

    func contains(_ index: Int) -> Bool {
        index < 64 ? low & (1 << UInt64(index)) != 0 : high[index - 64]
    }
}
