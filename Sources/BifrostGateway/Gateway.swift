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

    private init(bifrost: Bifrost, server: BifrostHTTPServer, port: Int) {
        self.bifrost = bifrost
        self.server = server
        self.port = port
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
        let bifrost = try await Bifrost(configuration: library)
        var serverConfiguration = configuration.server
        let blocking = configuration.plugins.filter(\.blocking).map(\.file)
        if !blocking.isEmpty, serverConfiguration.requestExecutor == .eventLoop {
            // A blocking hook on an event loop would stall every connection of that loop.
            serverConfiguration.requestExecutor = .blockingPool
            logger.info(
                "plugin(s) marked blocking (\(blocking.joined(separator: ", "))): requests run off the network event loops")
        }
        let server = BifrostHTTPServer(bifrost: bifrost, configuration: serverConfiguration, logger: logger)
        let port: Int
        do {
            port = try await server.start()
        } catch {
            await bifrost.shutdown()
            throw error
        }
        logger.info("bifrost listening on http://\(configuration.server.host):\(port) with \(bifrost.plugins.count) plugin(s)")
        return Gateway(bifrost: bifrost, server: server, port: port)
    }

    /// Stops the server, then shuts Bifrost down: upstream connections close and every
    /// plugin's `destroy` runs once.
    ///
    /// ```swift
    /// try await gateway.shutdown()
    /// ```
    public func shutdown() async throws {
        try await server.shutdown()
        await bifrost.shutdown()
    }
}
