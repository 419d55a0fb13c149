import BifrostCore
public import Logging

/// One log line captured by a ``PluginTestHarness``.
///
/// ```swift
/// #expect(harness.logs.lines.contains { $0.level == .warning && $0.message.contains("skipped") })
/// ```
public struct CapturedLogLine: Sendable, Hashable, CustomStringConvertible {
    /// The logger's label: `bifrost.plugin.<name>` for the plugin's own lines,
    /// `bifrost.chain` for the chain's (faults).
    ///
    /// ```swift
    /// line.label  // "bifrost.plugin.timing-headers"
    /// ```
    public var label: String
    /// The level.
    ///
    /// ```swift
    /// line.level  // .info
    /// ```
    public var level: Logger.Level
    /// The message text.
    ///
    /// ```swift
    /// line.message  // "ready"
    /// ```
    public var message: String
    /// The metadata, rendered as strings (the host adds `plugin`).
    ///
    /// ```swift
    /// line.metadata["plugin"]  // "timing-headers"
    /// ```
    public var metadata: [String: String]

    /// Creates a line.
    ///
    /// ```swift
    /// CapturedLogLine(label: "x", level: .info, message: "hi", metadata: [:])
    /// ```
    public init(label: String, level: Logger.Level, message: String, metadata: [String: String]) {
        self.label = label
        self.level = level
        self.message = message
        self.metadata = metadata
    }

    /// `[level] label: message`.
    ///
    /// ```swift
    /// print(line)  // [info] bifrost.plugin.hello: ready
    /// ```
    public var description: String { "[\(level)] \(label): \(message)" }
}

/// A thread-safe recorder of log lines, and the `Logger`s that write into it.
///
/// ```swift
/// let logs = CapturedLogs()
/// let logger = logs.logger(label: "test")
/// logger.info("hello")
/// logs.messages  // ["hello"]
/// ```
public final class CapturedLogs: Sendable {
    // A pthread lock (BifrostCore's LockedValue), which the thread sanitizer understands.
    private let storage = LockedValue<[CapturedLogLine]>([])

    /// Creates an empty recorder.
    ///
    /// ```swift
    /// let logs = CapturedLogs()
    /// ```
    public init() {}

    /// Every line so far, in order.
    ///
    /// ```swift
    /// for line in logs.lines { print(line) }
    /// ```
    public var lines: [CapturedLogLine] { storage.withLock { $0 } }

    /// The messages of every line so far, in order.
    ///
    /// ```swift
    /// #expect(logs.messages.contains("ready"))
    /// ```
    public var messages: [String] { lines.map(\.message) }

    /// Forgets every line.
    ///
    /// ```swift
    /// logs.removeAll()
    /// ```
    public func removeAll() { storage.withLock { $0.removeAll() } }

    /// A logger (level `trace`) whose lines are recorded here.
    ///
    /// ```swift
    /// let logger = logs.logger(label: "bifrost.chain")
    /// ```
    public func logger(label: String) -> Logger {
        Logger(label: label) { label in RecordingLogHandler(label: label, sink: self) }
    }

    func append(_ line: CapturedLogLine) { storage.withLock { $0.append(line) } }
}

/// A swift-log handler that appends to a ``CapturedLogs``.
struct RecordingLogHandler: LogHandler {
    let label: String
    let sink: CapturedLogs
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        sink.append(
            CapturedLogLine(
                label: label, level: event.level, message: event.message.description,
                metadata: merged.mapValues { "\($0)" }))
    }
}
