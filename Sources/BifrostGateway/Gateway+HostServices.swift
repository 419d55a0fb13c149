public import BifrostCore
public import BifrostHostServices
import BifrostProviders
import BifrostState
public import Logging

/// The gateway's host services and what they run on: the Redis client when state is shared,
/// and the HTTP client of callouts. Shut down with the gateway.
///
/// ```swift
/// let backend = GatewayStateBackend(configuration.state, logger: logger, metrics: metrics)
/// library.hostServices = backend.services
/// ```
public struct GatewayStateBackend: Sendable {
    /// The services the chains use.
    public let services: GatewayHostServices
    private let redis: RedisClient?
    private let http: UpstreamHTTPClient

    /// Services over `settings`: Redis when configured (it connects lazily and reconnects by
    /// itself), else the gateway's memory.
    public init(_ settings: GatewayConfiguration.StateSettings, logger: Logger, metrics: MetricsRegistry) {
        http = UpstreamHTTPClient()
        let local = MemoryStateStore(maximumBytes: settings.memoryMaximumBytes)
        if let redisSettings = settings.redis {
            let client = RedisClient(redisSettings)
            redis = client
            services = GatewayHostServices(
                shared: RedisStateStore(client: client), backendName: "redis", local: local,
                callouts: CalloutClient(httpClient: http), logger: logger, metrics: metrics,
                isBackendUp: { client.currentHealth.reachable })
            logger.info(
                "plugin state is shared through redis at \(redisSettings.host):\(redisSettings.port) (database \(redisSettings.database))"
            )
        } else {
            redis = nil
            services = GatewayHostServices(
                shared: nil, backendName: "memory", local: local, callouts: CalloutClient(httpClient: http), logger: logger,
                metrics: metrics)
        }
    }

    /// Closes the Redis connections and the callouts' idle connections.
    public func shutdown() async {
        redis?.close()
        await http.shutdown()
    }
}
