public import BifrostCore
import BifrostProviders
public import Logging

/// Bifrost as a library: an account's providers behind an ordered chain of plugins, called
/// directly, without HTTP.
///
/// Start it with an ``Account`` and a list of plugins (in-process Swift plugins and native
/// `.so` files), call it, and shut it down once: ``shutdown()`` waits for the calls in flight
/// (cancelling those that outlast ``BifrostConfiguration/drainTimeout``) and then shuts every
/// plugin down exactly once. The `bifrost` executable's HTTP server is built on this type.
///
/// ```swift
/// let bifrost = try await Bifrost(
///     configuration: BifrostConfiguration(account: MyAccount(), plugins: [.plugin(AuditPlugin())]))
/// let response = try await bifrost.chatCompletion(
///     ChatRequest(model: "mock/echo", messages: [ChatMessage(role: "user", content: "Hello")]))
/// print(response.choices[0].content)
/// await bifrost.shutdown()
/// ```
public final class Bifrost: Sendable {
    /// The plugins, in chain order, with the failure policy each runs under.
    ///
    /// ```swift
    /// for entry in bifrost.plugins { print(entry.plugin.descriptor.name, entry.failurePolicy) }
    /// ```
    public var plugins: [ChainEntry] { loadedPlugins.map(\.entry) }

    /// The plugins of the current chain with the generation that loaded each instance and when.
    ///
    /// ```swift
    /// for plugin in bifrost.loadedPlugins { print(plugin.entry.plugin.descriptor.name, plugin.generation) }
    /// ```
    public var loadedPlugins: [LoadedPluginStatus] {
        let controls = controls.withLock { $0 }
        return currentGeneration.leases.map(controls.status(of:))
    }

    /// The number of the chain serving new calls: 1 at start, one more for each reload that
    /// took over.
    ///
    /// ```swift
    /// print("chain generation", bifrost.chainGeneration)
    /// ```
    public var chainGeneration: UInt64 { currentGeneration.number }

    /// How the last reload went; `nil` before the first.
    ///
    /// ```swift
    /// if let reload = bifrost.lastReload { print(reload.succeeded, reload.message) }
    /// ```
    public var lastReload: PluginReloadStatus? { reloads.withLock { $0 } }

    /// The logger given in the configuration.
    ///
    /// ```swift
    /// bifrost.logger.info("ready")
    /// ```
    public let logger: Logger

    /// The metrics of the chain (each plugin's hook durations and faults) and of the native
    /// plugins, in Prometheus's text format with `metrics.render()`.
    ///
    /// ```swift
    /// print(bifrost.metrics.render())
    /// ```
    public let metrics: MetricsRegistry

    let generations: LockedValue<ChainGeneration>
    /// Held for the whole of a reload or control change, so they run one at a time (never across a hook).
    let reloadLock = LockedValue(())
    /// What operators changed at run time, and the configured scopes; see `Bifrost+RuntimeControl.swift`.
    let controls: LockedValue<PluginControls>
    private let reloads = LockedValue<PluginReloadStatus?>(nil)
    private let pluginSpecs: [PluginSpec]
    /// What performs the plugins' host operations (state, callouts); `nil` when none is offered.
    public var hostServices: (any HostServices)? { chainSettings.services }
    let chainSettings: (logger: Logger, metrics: MetricsRegistry, maximumWait: Duration, services: (any HostServices)?)
    private let reloadCounter: MetricFamily?
    let dispatcher: Dispatcher
    let inFlight = InFlightRequests()
    private let upstream: UpstreamHTTPClient?
    private let drainTimeout: Duration
    private let phase = LockedValue(Phase.running)

    private enum Phase {
        case running
        case shuttingDown
        case shutDown
    }

    /// Reads the account, loads the plugins and builds the providers.
    ///
    /// Throws what the account throws (and ``AccountError`` for an inconsistent account), or
    /// ``PluginStartupError`` listing every plugin that refused to load; then no plugin is
    /// left loaded (in-process plugins are left to their owner).
    ///
    /// ```swift
    /// let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: MyAccount()))
    /// ```
    public init(configuration: BifrostConfiguration) async throws {
        let logger = configuration.logger
        let settings = try await ProviderFactory.settings(of: configuration.account)
        try ProviderFactory.check(settings, custom: configuration.providers)
        let loaded = try PluginChainLoader(configuration.plugins, logger: logger, metrics: configuration.metrics).load(
            reusing: [:])
        (dispatcher, upstream) = ProviderFactory.makeDispatcher(
            settings: settings, custom: configuration.providers, streamBufferChunks: configuration.streamBufferChunks,
            logger: logger)
        let leases = loaded.map { PluginLease($0, generation: 1) }
        let controls = PluginControls(specs: configuration.plugins)
        self.controls = LockedValue(controls)
        generations = LockedValue(
            ChainGeneration(
                number: 1, leases: leases, entries: controls.entries(leases), logger: logger,
                metrics: configuration.metrics, maximumTotalWait: configuration.maximumPluginWait,
                services: configuration.hostServices))
        pluginSpecs = configuration.plugins
        chainSettings = (logger, configuration.metrics, configuration.maximumPluginWait, configuration.hostServices)
        reloadCounter = try? configuration.metrics.define(
            MetricDefinition(
                kind: .counter, name: "bifrost_plugin_reloads_total",
                help: "Plugin chain reloads, by result (ok or refused).", labelNames: ["result"]))
        metrics = configuration.metrics
        self.logger = logger
        drainTimeout = configuration.drainTimeout
    }

    /// Stops taking calls, waits for those in flight, then releases everything, once.
    ///
    /// Calls in flight (streams included, until they end) get up to
    /// ``BifrostConfiguration/drainTimeout`` to finish; those still running are then cancelled
    /// and fail with `BifrostError.cancelledByShutdown(after:)`. Then upstream
    /// connections close and every plugin's `shutdown` (a native plugin's `destroy`) runs
    /// exactly once, in reverse chain order. Calls made after shutdown began fail with
    /// `BifrostError.shutDown`. A second call returns at once.
    ///
    /// ```swift
    /// await bifrost.shutdown()
    /// ```
    public func shutdown() async {
        let first = phase.withLock { phase in
            guard case .running = phase else { return false }
            phase = .shuttingDown
            return true
        }
        guard first else { return }
        inFlight.stopAccepting()
        if await !inFlight.drain(timeout: drainTimeout) {
            logger.warning(
                "shutdown: \(inFlight.count) request(s) still in flight after \(drainTimeout); cancelling them")
            inFlight.cancelAll(with: .cancelledByShutdown(after: drainTimeout))
            if await !inFlight.drain(timeout: drainTimeout) {
                logger.error("shutdown: \(inFlight.count) request(s) ignored cancellation; shutting plugins down anyway")
            }
        }
        await upstream?.shutdown()
        for lease in currentGeneration.leases.reversed() { lease.shutdown() }
        phase.withLock { $0 = .shutDown }
        logger.info("bifrost shut down")
    }

    /// The chain serving new calls; a call keeps the one it got until it ends.
    var currentGeneration: ChainGeneration { generations.withLock { $0 } }

    /// The chain a call with `context` runs on, recorded in the context so its answer names it.
    func servingGeneration(for context: RequestContext) -> ChainGeneration {
        let generation = currentGeneration
        context.recordChainGeneration(generation.tag)
        return generation
    }

    /// Loads the plugins anew from `specs` (the configuration's, when `nil`) and, if every one
    /// loads, swaps the new chain in for new calls; calls in flight finish on the chain they
    /// began with.
    ///
    /// A plugin whose file content, configuration and settings did not change keeps its
    /// instance (and its state). A retired instance gets its `shutdown` (`destroy`) after the
    /// last call that uses it, exactly once. If any plugin is refused the current chain keeps
    /// serving unchanged, and the refusal is thrown (and kept in ``lastReload``). Reloads run
    /// one at a time.
    ///
    /// ```swift
    /// let status = try bifrost.reloadPlugins()
    /// print("now serving generation", status.generation)
    /// ```
    @discardableResult
    public func reloadPlugins(_ specs: [PluginSpec]? = nil) throws(PluginStartupError) -> PluginReloadStatus {
        let result = reloadLock.withLock { _ in reloadNow(specs ?? pluginSpecs) }
        let status: PluginReloadStatus
        switch result {
        case .success(let done): status = done
        case .failure(let refusal):
            let failed = PluginReloadStatus(
                finishedAtNanoseconds: RequestContext.wallClockNanoseconds(), succeeded: false,
                message: "reload refused, the chain is unchanged: " + refusal.refusals.map(\.description).joined(separator: "; "),
                generation: chainGeneration)
            reloads.withLock { $0 = failed }
            reloadCounter?.series(["refused"]).add(1)
            logger.error("\(failed.message)")
            throw refusal
        }
        reloads.withLock { $0 = status }
        reloadCounter?.series(["ok"]).add(1)
        logger.info("\(status.message)")
        return status
    }

    /// Records a reload that failed before any plugin was loaded (an unreadable configuration
    /// file), so ``lastReload`` and the metric show it.
    ///
    /// ```swift
    /// bifrost.recordRefusedReload("bifrost.json: plugins[0].file: required")
    /// ```
    public func recordRefusedReload(_ message: String) {
        reloads.withLock {
            $0 = PluginReloadStatus(
                finishedAtNanoseconds: RequestContext.wallClockNanoseconds(), succeeded: false,
                message: "reload refused, the chain is unchanged: \(message)", generation: chainGeneration)
        }
        reloadCounter?.series(["refused"]).add(1)
    }

    private func reloadNow(_ specs: [PluginSpec]) -> Result<PluginReloadStatus, PluginStartupError> {
        let current = currentGeneration
        let number = current.number + 1
        var existing: [PluginOrigin: PluginLease] = [:]
        for lease in current.leases { existing[lease.origin] = lease }
        let loaded: [LoadedPlugin]
        do throws(PluginStartupError) {
            loaded = try PluginChainLoader(specs, logger: chainSettings.logger, metrics: chainSettings.metrics).load(
                reusing: existing.mapValues {
                    ChainEntry($0.base, failurePolicy: $0.failurePolicy, hookDeadline: $0.hookDeadline)
                })
        } catch {
            return .failure(error)
        }
        let leases = loaded.map { plugin in
            plugin.isKept
                ? existing[plugin.origin] ?? PluginLease(plugin, generation: number) : PluginLease(plugin, generation: number)
        }
        let controls = controls.withLock { controls in
            let configured = PluginControls(specs: specs)
            controls.scopes = configured.scopes
            controls.statePolicies = configured.statePolicies
            return controls
        }
        let next = generation(number, leases: leases, controls: controls)
        generations.withLock { $0 = next }
        let kept = loaded.filter(\.isKept).count
        let retired = current.leases.count - kept
        return .success(
            PluginReloadStatus(
                finishedAtNanoseconds: RequestContext.wallClockNanoseconds(), succeeded: true,
                message:
                    "plugins reloaded: generation \(number) serves new requests with \(leases.count) plugin(s): \(kept) kept, \(leases.count - kept) loaded, \(retired) retired after their last request",
                generation: number))
    }

    /// Throws `BifrostError.shutDown` once shutdown has begun.
    func checkRunning() throws(BifrostError) {
        if let error = runningError { throw error }
    }

    /// `shutDown` once shutdown has begun, else `nil`.
    var runningError: BifrostError? {
        let running = phase.withLock { phase in
            if case .running = phase { return true }
            return false
        }
        return running ? nil : .shutDown
    }
}

extension BifrostError {
    /// 503 for a call made after ``BifrostLibrary/Bifrost/shutdown()`` began.
    ///
    /// ```swift
    /// if error == .shutDown { print("too late") }
    /// ```
    public static let shutDown = BifrostError(
        status: 503, type: "service_unavailable", code: "bifrost_shut_down",
        message: "Bifrost is shut down or shutting down and takes no new requests")

    /// 503 for a call still in flight when shutdown's drain timeout ran out, so cancelled.
    ///
    /// ```swift
    /// if error.code == "cancelled_by_shutdown" { print("retry elsewhere") }
    /// ```
    public static func cancelledByShutdown(after timeout: Duration) -> BifrostError {
        BifrostError(
            status: 503, type: "request_cancelled", code: "cancelled_by_shutdown",
            message: "the request was cancelled because Bifrost shut down before it finished (drain timeout \(timeout))")
    }
}
