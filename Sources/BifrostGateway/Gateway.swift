public import BifrostCore
import BifrostHTTP
public import BifrostLibrary
public import Logging

/// The running gateway: the library's ``BifrostLibrary/Bifrost`` started from a configuration
/// file's account and plugins, and the HTTP server in front of it.
///
/// ```swift
/// let gateway = try await Gateway.start(configuration: configuration, logger: logger)
/// print("listening on", gateway.port)
/// try await gateway.shutdown()
/// ```
public final class Gateway: Sendable {
    /// The library instance the server serves.
    ///
    /// ```swift
    /// print(gateway.bifrost.plugins.count)
    /// ```
    public let bifrost: Bifrost
    /// The bound port.
    ///
    /// ```swift
    /// let client = HTTPTestClient(port: gateway.port)
    /// ```
    public let port: Int
    private let server: BifrostHTTPServer
    private let configuration: GatewayConfiguration
    /// The in-process plugins given at start: a reload keeps them in front of the configured ones.
    private let inProcessPlugins: [PluginSpec]
    private let watcher = LockedValue<PluginDirectoryWatcher?>(nil)
    /// The plugins' state and callouts.
    public let stateBackend: GatewayStateBackend

    private init(
        bifrost: Bifrost, server: BifrostHTTPServer, port: Int, configuration: GatewayConfiguration,
        inProcessPlugins: [PluginSpec], stateBackend: GatewayStateBackend
    ) {
        self.stateBackend = stateBackend
        self.bifrost = bifrost
        self.server = server
        self.port = port
        self.configuration = configuration
        self.inProcessPlugins = inProcessPlugins
    }

    /// Reloads the plugins: the configuration file is read again (its plugin list, order,
    /// configurations, failure policies and deadlines; the plugin directory stays the one the
    /// gateway started with, and its sidecar files are read again), and the new chain takes new
    /// requests once every plugin loaded (see ``BifrostLibrary/Bifrost/reloadPlugins(_:)``). A
    /// refusal leaves the running chain as it is; either way ``BifrostLibrary/Bifrost/lastReload`` says how it went.
    ///
    /// ```swift
    /// let status = gateway.reloadPlugins()
    /// print(status.succeeded, status.message)
    /// ```
    @discardableResult
    public func reloadPlugins() -> PluginReloadStatus {
        var next = configuration
        if let file = configuration.file {
            do {
                next = try GatewayConfiguration.load(file: file)
            } catch {
                bifrost.recordRefusedReload("\(error)")
                bifrost.logger.error("plugin reload refused, the chain is unchanged: \(error)")
                return bifrost.lastReload!
            }
            next.pluginDirectory = configuration.pluginDirectory
            // `--isolation` on the command line outlives a re-read of the file that does not say.
            if next.pluginDefaults.isolation == nil { next.pluginDefaults.isolation = configuration.pluginDefaults.isolation }
        }
        do {
            return try bifrost.reloadPlugins(inProcessPlugins + next.pluginSpecs)
        } catch {
            return bifrost.lastReload!
        }
    }

    /// Watches the plugin directory and reloads when a file in it changes (written, moved in or
    /// removed), once writing has paused for `debounce`, so a file is never loaded half-written.
    ///
    /// ```swift
    /// try gateway.watchPluginDirectory()
    /// ```
    public func watchPluginDirectory(debounce: Duration = .milliseconds(300)) throws {
        guard let directory = configuration.pluginDirectory else { return }
        let started = try PluginDirectoryWatcher(directory: directory, debounce: debounce, logger: bifrost.logger) {
            [weak self] in
            self?.reloadPlugins()
        }
        watcher.withLock { $0 = started }
        bifrost.logger.info("watching \(directory) for plugin changes")
    }

    /// Loads the configured plugins, starts Bifrost and starts serving.
    ///
    /// ```swift
    /// let gateway = try await Gateway.start(configuration: try GatewayConfiguration.load(file: "bifrost.json"), logger: logger)
    /// ```
    public static func start(configuration: GatewayConfiguration, logger: Logger) async throws -> Gateway {
        try await start(configuration: configuration, plugins: configuration.pluginSpecs, logger: logger)
    }

    /// Starts serving with the given chain (plugins already loaded, or in-process ones).
    ///
    /// ```swift
    /// let gateway = try await Gateway.start(configuration: GatewayConfiguration(), entries: [ChainEntry(Audit())], logger: logger)
    /// ```
    public static func start(
        configuration: GatewayConfiguration, entries: [ChainEntry], logger: Logger, metrics: MetricsRegistry = MetricsRegistry()
    ) async throws -> Gateway {
        try await start(
            configuration: configuration, plugins: entries.map { .plugin($0.plugin, failurePolicy: $0.failurePolicy) },
            logger: logger, metrics: metrics)
    }

    /// Starts serving with the configuration's providers and the given plugins; `metrics` is
    /// where the chain and native plugins record (native plugins passed in already loaded
    /// should have been created with it).
    ///
    /// ```swift
    /// let gateway = try await Gateway.start(
    ///     configuration: configuration, plugins: [.plugin(Audit())] + configuration.pluginSpecs, logger: logger)
    /// ```
    public static func start(
        configuration: GatewayConfiguration, plugins: [PluginSpec], logger: Logger, metrics: MetricsRegistry = MetricsRegistry()
    ) async throws -> Gateway {
        for warning in configuration.warnings { logger.warning("\(warning)") }
        var library = BifrostConfiguration(
            account: ConfigurationFileAccount(configuration), plugins: plugins, logger: logger,
            drainTimeout: configuration.server.shutdownGracePeriod, metrics: metrics)
        library.maximumPluginWait = configuration.maximumPluginWait
        library.streamBufferChunks = configuration.streamBufferChunks
        let stateBackend = GatewayStateBackend(configuration.state, logger: logger, metrics: metrics)
        library.hostServices = stateBackend.services
        let bifrost: Bifrost
        do {
            bifrost = try await Bifrost(configuration: library)
        } catch {
            await stateBackend.shutdown()
            throw error
        }
        var serverConfiguration = configuration.server
        let blocking = configuration.plugins.filter(\.blocking).map(\.file)
        if !blocking.isEmpty, serverConfiguration.requestExecutor == .eventLoop {
            // A blocking hook on an event loop would stall every connection of that loop.
            serverConfiguration.requestExecutor = .blockingPool
            logger.info(
                "plugin(s) marked blocking (\(blocking.joined(separator: ", "))): requests run off the network event loops")
        }
        if configuration.usesProcessIsolation, serverConfiguration.requestExecutor == .eventLoop {
            // A call into a worker waits on its socket; that wait must not hold a network event loop.
            serverConfiguration.requestExecutor = .blockingPool
            logger.info("plugin(s) isolated in worker processes: requests run off the network event loops")
        }
        let reloader = GatewayReloader()
        let server = BifrostHTTPServer(
            bifrost: bifrost, configuration: serverConfiguration, logger: logger,
            reloadPlugins: { reloader.gateway?.reloadPlugins() })
        let port: Int
        do {
            port = try await server.start()
        } catch {
            await bifrost.shutdown()
            await stateBackend.shutdown()
            throw error
        }
        logger.info("bifrost listening on http://\(configuration.server.host):\(port) with \(bifrost.plugins.count) plugin(s)")
        if configuration.server.adminToken == nil {
            logger.notice(
                "no admin token configured (admin.token): the admin API (/api/*) and the console (/ui) answer loopback peers only"
            )
        } else {
            logger.info(
                "the admin API (/api/*) and the console at http://\(configuration.server.host):\(port)/ui require the admin token"
            )
        }
        if !configuration.server.clientIDSecret.isConfigured {
            logger.info(
                "client ids are keyed with a secret drawn at random (server.client_id_secret is not set): they change at a restart and differ between replicas"
            )
        }
        let gateway = Gateway(
            bifrost: bifrost, server: server, port: port, configuration: configuration,
            inProcessPlugins: plugins.filter(\.isInProcess), stateBackend: stateBackend)
        reloader.gateway = gateway
        return gateway
    }

    /// Stops the server, then shuts Bifrost down: upstream connections close and every
    /// plugin's `destroy` runs once.
    ///
    /// ```swift
    /// try await gateway.shutdown()
    /// ```
    public func shutdown() async throws {
        watcher.withLock { $0 = nil }
        try await server.shutdown()
        await bifrost.shutdown()
        await stateBackend.shutdown()
    }
}

/// Lets the server's reload route reach the gateway, which is made after the server.
private final class GatewayReloader: Sendable {
    private let reference = LockedValue<WeakGateway>(WeakGateway())

    var gateway: Gateway? {
        get { reference.withLock { $0.gateway } }
        set { reference.withLock { $0.gateway = newValue } }
    }

    private struct WeakGateway {
        weak var gateway: Gateway?
    }
}
