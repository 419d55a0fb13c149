public import BifrostPluginSDK

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One structured JSON line per request: id, time, client, route, provider, model, status,
/// latency, upstream time and attempts, tokens, cache status, stream flag, and which plugin
/// rejected or faulted. A stream its client left is logged with status 499 and `cut_short`,
/// with the tokens of the part streamed (`usage_estimated` when the host counted them).
/// Message content only when `include_content` is on; API keys and `Authorization` never.
///
/// Lines go to a bounded buffer that a background thread writes out, so a request never
/// waits on the disk; when the buffer is full, lines are dropped, counted in
/// `bifrost_log_lines_dropped_total` and reported in the gateway's log.
///
/// Put it first in the chain: its PostHook runs last and sees the final answer.
///
/// ```json
/// {"time":"2026-11-25T16:40:09.123Z","request_id":"req-…","client":"key:1f…","route":"/v1/chat/completions",
///  "provider":"mock","model":"echo","status":200,"latency_ms":0.412,"prompt_tokens":4,"completion_tokens":2,
///  "total_tokens":6,"cache":"miss","stream":false}
/// ```
public final class RequestLogger: PreHookPlugin, PostHookPlugin {
    /// `logging`.
    ///
    /// ```swift
    /// RequestLogger.name  // "logging"
    /// ```
    public static let name = "logging"
    /// Messages and tool-call names are logged when configured; credentials never are (a
    /// configured credential header reads as absent).
    public static var capabilities: SensitiveData { [.messageContent, .toolCalls] }

    /// The plugin's version.
    ///
    /// ```swift
    /// RequestLogger.version  // "1.0.0"
    /// ```
    public static let version = "1.0.0"

    /// A lost log line must never fail a request.
    ///
    /// ```swift
    /// RequestLogger.failOpenByDefault  // true
    /// ```
    public static var failOpenByDefault: Bool { true }

    static let requestKey = "logging.request"
    static let startKey = "logging.start_ns"

    /// The checked configuration.
    ///
    /// ```swift
    /// logger.configuration.includeContent  // false
    /// ```
    public let configuration: RequestLogConfiguration
    private let host: PluginHost
    private let writer: LineWriter
    private let droppedLines: PluginMetric
    private let lastDropReport = PluginLock<UInt64>(0)

    /// Reads the configuration, opens the output and starts the writer thread.
    ///
    /// ```swift
    /// let logger = try RequestLogger(configuration: PluginConfiguration(text: #"{"output": "stdout"}"#))
    /// ```
    public init(configuration: PluginConfiguration) throws {
        self.configuration = try RequestLogConfiguration(configuration)
        host = configuration.host
        let descriptor: Int32
        switch self.configuration.output {
        case .stdout:
            descriptor = STDOUT_FILENO
        case .file(let path):
            descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
            guard descriptor >= 0 else {
                throw PluginConfigurationError("cannot open '\(path)' for appending: \(String(cString: strerror(errno)))")
            }
        }
        let logger = host.logger
        writer = LineWriter(
            descriptor: descriptor, closesDescriptor: descriptor != STDOUT_FILENO, capacity: self.configuration.bufferLines
        ) { reason in
            logger.error("writing request log lines failed: \(reason)")
        }
        droppedLines = try host.defineCounter(
            "bifrost_log_lines_dropped_total", help: "Request log lines dropped because the writer fell behind.")
    }

    /// Notes the start and what only the request shows (stream flag, headers, content).
    ///
    /// ```swift
    /// _ = try logger.preHook(request: request, context: context)
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        try context.set(Self.startKey, .number(Double(host.monotonicNanoseconds())))
        let stream = try request.param("stream")?.boolValue ?? false
        guard !configuration.includeHeaders.isEmpty || configuration.includeContent else {
            // Without headers or content the members are one of two constant texts: no buffer to build.
            try context.set(Self.requestKey, .string(stream ? #""stream":true"# : #""stream":false"#))
            return .continue
        }
        var fields = JSONLine(capacity: 128)
        fields.bool("stream", stream)
        if !configuration.includeHeaders.isEmpty {
            var headers = JSONLine(capacity: 128)
            for name in configuration.includeHeaders {
                guard let value = try request.header(name) else { continue }
                headers.member(name, Redaction.isSecretHeader(name) ? Redaction.placeholder : Redaction.redactingKeys(value))
            }
            fields.json("headers", headers.finishObject())
        }
        if configuration.includeContent {
            var messages = JSONArray()
            for index in 0..<(try request.messages.count) {
                let (role, content) = try request.messages[index]
                var message = JSONLine(capacity: content.utf8.count + 32)
                message.string("role", role)
                message.string("content", Redaction.redactingKeys(content))
                messages.object(message)
            }
            fields.json("messages", messages.closed)
        }
        try context.set(Self.requestKey, .string(fields.members))
        return .continue
    }

    /// Writes the request's line.
    ///
    /// ```swift
    /// try logger.postHook(outcome: outcome, context: context)
    /// ```
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        let now = host.monotonicNanoseconds()
        var line = JSONLine()
        line.timestamp("time", nanoseconds: try context.arrivalTimeNanoseconds)
        line.string("request_id", try context.requestID)
        line.string("client", try context.clientID)
        line.string("route", try context.route)
        var faulted = try context.faultedPlugins
        let response = try outcome.response
        if let response {
            line.string("provider", try response.provider)
            line.string("model", try response.model)
            // A stream its client left: 499 (the client closed the request), billed for the part streamed.
            let cutShort = try context.cutShort
            line.int("status", cutShort ? 499 : 200)
            if cutShort { line.bool("cut_short", true) }
            if try context.usageEstimated { line.bool("usage_estimated", true) }
        } else if let error = try outcome.error {
            line.int("status", try error.status)
            line.string("error_type", try error.type)
            line.string("error_message", Redaction.redactingKeys(try error.message))
            let source = try error.source
            if source.kind == "plugin" {
                if try error.code == "plugin_fault" {
                    if !faulted.contains(source.name) { faulted.append(source.name) }
                } else {
                    line.string("rejected_by", source.name)
                }
            } else if source.kind == "provider" {
                line.string("provider", source.name)
            }
        }
        if let start = try context[Self.startKey]?.doubleValue, Double(now) >= start {
            line.milliseconds("latency_ms", nanoseconds: now - UInt64(start))
        }
        if let upstream = try context.upstreamNanoseconds { line.milliseconds("upstream_ms", nanoseconds: upstream) }
        if let attempts = try context["bifrost.attempts"]?.doubleValue { line.int("attempts", Int(attempts)) }
        if let response {
            let usage = try response.usage
            line.int("prompt_tokens", usage.promptTokens)
            line.int("completion_tokens", usage.completionTokens)
            line.int("total_tokens", usage.totalTokens)
            // ABI 1.3 details; a host without them simply leaves them out of the line.
            if let details = try? response.usageDetails {
                if let cached = details.cachedPromptTokens { line.int("cached_tokens", cached) }
                if let written = details.cacheCreationPromptTokens { line.int("cache_creation_tokens", written) }
                if let reasoning = details.reasoningTokens { line.int("reasoning_tokens", reasoning) }
            }
            if try response.choiceCount > 0, let calls = try? response.toolCalls(at: 0), !calls.isEmpty {
                // Names only: arguments carry the conversation's content.
                var names = JSONArray()
                for call in calls { names.string(call.name) }
                line.json("tool_calls", names.closed)
            }
        }
        if let cache = try context["caching.status"]?.stringValue { line.string("cache", cache) }
        if case .string(let requestFields)? = try context[Self.requestKey] { line.splice(requestFields) }
        if !faulted.isEmpty {
            var names = JSONArray()
            for name in faulted { names.string(name) }
            line.json("faulted", names.closed)
        }
        if configuration.includeContent, let response, try response.choiceCount > 0 {
            line.string("answer", Redaction.redactingKeys(try response.content(at: 0)))
        }
        if !writer.enqueue(line.finishLine()) { reportDrops(now: now) }
    }

    /// Writes every queued line and closes the output.
    ///
    /// ```swift
    /// logger.shutdown()
    /// ```
    public func shutdown() {
        writer.stop()
        let dropped = writer.takeDropped()
        if dropped > 0 { droppedLines.record(Double(dropped)) }
    }

    /// Waits until every line so far is written (tests, and operators before a rotation).
    ///
    /// ```swift
    /// logger.flush()
    /// ```
    public func flush() { writer.flush() }

    /// Counts drops, and says so in the gateway's log at most once a second.
    private func reportDrops(now: UInt64) {
        let due = lastDropReport.withLock { last -> Bool in
            guard now &- last >= 1_000_000_000 else { return false }
            last = now
            return true
        }
        guard due else { return }
        let dropped = writer.takeDropped()
        droppedLines.record(Double(dropped))
        host.logger.warning("request log buffer full (\(configuration.bufferLines) lines): dropped \(dropped) line(s)")
    }

    /// RFC 3339 in UTC with milliseconds: `2026-11-25T16:40:09.123Z`.
    ///
    /// ```swift
    /// RequestLogger.timestamp(nanoseconds: 0)  // "1970-01-01T00:00:00.000Z"
    /// ```
    public static func timestamp(nanoseconds: UInt64) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(24)
        JSONLine.appendTimestamp(nanoseconds: nanoseconds, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
