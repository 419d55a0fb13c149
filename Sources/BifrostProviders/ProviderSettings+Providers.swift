public import BifrostCore
public import Logging

/// The provider kinds this target can make, each with the function that makes it: the one
/// place a configuration's `kind` turns into a provider.
///
/// ```swift
/// ProviderKinds.names  // ["openai", "anthropic", "mock"]
/// ```
public enum ProviderKinds {
    /// Makes the provider of some settings; `httpClient` is the gateway's shared upstream client.
    public typealias Factory = @Sendable (ProviderSettings, UpstreamHTTPClient, Logger) -> any Provider

    /// The kinds and their factories, in the order messages list them.
    public static let registered: [(kind: ProviderSettings.Kind, make: Factory)] = [
        (.openai, { settings, http, logger in OpenAIProvider(settings: settings, httpClient: http, logger: logger) }),
        (.anthropic, { settings, http, logger in AnthropicProvider(settings: settings, httpClient: http, logger: logger) }),
        (.mock, { settings, _, _ in MockProvider(name: settings.name, latency: settings.mockLatency) }),
    ]

    /// The factory of `kind`, or `nil` when no provider of that kind can be made.
    public static func factory(for kind: ProviderSettings.Kind) -> Factory? {
        registered.first { $0.kind == kind }?.make
    }

    /// The kinds' names, for messages that list them.
    public static var names: [String] { registered.map(\.kind.rawValue) }

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
        ProviderKinds.factory(for: kind).map { $0(self, httpClient, logger) }
    }
}
