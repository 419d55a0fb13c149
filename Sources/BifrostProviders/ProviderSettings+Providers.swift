public import BifrostCore
public import Logging

/// The provider kinds this target can make, each with the function that makes it: the one
/// place a configuration's `kind` turns into a provider.
///
/// ```swift
/// ProviderKinds.names  // ["anthropic", "mock", "openai"]
/// ```
public enum ProviderKinds {
    /// Makes the provider of some settings; `httpClient` is the gateway's shared upstream client.
    public typealias Factory = @Sendable (ProviderSettings, UpstreamHTTPClient, Logger) -> any Provider

    /// The kinds, by name.
    public static let registered: [ProviderSettings.Kind: Factory] = [
        .openai: { settings, http, logger in OpenAIProvider(settings: settings, httpClient: http, logger: logger) },
        .anthropic: { settings, http, logger in AnthropicProvider(settings: settings, httpClient: http, logger: logger) },
        .mock: { settings, _, _ in MockProvider(name: settings.name, latency: settings.mockLatency) },
    ]

    /// The kinds' names, sorted, for messages that list them.
    public static var names: [String] { registered.keys.map(\.rawValue).sorted() }

    /// Whether providers of `kind` talk to an upstream over HTTP (the mock does not).
    public static func needsHTTP(_ kind: ProviderSettings.Kind) -> Bool { kind != .mock }
}

extension ProviderSettings {
    /// The provider these settings describe, made by its kind's ``ProviderKinds`` factory over
    /// the one shared `UpstreamHTTPClient`; `nil` for a kind no factory makes.
    ///
    /// ```swift
    /// let http = UpstreamHTTPClient()
    /// let providers = configuration.providers.compactMap { $0.makeProvider(httpClient: http, logger: logger) }
    /// ```
    public func makeProvider(httpClient: UpstreamHTTPClient, logger: Logger = Logger(label: "bifrost.provider"))
        -> (any Provider)?
    {
        ProviderKinds.registered[kind].map { $0(self, httpClient, logger) }
    }
}
