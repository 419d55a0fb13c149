public import BifrostCore
public import BifrostLibrary
public import Logging

extension GatewayConfiguration {
    /// The configuration's plugins as the library takes them: the `plugins` list first, in its
    /// order (relative files resolve against the plugin directory, else the configuration
    /// file's directory), then the rest of the plugin directory in file-name order.
    ///
    /// ```swift
    /// let bifrost = try await Bifrost(
    ///     configuration: BifrostConfiguration(account: ConfigurationFileAccount(configuration), plugins: configuration.pluginSpecs))
    /// ```
    public var pluginSpecs: [PluginSpec] {
        var specs = plugins.map { entry in
            var spec = PluginSpec.native(
                entry.file.hasPrefix("/") ? entry.file : "\(pluginDirectory ?? baseDirectory)/\(entry.file)",
                configuration: entry.configuration, failurePolicy: entry.failurePolicy, optional: entry.optional)
            spec.hookDeadline = entry.hookDeadline
            spec.isolation = entry.isolation ?? pluginDefaults.isolation ?? .inProcess
            spec.scope = entry.scope
            spec.statePolicy = entry.statePolicy
            return spec
        }
        if let pluginDirectory {
            var spec = PluginSpec.directory(pluginDirectory)
            spec.isolation = pluginDefaults.isolation ?? .inProcess
            specs.append(spec)
        }
        return specs
    }
}

extension PluginChainLoader {
    /// A loader for the plugins a gateway configuration names (``GatewayConfiguration/pluginSpecs``).
    ///
    /// ```swift
    /// let entries = try PluginChainLoader(configuration: configuration, logger: logger).load()
    /// ```
    public init(configuration: GatewayConfiguration, logger: Logger) {
        self.init(configuration.pluginSpecs, logger: logger)
    }
}

/// The ``BifrostLibrary/Account`` of a gateway configuration file: its `providers` section,
/// with the built-in mock (and its `latency_ms`).
///
/// ```swift
/// let account = try ConfigurationFileAccount(file: "bifrost.json")
/// let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: account))
/// ```
public struct ConfigurationFileAccount: Account {
    /// The configuration read.
    ///
    /// ```swift
    /// print(account.configuration.providers.map(\.name))
    /// ```
    public let configuration: GatewayConfiguration

    /// Wraps a configuration already loaded.
    ///
    /// ```swift
    /// let account = ConfigurationFileAccount(GatewayConfiguration())  // the mock only
    /// ```
    public init(_ configuration: GatewayConfiguration) {
        self.configuration = configuration
    }

    /// Reads a configuration file (secrets written `env.NAME` come from the environment).
    ///
    /// ```swift
    /// let account = try ConfigurationFileAccount(file: "/etc/bifrost/bifrost.json")
    /// ```
    public init(file: String) throws(ConfigurationError) {
        self.init(try GatewayConfiguration.load(file: file))
    }

    /// The configured providers' names, sorted.
    ///
    /// ```swift
    /// let names = try await ConfigurationFileAccount(GatewayConfiguration()).configuredProviders()  // ["mock"]
    /// ```
    public func configuredProviders() async throws -> [String] {
        configuration.providers.map(\.name)
    }

    /// The provider's keys from the file.
    ///
    /// ```swift
    /// let keys = try await account.keys(for: "openai")
    /// ```
    public func keys(for provider: String) async throws -> [APIKey] {
        try settings(provider).keys
    }

    /// The provider's settings from the file; the mock's include its latency.
    ///
    /// ```swift
    /// let settings = try await account.settings(for: "mock")
    /// print(settings.mockLatency)
    /// ```
    public func settings(for provider: String) async throws -> ProviderSettings {
        try settings(provider)
    }

    private func settings(_ provider: String) throws(AccountError) -> ProviderSettings {
        guard var settings = configuration.providers.first(where: { $0.name == provider }) else {
            throw AccountError(provider: provider, reason: "provider '\(provider)' is not in the configuration")
        }
        if settings.kind == .mock { settings.mockLatency = .milliseconds(configuration.mock.latencyMilliseconds) }
        return settings
    }
}
