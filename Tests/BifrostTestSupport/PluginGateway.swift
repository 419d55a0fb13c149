public import BifrostCore
public import BifrostGateway
import BifrostNativePlugins
public import BifrostPluginSDK
public import CBifrostPlugin
import Logging

/// A plugin for ``withPluginGateway(_:mockLatencyMilliseconds:_:)``: created through the
/// real host table from its export function, as the loader would create it from a `.so`.
public struct GatewayPlugin: Sendable {
    /// Names the plugin in load errors.
    public var source: String
    /// The plugin's configuration, JSON text.
    public var configuration: String
    /// Overrides the plugin's default failure policy.
    public var failurePolicy: FailurePolicy?
    /// Calls the plugin's `exportPlugin`.
    public var factory:
        @Sendable (UnsafePointer<bifrost_host_api>, OpaquePointer, UnsafePointer<CChar>, Int) -> UnsafePointer<bifrost_plugin>?

    /// Describes the Swift plugin `type` with its configuration.
    public init<P: BifrostPlugin>(_ type: P.Type, configuration: String = "{}", failurePolicy: FailurePolicy? = nil) {
        self.source = P.name
        self.configuration = configuration
        self.failurePolicy = failurePolicy
        self.factory = { host, token, config, length in
            exportPlugin(P.self, host: host, token: token, config: config, configLength: length)
        }
    }
}

/// Starts a gateway on 127.0.0.1 (free port) with `plugins` in order on the mock provider,
/// runs `body` with a client, the gateway and its metrics, and always stops the gateway.
public func withPluginGateway<Result: Sendable>(
    _ plugins: [GatewayPlugin],
    mockLatencyMilliseconds: Int = 0,
    _ body: (HTTPTestClient, Gateway, MetricsRegistry) async throws -> Result
) async throws -> Result {
    var configuration = GatewayConfiguration(mock: .init(latencyMilliseconds: mockLatencyMilliseconds))
    configuration.server.port = 0
    configuration.server.host = "127.0.0.1"
    let metrics = MetricsRegistry()
    var logger = Logger(label: "bifrost.test")
    logger.logLevel = .critical
    let entries = try plugins.map { plugin in
        ChainEntry(
            try NativePlugin.create(
                source: plugin.source, configuration: Array(plugin.configuration.utf8), logger: logger, metrics: metrics,
                factory: plugin.factory),
            failurePolicy: plugin.failurePolicy)
    }
    let gateway = try await Gateway.start(configuration: configuration, entries: entries, logger: logger, metrics: metrics)
    do {
        let result = try await body(HTTPTestClient(port: gateway.port), gateway, metrics)
        try await gateway.shutdown()
        return result
    } catch {
        try? await gateway.shutdown()
        throw error
    }
}
