/// A plugin as the chain sees it: native `.so` plugins through their adapter, and Swift
/// types compiled into the host directly.
///
/// ```swift
/// struct AddHeader: Plugin {
///     let descriptor = PluginDescriptor(name: "add-header", version: "1.0.0", hooks: .post)
///     func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }
///     func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
///         if case .response(var response) = outcome {
///             response.headers["x-hello"] = "world"
///             outcome = .response(response)
///         }
///     }
/// }
/// ```
///
/// Hooks are synchronous on purpose: they run on the request's thread and must not block
/// it (PluginSDK/DESIGN.md §2), and a plain call keeps the chain's cost near that of a function call.
public protocol Plugin: Sendable {
    /// Name, version and which hooks exist.
    var descriptor: PluginDescriptor { get }

    /// Runs before the provider, in chain order. May change the request, answer, or reject.
    /// A thrown error is a fault, handled by the plugin's ``FailurePolicy``.
    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult

    /// Runs after the provider in reverse chain order, only if this plugin's PreHook ran.
    /// May change the outcome either way. A thrown error is a fault.
    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws

    /// Runs on each chunk of a streamed answer, in reverse chain order, only if this plugin's
    /// PreHook ran. May change the chunk, drop it, or end the stream with an error.
    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult

    /// Releases the plugin's resources. Called once: at shutdown, or after the last request
    /// of an instance a reload retired.
    func shutdown()

    /// The state to hand to the instance a reload puts in this one's place (the same plugin
    /// from a changed file or configuration), which receives it at creation; `nil` hands
    /// nothing on. The instance keeps serving while and after this runs, so it must change
    /// nothing. Throwing refuses the reload: the current chain keeps serving.
    func exportState() throws -> [UInt8]?
}

extension Plugin {
    /// Passes every chunk on unchanged.
    public func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult { .continue }

    /// Does nothing.
    public func shutdown() {}

    /// Hands nothing on.
    public func exportState() throws -> [UInt8]? { nil }
}

/// What a chunk hook decided.
public enum ChunkHookResult: Sendable, Hashable {
    /// Pass the (possibly changed) chunk on.
    case `continue`
    /// Do not send this chunk.
    case drop
    /// End the stream with this error.
    case fail(BifrostError)
}

/// What a PreHook decided.
public enum PreHookResult: Sendable, Hashable {
    /// Go on with the (possibly changed) request.
    case `continue`
    /// Answer now without calling the provider (a cache hit).
    case respond(ChatResponse)
    /// Refuse the request with this error (a rate limit).
    case reject(BifrostError)
    /// Call this PreHook again for the same request after `delay` (a rate limiter that
    /// delays instead of rejecting). No thread is held while the request waits; the plugin
    /// bounds the total wait. One step is capped at ``PluginChain/maximumWait``.
    case wait(Duration)
    /// Call this PreHook again for the same request once the gateway performed these host
    /// operations (state reads and writes, callouts) and recorded their results in the
    /// request's ``HostOperationLog`` (PluginSDK/DESIGN.md §7). No thread is held meanwhile.
    case pending([HostOperation])
}

/// Which hooks a plugin provides. A missing hook is never called.
public struct PluginHooks: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// The plugin has a PreHook.
    public static let pre = PluginHooks(rawValue: 1 << 0)
    /// The plugin has a PostHook.
    public static let post = PluginHooks(rawValue: 1 << 1)
    /// The plugin has a chunk hook for streamed answers.
    public static let chunk = PluginHooks(rawValue: 1 << 2)

    /// Hook names for display, e.g. `["pre_hook", "post_hook"]`.
    public var names: [String] {
        var names: [String] = []
        if contains(.pre) { names.append("pre_hook") }
        if contains(.post) { names.append("post_hook") }
        if contains(.chunk) { names.append("chunk_hook") }
        return names
    }
}

/// What identifies a plugin in the chain, in logs and on `/api/plugins`.
public struct PluginDescriptor: Sendable, Hashable {
    /// Unique name in the chain.
    public var name: String
    /// The plugin's own version string.
    public var version: String
    /// Which hooks the plugin provides.
    public var hooks: PluginHooks
    /// `native` for `.so` plugins, `swift` for in-process ones.
    public var kind: String
    /// The ABI version a native plugin was built against, e.g. `1.0`.
    public var abiVersion: String?
    /// The file a native plugin was loaded from.
    public var file: String?
    /// The SHA-256 of the file's content as it was loaded (native plugins), in hexadecimal.
    public var contentHash: String?
    /// The failure policy the plugin asked for when its configuration names none.
    public var defaultFailurePolicy: FailurePolicy
    /// The sensitive data a native plugin declared it reads (ABI 1.6); `nil` for a plugin
    /// that declares nothing because it was built before 1.6 (it keeps full access) or is
    /// not native.
    public var capabilities: PluginCapabilities?

    /// Creates a descriptor.
    public init(
        name: String,
        version: String,
        hooks: PluginHooks = [.pre, .post],
        kind: String = "swift",
        abiVersion: String? = nil,
        file: String? = nil,
        defaultFailurePolicy: FailurePolicy = .failClosed
    ) {
        self.name = name
        self.version = version
        self.hooks = hooks
        self.kind = kind
        self.abiVersion = abiVersion
        self.file = file
        self.defaultFailurePolicy = defaultFailurePolicy
    }
}

/// What the chain does when a plugin faults (throws, breaks the ABI contract).
public enum FailurePolicy: String, Sendable, Hashable, CaseIterable {
    /// The request fails with a 500 naming the plugin.
    case failClosed = "fail_closed"
    /// The fault is logged and the plugin is skipped for that request.
    case failOpen = "fail_open"
}

/// A plugin that broke its contract during a hook.
public struct PluginFault: Error, Sendable, Hashable, CustomStringConvertible {
    /// Which hook faulted.
    public enum Hook: String, Sendable, Hashable {
        case preHook = "PreHook"
        case postHook = "PostHook"
        case chunkHook = "ChunkHook"
    }

    /// The plugin's name.
    public var plugin: String
    /// The hook that faulted.
    public var hook: Hook
    /// What went wrong.
    public var message: String

    /// Creates a fault.
    public init(plugin: String, hook: Hook, message: String) {
        self.plugin = plugin
        self.hook = hook
        self.message = message
    }

    public var description: String { "plugin '\(plugin)' failed in \(hook.rawValue): \(message)" }
}
