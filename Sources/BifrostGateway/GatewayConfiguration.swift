public import BifrostCore
public import BifrostHTTP
public import BifrostLibrary

/// Everything `bifrost serve` runs with: server settings, plugins, providers.
///
/// Read from a JSON file with ``GatewayConfiguration/load(file:)``; command-line options
/// override the file.
///
/// ```swift
/// var configuration = try GatewayConfiguration.load(file: "bifrost.json")
/// configuration.server.port = 9000
/// ```
public struct GatewayConfiguration: Sendable {
    /// Host, port, body limit.
    public var server: HTTPServerConfiguration
    /// The directory whose `*.so` files are loaded, in file-name order.
    public var pluginDirectory: String?
    /// Plugins named explicitly, loaded first and in this order.
    public var plugins: [PluginEntry]
    /// The built-in mock provider's settings.
    public var mock: MockSettings
    /// Every provider with its keys, retries, fallbacks and limits, sorted by name; the
    /// built-in `mock` is always among them (with ``defaultMockSettings`` unless configured).
    public var providers: [ProviderSettings] = [GatewayConfiguration.defaultMockSettings]
    /// Things worth a warning at start-up (e.g. a literal secret in the file); never a secret.
    public var warnings: [String] = []
    /// Where relative plugin files resolve when there is no plugin directory: the config file's directory.
    public var baseDirectory: String = "."
    /// The file this configuration was read from (``load(file:environment:)``), which a reload
    /// reads again; `nil` for one built in code.
    public var file: String?
    /// The longest a request may wait in all when plugins ask it to (`server.max_plugin_wait_ms`, 60 s).
    public var maximumPluginWait: Duration = .seconds(60)
    /// How many chunks of an upstream stream wait for a slow client before the upstream's
    /// socket is no longer read (`server.stream_buffer_chunks`, 16).
    public var streamBufferChunks: Int = 16
    /// What applies to every plugin unless its entry says otherwise (`plugin_defaults`).
    public var pluginDefaults = PluginDefaults()
    /// Where plugins' state lives: memory unless `"state": {"redis": ...}`.
    public var state = StateSettings()

    /// Creates a configuration with defaults: 127.0.0.1:8080, no plugins, the mock provider.
    public init(
        server: HTTPServerConfiguration = HTTPServerConfiguration(),
        pluginDirectory: String? = nil,
        plugins: [PluginEntry] = [],
        mock: MockSettings = MockSettings()
    ) {
        self.server = server
        self.pluginDirectory = pluginDirectory
        self.plugins = plugins
        self.mock = mock
    }

    /// One plugin named in the configuration file.
    public struct PluginEntry: Sendable, Hashable {
        /// The `.so` file: absolute, or relative to the plugin directory (or else the config file's directory).
        public var file: String
        /// If `true`, a refusal is logged and the gateway starts without this plugin.
        public var optional: Bool
        /// Overrides the plugin's default failure policy.
        public var failurePolicy: FailurePolicy?
        /// The plugin's configuration as JSON bytes; `nil` uses the sidecar `<stem>.json`.
        public var configuration: [UInt8]?
        /// How long one hook call may take before it is reported as an overrun (`timeout_ms`).
        public var hookDeadline: Duration?
        /// Whether the plugin's hooks may block (`blocking`): then requests run off the
        /// network event loops, so a slow hook delays only its own requests.
        public var blocking = false
        /// Where the plugin's hooks run (`isolation`, `worker`); `nil` follows ``GatewayConfiguration/pluginDefaults``.
        public var isolation: PluginIsolation?
        /// Where the plugin runs (`scope`: routes, models, clients); `nil`, everywhere.
        public var scope: PluginScope?
        /// What the plugin's state operations do when the shared state backend is away.
        public var statePolicy: StatePolicy?

        /// Creates an entry.
        public init(file: String, optional: Bool = false, failurePolicy: FailurePolicy? = nil, configuration: [UInt8]? = nil) {
            self.file = file
            self.optional = optional
            self.failurePolicy = failurePolicy
            self.configuration = configuration
        }
    }

    /// The built-in mock's settings when the file does not configure it: one attempt, no
    /// keys, no fallbacks and limits too high to matter.
    ///
    /// ```swift
    /// let mock = GatewayConfiguration.defaultMockSettings  // name "mock", kind .mock
    /// ```
    public static let defaultMockSettings = ProviderSettings(
        name: "mock", kind: .mock, baseURL: "", retry: ProviderSettings.RetryPolicy(maxAttempts: 1),
        maxConcurrentRequests: 1 << 20, maxQueuedRequests: 0)

    /// Settings of the built-in `mock` provider.
    public struct MockSettings: Sendable, Hashable {
        /// Extra time each answer takes, in milliseconds.
        public var latencyMilliseconds: Int

        /// Creates settings.
        public init(latencyMilliseconds: Int = 0) { self.latencyMilliseconds = latencyMilliseconds }
    }
}
