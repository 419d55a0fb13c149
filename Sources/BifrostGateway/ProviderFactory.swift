import AsyncHTTPClient
import BifrostCore
import BifrostProviders
import Logging

/// Builds the providers and the dispatcher a configuration names.
///
/// ```swift
/// let (dispatcher, upstream) = ProviderFactory.makeDispatcher(configuration: configuration, logger: logger)
/// ```
enum ProviderFactory {
    /// The dispatcher over every configured provider, with their settings, and the upstream HTTP
    /// client the providers share (to shut down with the gateway); logs the configuration's warnings first.
    static func makeDispatcher(configuration: GatewayConfiguration, logger: Logger) -> (Dispatcher, HTTPClient?) {
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let (providers, httpClient) = makeProviders(configuration: configuration, logger: logger)
        logger.info("providers: \(configuration.providers.map(\.name).joined(separator: ", "))")
        return (Dispatcher(providers: providers, settings: configuration.providers, logger: logger), httpClient)
    }

    /// One provider per configured entry, in configuration order, and the one pooled HTTP client
    /// they share (none when only the mock is configured).
    static func makeProviders(configuration: GatewayConfiguration, logger: Logger) -> ([any Provider], HTTPClient?) {
        let upstream = configuration.providers.filter { $0.kind != .mock }
        let httpClient = upstream.isEmpty ? nil : UpstreamClient.makeHTTPClient(for: upstream)
        var providers: [any Provider] = []
        for settings in configuration.providers {
            switch settings.kind {
            case .mock:
                providers.append(
                    MockProvider(name: settings.name, latency: .milliseconds(configuration.mock.latencyMilliseconds)))
            case .openai, .anthropic:
                providers.append(settings.makeProvider(httpClient: httpClient!, logger: logger))
            }
        }
        return (providers, httpClient)
    }
}
