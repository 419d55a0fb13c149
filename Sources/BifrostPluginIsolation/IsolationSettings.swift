public import Logging

/// How an isolated plugin's worker processes are started, limited and supervised.
///
/// ```swift
/// var settings = IsolationSettings()
/// settings.memoryLimitMegabytes = 512
/// settings.workerExecutable = "/usr/local/bin/bifrost"
/// ```
public struct IsolationSettings: Sendable, Hashable {
    /// The executable started in its worker mode (`bifrost plugin-worker`): the `bifrost`
    /// executable itself, so nothing else is installed. `nil` uses the running executable, which
    /// is right for `bifrost serve`; a program embedding the library names a `bifrost` here.
    public var workerExecutable: String?
    /// How many hook calls one worker runs at once (one thread and one socket each); more wait
    /// for a free one within their hook deadline.
    public var concurrency: Int
    /// The worker's address-space limit (`RLIMIT_AS`) in MiB; `nil` sets none.
    public var memoryLimitMegabytes: Int?
    /// The worker's open-file limit (`RLIMIT_NOFILE`); `nil` keeps the gateway's.
    public var openFileLimit: Int?
    /// How many unasked ends of a worker within ``crashWindow`` mark the plugin failed.
    public var maximumCrashes: Int
    /// The window ``maximumCrashes`` counts in.
    public var crashWindow: Duration
    /// The wait before the first restart; it doubles with each end inside the window, up to
    /// ``maximumBackoff``.
    public var initialBackoff: Duration
    /// The longest wait before a restart.
    public var maximumBackoff: Duration
    /// How long a worker may take to start and create its plugin.
    public var startTimeout: Duration
    /// The log level the worker's own log lines (and its plugin's) are written at.
    public var logLevel: Logger.Level

    /// Creates settings: 8 calls at once, no memory limit, failed after 5 ends in 60 s,
    /// restarts after 50 ms doubling to 5 s.
    public init(
        workerExecutable: String? = nil, concurrency: Int = 8, memoryLimitMegabytes: Int? = nil, openFileLimit: Int? = nil,
        maximumCrashes: Int = 5, crashWindow: Duration = .seconds(60), initialBackoff: Duration = .milliseconds(50),
        maximumBackoff: Duration = .seconds(5), startTimeout: Duration = .seconds(10), logLevel: Logger.Level = .info
    ) {
        self.workerExecutable = workerExecutable
        self.concurrency = concurrency
        self.memoryLimitMegabytes = memoryLimitMegabytes
        self.openFileLimit = openFileLimit
        self.maximumCrashes = maximumCrashes
        self.crashWindow = crashWindow
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.startTimeout = startTimeout
        self.logLevel = logLevel
    }

    /// The most calls one worker may run at once.
    public static let maximumConcurrency = 64

    /// The wait before a restart after `recentCrashes` ends inside the window.
    func backoff(afterRecentCrashes recentCrashes: Int) -> Duration {
        var delay = initialBackoff
        for _ in 1..<max(recentCrashes, 1) where delay < maximumBackoff { delay *= 2 }
        return min(delay, maximumBackoff)
    }
}
