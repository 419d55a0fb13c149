/// What performs the operations hooks ask of the host (PluginSDK/DESIGN.md §7): the
/// gateway's state backend (memory, or Redis shared by replicas) and its HTTP callouts.
///
/// One instance serves every chain of a gateway, so state outlives reloads.
///
/// ```swift
/// let results = await services.perform(operations, plugin: "rate-limiting", policy: .failOpen)
/// ```
public protocol HostServices: Sendable {
    /// Performs `operations` in order for `plugin`, whose keys are its own; one result per
    /// operation, or the error the request fails with when the state backend cannot be
    /// reached and `policy` is ``StatePolicy/failClosed``.
    func perform(_ operations: [HostOperation], plugin: String, policy: StatePolicy) async -> Result<
        [HostOperationResult], BifrostError
    >
}

/// What a plugin's state operations do when the state backend cannot be reached.
///
/// ```swift
/// var entry = ChainEntry(governance)
/// entry.statePolicy = .failClosed  // 503 rather than budgets kept per replica
/// ```
public enum StatePolicy: String, Sendable, Hashable, CaseIterable {
    /// Perform the operation on the gateway's own memory, with a warning: limits and budgets
    /// then hold per replica until the backend is back.
    case failOpen = "fail-open"
    /// Fail the request with 503 naming the plugin, without calling its hook again.
    case failClosed = "fail-closed"
}

/// The operations one plugin's PreHook started on one request and their results, in order:
/// when the hook is called again, its calls at these positions get these results.
///
/// ```swift
/// let log = context.hostOperationLog(plugin: "governance")
/// log.rounds  // 1
/// ```
public struct HostOperationLog: Sendable, Hashable {
    /// The operations, in the order the hook issued them.
    public var operations: [HostOperation] = []
    /// Their results, one per operation.
    public var results: [HostOperationResult] = []
    /// How many times the hook returned pending on this request.
    public var rounds = 0

    /// An empty log.
    public init() {}
}
