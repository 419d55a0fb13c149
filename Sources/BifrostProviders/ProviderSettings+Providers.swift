public import BifrostCore
public import Logging

extension ProviderSettings {
    /// The provider these settings describe: ``OpenAIProvider`` for `.openai`, ``AnthropicProvider``
    /// for `.anthropic`, `MockProvider` for `.mock`, all over the one shared `UpstreamHTTPClient`.
    ///
    /// ```swift
    /// let http = UpstreamHTTPClient()
    /// let providers = configuration.providers.map { $0.makeProvider(httpClient: http, logger: logger) }
    /// ```
    public func makeProvider(httpClient: UpstreamHTTPClient, logger: Logger = Logger(label: "bifrost.provider")) -> any Provider {
        switch kind {
        case .openai: OpenAIProvider(settings: self, httpClient: httpClient, logger: logger)
        case .anthropic: AnthropicProvider(settings: self, httpClient: httpClient, logger: logger)
        case .mock: MockProvider(name: name)
        }
    }
}
