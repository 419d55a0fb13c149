@_exported import CBifrostPlugin

/// A native Bifrost plugin written in Swift: its identity and how it is created.
///
/// Conform to ``PreHookPlugin``, ``PostHookPlugin`` or both, then export the type once per
/// shared library with ``exportPlugin(_:host:token:config:configLength:)``. The host creates
/// one instance at load time and calls its hooks concurrently for different requests, so
/// the type must be `Sendable` and any mutable state must be synchronised.
///
/// ```swift
/// struct Hello: PostHookPlugin {
///     static let name = "hello"
///     static let version = "1.0.0"
///     init(configuration: PluginConfiguration) throws {}
///     func postHook(outcome: HookOutcome, context: HookContext) throws {
///         try outcome.response?.setHeader("x-hello", "world")
///     }
/// }
/// ```
public protocol BifrostPlugin: Sendable {
    /// The plugin's name: 1–64 characters of `[a-z0-9._-]`, starting with a letter or digit,
    /// unique in a chain.
    ///
    /// ```swift
    /// static let name = "timing-headers"
    /// ```
    static var name: String { get }

    /// A free-form version string, shown on `/api/plugins`.
    ///
    /// ```swift
    /// static let version = "1.0.0"
    /// ```
    static var version: String { get }

    /// Whether the plugin asks to be fail-open when the gateway's configuration names no
    /// failure policy for it. Defaults to `false` (fail-closed).
    ///
    /// ```swift
    /// static var failOpenByDefault: Bool { true }  // a metrics plugin must never fail requests
    /// ```
    static var failOpenByDefault: Bool { get }

    /// The sensitive data the plugin reads (ABI 1.6): the client's credential headers, message
    /// content, tool calls. What it does not declare reads as absent (`nil`, or a
    /// `HostCallError` of `BIFROST_ERR_NOT_FOUND` where a value is required). Defaults to
    /// none; `bifrost plugins check` and `/api/plugins` show it.
    ///
    /// ```swift
    /// static var capabilities: SensitiveData { [.messageContent] }  // a cache keyed on the messages
    /// ```
    static var capabilities: SensitiveData { get }

    /// Creates the plugin from its configuration. Throw (ideally a
    /// ``PluginConfigurationError``) to refuse; the host reports the message with the
    /// plugin's file name and does not load it.
    ///
    /// ```swift
    /// init(configuration: PluginConfiguration) throws {
    ///     let config = try configuration.decode(Config.self)
    ///     guard config.limit > 0 else { throw PluginConfigurationError("'limit' must be positive") }
    ///     self.limit = config.limit
    /// }
    /// ```
    init(configuration: PluginConfiguration) throws

    /// Called once when the host shuts down, before the instance is released. Defaults to
    /// doing nothing.
    ///
    /// ```swift
    /// func shutdown() { sink.flush() }
    /// ```
    func shutdown()
}

extension BifrostPlugin {
    /// Fail-closed: a fault of this plugin fails the request with a 500 naming it.
    ///
    /// ```swift
    /// MyPlugin.failOpenByDefault  // false unless MyPlugin overrides it
    /// ```
    public static var failOpenByDefault: Bool { false }

    /// Reads no sensitive data.
    ///
    /// ```swift
    /// MyPlugin.capabilities  // [] unless MyPlugin declares some
    /// ```
    public static var capabilities: SensitiveData { [] }

    /// Does nothing.
    ///
    /// ```swift
    /// plugin.shutdown()
    /// ```
    public func shutdown() {}
}

/// A plugin with a PreHook: it runs before the provider, in chain order.
///
/// The hook may change the request and continue, answer on the gateway's behalf
/// (a cache hit) or reject the request (a rate limit). Throwing any error is a fault,
/// handled by the plugin's failure policy.
///
/// ```swift
/// struct ForceModel: PreHookPlugin {
///     static let name = "force-model"
///     static let version = "1.0.0"
///     init(configuration: PluginConfiguration) throws {}
///     func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
///         try request.setModel("gpt-4o-mini")
///         return .continue
///     }
/// }
/// ```
public protocol PreHookPlugin: BifrostPlugin {
    /// Runs before the provider. The views are valid only until this call returns.
    ///
    /// ```swift
    /// func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
    ///     guard try request.header("authorization") != nil else {
    ///         return .reject(Rejection(status: 401, type: "authentication_error", message: "missing key"))
    ///     }
    ///     return .continue
    /// }
    /// ```
    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision
}

/// A plugin with a PostHook: it runs after the provider (or a short-circuit), in reverse
/// chain order, only for requests whose PreHook (if any) ran.
///
/// The hook may change the response, recover an error into a response, or turn a response
/// into an error. Throwing any error is a fault, handled by the plugin's failure policy.
///
/// ```swift
/// struct Stamp: PostHookPlugin {
///     static let name = "stamp"
///     static let version = "1.0.0"
///     init(configuration: PluginConfiguration) throws {}
///     func postHook(outcome: HookOutcome, context: HookContext) throws {
///         try outcome.response?.setHeader("x-stamp", "yes")
///     }
/// }
/// ```
public protocol PostHookPlugin: BifrostPlugin {
    /// Runs after the provider. The views are valid only until this call returns.
    ///
    /// ```swift
    /// func postHook(outcome: HookOutcome, context: HookContext) throws {
    ///     if let error = try outcome.error, try error.status == 503 {
    ///         try outcome.recover(ShortCircuitResponse(content: "Try again later."))
    ///     }
    /// }
    /// ```
    func postHook(outcome: HookOutcome, context: HookContext) throws
}

/// A plugin with a chunk hook (ABI 1.1): it runs on each chunk of a streamed answer, in
/// reverse chain order, only for requests whose PreHook (if any) ran. PostHooks still run
/// once at the end with the assembled answer.
///
/// ```swift
/// struct Upper: ChunkHookPlugin {
///     static let name = "upper"
///     static let version = "1.0.0"
///     static var capabilities: SensitiveData { [.messageContent] }
///     init(configuration: PluginConfiguration) throws {}
///     func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision {
///         if let text = try chunk.content() { try chunk.setContent(text.uppercased()) }
///         return .continue
///     }
/// }
/// ```
public protocol ChunkHookPlugin: BifrostPlugin {
    /// Runs on one chunk. The views are valid only until this call returns.
    ///
    /// ```swift
    /// func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision { .continue }
    /// ```
    func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision
}

/// A plugin that hands its state to its successor when a reload replaces it (ABI 1.4): a new
/// build of the same file, or a changed configuration. The successor reads the bytes as
/// ``PluginConfiguration/handedState`` in its `init(configuration:)`.
///
/// The instance keeps serving while and after ``exportState()`` runs (until the new chain
/// takes over), so read the state as a hook would and change nothing. At most 64 MiB
/// (`BIFROST_HANDED_STATE_MAX_BYTES`).
///
/// ```swift
/// final class Counter: PostHookPlugin, StatefulPlugin {
///     static let name = "counter"
///     static let version = "2.0.0"
///     let count: Atomic<Int>
///     init(configuration: PluginConfiguration) throws {
///         count = Atomic(configuration.handedState.flatMap { Int(String(decoding: $0, as: UTF8.self)) } ?? 0)
///     }
///     func exportState() throws -> [UInt8] { Array(String(count.load(ordering: .relaxed)).utf8) }
///     func postHook(outcome: HookOutcome, context: HookContext) throws { count.add(1, ordering: .relaxed) }
/// }
/// ```
public protocol StatefulPlugin: BifrostPlugin {
    /// The state to hand on; empty hands nothing on. Throwing refuses the reload, and this
    /// instance keeps serving.
    ///
    /// ```swift
    /// func exportState() throws -> [UInt8] { try JSONEncoder().encode(buckets).map { $0 } }
    /// ```
    func exportState() throws -> [UInt8]
}
