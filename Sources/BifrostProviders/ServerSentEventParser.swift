public import BifrostCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One server-sent event: its `event:` name (if any) and its `data:` lines joined by `\n`.
///
/// ```swift
/// let event = ServerSentEvent(name: "message_stop", data: Array(#"{"type":"message_stop"}"#.utf8))
/// ```
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` for unnamed events (OpenAI's).
    public var name: String?
    /// The `data:` field, UTF-8.
    public var data: [UInt8]

    /// Creates an event.
    ///
    /// ```swift
    /// let done = ServerSentEvent(data: Array("[DONE]".utf8))
    /// ```
    public init(name: String? = nil, data: [UInt8]) {
        self.name = name
        self.data = data
    }
}

/// Splits a byte stream into server-sent events incrementally, as the bytes arrive.
///
/// Lines end with `\n` or `\r\n`; a blank line dispatches the event; `:` comments and fields other
/// than `event` and `data` are ignored. Bytes of an unfinished line are kept for the next ``feed(_:)``.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// let events = try parser.feed(Array("data: {\"a\":1}\n\n".utf8))  // one event
/// ```
public struct ServerSentEventParser: Sendable {
    /// The longest line accepted, in bytes; longer ones are a malformed stream.
    public var maximumLineLength: Int
    private var pending: [UInt8] = []
    private var scanned = 0
    private var name: String?
    private var data: [UInt8] = []
    private var hasData = false

    /// Creates a parser.
    ///
    /// ```swift
    /// var parser = ServerSentEventParser(maximumLineLength: 1 << 20)
    /// ```
    public init(maximumLineLength: Int = 16 << 20) {
        self.maximumLineLength = maximumLineLength
    }

    /// Feeds bytes; returns the events they complete, in order.
    ///
    /// ```swift
    /// for event in try parser.feed(buffer.readableBytesView) { handle(event) }
    /// ```
    public mutating func feed(_ bytes: some Collection<UInt8>) throws(BifrostError) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        // The usual read holds whole lines: they are read where they lie, and only an unfinished
        // last line is kept.
        let tail: [UInt8]? =
            pending.isEmpty
            ? bytes.withContiguousStorageIfAvailable { buffer in
                let consumed = lines(in: buffer, searchingFrom: 0, into: &events)
                return Array(UnsafeBufferPointer(rebasing: buffer[consumed...]))
            } : nil
        if let tail {
            pending = tail
        } else {
            var buffer = pending
            pending = []
            buffer.append(contentsOf: bytes)
            let consumed = buffer.withUnsafeBufferPointer { lines(in: $0, searchingFrom: scanned, into: &events) }
            if consumed > 0 { buffer.removeFirst(consumed) }
            pending = buffer
        }
        scanned = pending.count
        if pending.count > maximumLineLength {
            throw BifrostError(
                status: 502, type: "upstream_error", code: "malformed_response",
                message: "malformed upstream stream: a line longer than \(maximumLineLength) bytes")
        }
        return events
    }

    /// Reads the complete lines of `buffer` (none ends before `searchStart`), adding the events
    /// they finish to `events`; returns where the unfinished last line starts.
    private mutating func lines(
        in buffer: UnsafeBufferPointer<UInt8>, searchingFrom searchStart: Int, into events: inout [ServerSentEvent]
    ) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var lineStart = 0
        var index = searchStart
        while index < buffer.count, let found = memchr(base + index, Int32(UInt8(ascii: "\n")), buffer.count - index) {
            let newline = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            var end = newline
            if end > lineStart, buffer[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            if let event = line(UnsafeBufferPointer(rebasing: buffer[lineStart..<end])) { events.append(event) }
            lineStart = newline + 1
            index = lineStart
        }
        return lineStart
    }

    /// Ends the input: a last event not followed by a blank line is dispatched.
    ///
    /// ```swift
    /// let last = parser.finish()
    /// ```
    public mutating func finish() -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        if !pending.isEmpty {
            let rest = pending
            pending = []
            scanned = 0
            let event = rest.withUnsafeBufferPointer { buffer in
                let end = buffer.last == UInt8(ascii: "\r") ? buffer.count - 1 : buffer.count
                return line(UnsafeBufferPointer(rebasing: buffer[..<end]))
            }
            if let event { events.append(event) }
        }
        if let event = dispatch() { events.append(event) }
        return events
    }

    private mutating func line(_ line: UnsafeBufferPointer<UInt8>) -> ServerSentEvent? {
        if line.isEmpty { return dispatch() }
        if line.first == UInt8(ascii: ":") { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = line[..<colon]
        var value = line[min(colon + 1, line.endIndex)...]
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if field.elementsEqual("data".utf8) {
            if hasData { data.append(UInt8(ascii: "\n")) }
            data.append(contentsOf: value)
            hasData = true
        } else if field.elementsEqual("event".utf8) {
            name = String(decoding: value, as: UTF8.self)
        }
        return nil
    }

    private mutating func dispatch() -> ServerSentEvent? {
        defer {
            name = nil
            data = []
            hasData = false
        }
        guard hasData else { return nil }
        return ServerSentEvent(name: name, data: data)
    }
}
