/// How a supervised plugin's worker process is doing, for `/api/plugins` and the logs.
///
/// ```swift
/// if let supervised = entry.plugin as? any SupervisedPlugin, supervised.supervision.state == .failed {
///     print(supervised.supervision.lastCrash ?? "")
/// }
/// ```
public struct PluginSupervision: Sendable, Hashable {
    /// Where the worker is in its life.
    public enum State: String, Sendable, Hashable {
        /// Serving hooks.
        case running
        /// Ended and about to be started again (after its backoff).
        case restarting
        /// Ended too often in a short time: the plugin's failure policy applies without
        /// calling it, until an operator reloads it.
        case failed
        /// Retired (replaced by a reload, or the gateway stopped).
        case stopped
    }

    /// Where the worker is in its life.
    public var state: State
    /// The running worker's process id, if one runs.
    public var processID: Int32?
    /// How many times a worker of this plugin ended without being asked to (crash, `exit`,
    /// a kill for overrunning its hook deadline).
    public var crashes: Int
    /// How many times a worker was started again after ending.
    public var restarts: Int
    /// Why the last worker ended, e.g. `killed by SIGSEGV`.
    public var lastCrash: String?
    /// When the last worker ended, nanoseconds since the Unix epoch.
    public var lastCrashTimeNanoseconds: UInt64?

    /// Creates a status.
    public init(
        state: State, processID: Int32? = nil, crashes: Int = 0, restarts: Int = 0, lastCrash: String? = nil,
        lastCrashTimeNanoseconds: UInt64? = nil
    ) {
        self.state = state
        self.processID = processID
        self.crashes = crashes
        self.restarts = restarts
        self.lastCrash = lastCrash
        self.lastCrashTimeNanoseconds = lastCrashTimeNanoseconds
    }
}

/// A plugin whose hooks run in a supervised worker process rather than in the gateway's.
public protocol SupervisedPlugin: Plugin {
    /// The worker's state now.
    var supervision: PluginSupervision { get }
}
