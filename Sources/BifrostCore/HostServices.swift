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

    /// Where state lives and what `plugin`'s operations came to, for `/api/plugins`.
    func status(plugin: String) -> HostServicesStatus
}

/// Where state lives and what one plugin's host operations came to.
///
/// ```swift
/// let status = services.status(plugin: "governance")
/// if !status.isBackendUp { print("redis is away; \(status.fallbacks) operations fell back") }
/// ```
public struct HostServicesStatus: Sendable, Hashable {
    /// `memory` or `redis`.
    public var backend: String
    /// Whether the backend answers (memory always does).
    public var isBackendUp: Bool
    /// Operations performed (fallbacks included).
    public var operations = 0
    /// Operations performed on the gateway's memory while the shared backend was away.
    public var fallbacks = 0
    /// Operations that failed: callouts without an answer, fail-closed state operations.
    public var failures = 0

    /// A status with no operations yet.
    public init(backend: String, isBackendUp: Bool) {
        self.backend = backend
        self.isBackendUp = isBackendUp
    }
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
    case failOpen = "fail_open"
    /// Fail the request with 503 naming the plugin, without calling its hook again.
    case failClosed = "fail_closed"
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
