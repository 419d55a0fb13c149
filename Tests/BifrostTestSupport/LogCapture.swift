public import Logging
import Synchronization

/// Keeps every log line, metadata included, as text.
///
/// ```swift
/// let capture = LogCapture()
/// capture.logger.info("hello", metadata: ["k": "v"])
/// #expect(capture.all.contains { $0.contains("hello") })
/// ```
public final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    /// Creates an empty capture.
    public init() {}

    /// A logger (level `trace`) whose lines are kept here.
    public var logger: Logger {
        var logger = Logger(label: "test") { _ in CapturingLogHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    /// Every line so far: level, message, the event's metadata and the logger's.
    public var all: [String] { lines.withLock { $0 } }
}

/// The handler behind ``LogCapture/logger``.
struct CapturingLogHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let line = "\(event.level) \(event.message) \(event.metadata ?? [:]) \(metadata)"
        capture.lines.withLock { $0.append(line) }
    }
}
