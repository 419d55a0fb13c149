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
    public var plugins: [ChainEntry] { chain.entries }

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

    let chain: PluginChain
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
        let entries = try PluginChainLoader(configuration.plugins, logger: logger, metrics: configuration.metrics).load()
        (dispatcher, upstream) = ProviderFactory.makeDispatcher(
            settings: settings, custom: configuration.providers, streamBufferChunks: configuration.streamBufferChunks,
            logger: logger)
        chain = PluginChain(
            entries, logger: logger, metrics: configuration.metrics, maximumTotalWait: configuration.maximumPluginWait)
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
        chain.shutdown()
        phase.withLock { $0 = .shutDown }
        logger.info("bifrost shut down")
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
