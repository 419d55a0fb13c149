public import BifrostCore
public import Logging

/// What ``Bifrost`` starts with: an account, an ordered list of plugins, a logger, and how
/// long ``Bifrost/shutdown()`` waits for requests in flight.
///
/// ```swift
/// let configuration = BifrostConfiguration(
///     account: MyAccount(),
///     plugins: [.plugin(AuditPlugin()), .native("/opt/plugins/model_alias.so")],
///     logger: Logger(label: "bifrost"))
/// let bifrost = try await Bifrost(configuration: configuration)
/// ```
public struct BifrostConfiguration: Sendable {
    /// The providers, their keys and settings.
    public var account: any Account
    /// The plugin chain, in order.
    public var plugins: [PluginSpec]
    /// Providers implemented in Swift, served beside the account's under their own names
    /// (one attempt each, no keys, no limits; one named `mock` replaces the built-in mock).
    ///
    /// ```swift
    /// let configuration = BifrostConfiguration(account: MyAccount(), providers: [CannedProvider()])
    /// ```
    public var providers: [any Provider]
    /// Where Bifrost, its providers and its plugins log.
    public var logger: Logger
    /// How long ``Bifrost/shutdown()`` waits for requests in flight before cancelling them.
    ///
    /// ```swift
    /// var configuration = BifrostConfiguration(account: MyAccount())
    /// configuration.drainTimeout = .seconds(5)
    /// ```
    public var drainTimeout: Duration
    /// Where the chain records each plugin's hook durations and native plugins define their
    /// metrics; the HTTP server serves it on `/metrics`.
    ///
    /// ```swift
    /// print(configuration.metrics.render())
    /// ```
    public var metrics: MetricsRegistry
    /// The longest a request may wait in all when its plugins ask it to (`wait`), over every
    /// ask; beyond it the request fails with 503 naming the plugin.
    ///
    /// ```swift
    /// configuration.maximumPluginWait = .seconds(10)
    /// ```
    public var maximumPluginWait: Duration = .seconds(60)
    /// What performs the host operations plugins ask for (state, callouts); `nil` offers none,
    /// and a PreHook that starts one fails its request.
    ///
    /// ```swift
    /// configuration.hostServices = GatewayHostServices(shared: nil, backendName: "memory", callouts: callouts, logger: logger)
    /// ```
    public var hostServices: (any HostServices)?
    /// How many chunks of a streamed answer from an upstream wait for a reader that is behind
    /// before the gateway stops reading the upstream's socket (back-pressure instead of memory).
    ///
    /// ```swift
    /// configuration.streamBufferChunks = 64
    /// ```
    public var streamBufferChunks: Int = ChatStream.defaultBufferCapacity

    /// Creates a configuration.
    ///
    /// ```swift
    /// let configuration = BifrostConfiguration(account: MyAccount(), drainTimeout: .seconds(5))
    /// ```
    public init(
        account: any Account,
        plugins: [PluginSpec] = [],
        providers: [any Provider] = [],
        logger: Logger = Logger(label: "bifrost"),
        drainTimeout: Duration = .seconds(30),
        metrics: MetricsRegistry = MetricsRegistry()
    ) {
        self.account = account
        self.plugins = plugins
        self.providers = providers
        self.logger = logger
        self.drainTimeout = drainTimeout
        self.metrics = metrics
    }
}
