import AsyncHTTPClient
public import BifrostCore
import BifrostHTTP
import BifrostNativePlugins
public import Logging

/// The running gateway: plugins loaded from configuration, the core, and the HTTP server.
///
/// ```swift
/// let gateway = try await Gateway.start(configuration: configuration, logger: logger)
/// print("listening on", gateway.port)
/// try await gateway.shutdown()
/// ```
public final class Gateway: Sendable {
    /// The core the server serves.
    public let bifrost: Bifrost
    /// The bound port.
    public let port: Int
    private let server: BifrostHTTPServer
    private let upstream: HTTPClient?

    private init(bifrost: Bifrost, server: BifrostHTTPServer, port: Int, upstream: HTTPClient?) {
        self.bifrost = bifrost
        self.server = server
        self.port = port
        self.upstream = upstream
    }

    /// Loads the plugins, builds the core and starts serving.
    public static func start(configuration: GatewayConfiguration, logger: Logger) async throws -> Gateway {
        let metrics = MetricsRegistry()
        let entries = try PluginChainLoader(configuration: configuration, logger: logger, metrics: metrics).load()
        return try await start(configuration: configuration, entries: entries, logger: logger, metrics: metrics)
    }

    /// Starts serving with the given chain (plugins already loaded, or in-process ones); `metrics`
    /// is the registry the native plugins were loaded with.
    public static func start(
        configuration: GatewayConfiguration, entries: [ChainEntry], logger: Logger, metrics: MetricsRegistry = MetricsRegistry()
    ) async throws -> Gateway {
        let (dispatcher, upstream) = ProviderFactory.makeDispatcher(configuration: configuration, logger: logger)
        let bifrost = Bifrost(
            chain: PluginChain(entries, logger: logger, metrics: metrics), dispatcher: dispatcher, metrics: metrics)
        let server = BifrostHTTPServer(bifrost: bifrost, configuration: configuration.server, logger: logger)
        let port: Int
        do {
            port = try await server.start()
        } catch {
            try? await upstream?.shutdown()
            bifrost.shutdown()
            throw error
        }
        logger.info("bifrost listening on http://\(configuration.server.host):\(port) with \(entries.count) plugin(s)")
        return Gateway(bifrost: bifrost, server: server, port: port, upstream: upstream)
    }

    /// Stops the server, closes upstream connections, then calls every plugin's `destroy` once.
    public func shutdown() async throws {
        try await server.shutdown()
        try await upstream?.shutdown()
        bifrost.shutdown()
    }
}
