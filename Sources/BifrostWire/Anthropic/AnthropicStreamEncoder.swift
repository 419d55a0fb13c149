public import BifrostCore

/// One server-sent event of Anthropic's streaming format: a name and its JSON data.
///
/// ```swift
/// let event = AnthropicStreamEvent(name: "ping", data: Array(#"{"type":"ping"}"#.utf8))
/// event.sseBytes  // "event: ping\ndata: {\"type\":\"ping\"}\n\n"
/// ```
public struct AnthropicStreamEvent: Sendable, Hashable {
    /// The event name, e.g. `message_start`, `content_block_delta`.
    public var name: String
    /// The JSON data, UTF-8, on one line.
    public var data: [UInt8]

    /// Creates an event.
    ///
    /// ```swift
    /// let stop = AnthropicStreamEvent(name: "message_stop", data: Array(#"{"type":"message_stop"}"#.utf8))
    /// ```
    public init(name: String, data: [UInt8]) {
        self.name = name
        self.data = data
    }

    /// The event as SSE text: `event: NAME\ndata: JSON\n\n`.
    ///
    /// ```swift
    /// buffer.writeBytes(event.sseBytes)
    /// ```
    public var sseBytes: [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(name.utf8.count + data.count + 16)
        bytes.append(contentsOf: "event: ".utf8)
        bytes.append(contentsOf: name.utf8)
        bytes.append(contentsOf: "\ndata: ".utf8)
        bytes.append(contentsOf: data)
        bytes.append(contentsOf: "\n\n".utf8)
        return bytes
    }

    /// The data as text.
    ///
    /// ```swift
    /// event.text  // {"type":"message_stop"}
    /// ```
    public var text: String { String(decoding: data, as: UTF8.self) }
}

/// Turns core ``ChatChunk``s into Anthropic's streamed Messages events, for `POST /anthropic/v1/messages`.
///
/// Call ``encode(_:)`` for every chunk as it arrives and ``finish()`` once the stream ends normally
/// (or ``error(_:)`` when it fails). A chunk read from an Anthropic stream is sent as its own event
/// (with a plugin's typed change applied). Other chunks are translated in Anthropic's order:
/// `message_start` first, then a block per kind of content as it arrives (`thinking` for
/// reasoning, `text`, one `tool_use` per tool call with its arguments as `input_json_delta`s),
/// each closed by `content_block_stop` before the next opens, and from ``finish()``
/// `message_delta` (stop reason and usage, e.g. from OpenAI's trailing usage chunk) and
/// `message_stop`. Only choice 0 is encoded.
///
/// ```swift
/// var encoder = AnthropicStreamEncoder()
/// for try await chunk in stream {
///     for event in encoder.encode(chunk) { write(event.sseBytes) }
/// }
/// for event in encoder.finish() { write(event.sseBytes) }
/// ```
public struct AnthropicStreamEncoder: Sendable {
    private enum Block: Equatable {
        case thinking
        case text
        case tool(Int)
    }

    /// The model named in `message_start`; `nil` uses the first chunk's model.
    public let model: String?
    private var messageID: String?
    private var started = false
    private var openBlock: Block?
    private var blockIndex = 0
    private var finishReason: String?
    private var usage: TokenUsage?
    private var finished = false

    /// Creates an encoder; `messageID` defaults to the first chunk's id (or `msg_` when empty).
    ///
    /// ```swift
    /// var encoder = AnthropicStreamEncoder(model: "claude-3-5-haiku-latest", messageID: "msg_123")
    /// ```
    public init(model: String? = nil, messageID: String? = nil) {
        self.model = model
        self.messageID = messageID
    }

    /// The events for one chunk.
    ///
    /// ```swift
    /// let events = encoder.encode(ChatChunk(id: "c1", provider: "openai", model: "gpt-4o-mini",
    ///                                       choices: [.init(content: "Hi")]))
    /// // message_start, content_block_start, content_block_delta
    /// ```
    public mutating func encode(_ chunk: ChatChunk) -> [AnthropicStreamEvent] {
        guard !finished else { return [] }
        if let wire = chunk.wire, wire.format == .anthropicMessages {
            let object = chunk.typedViewChanged ? AnthropicWire.applying(chunk, to: wire.object) : wire.object
            let name = object["type"]?.stringValue ?? "message"
            if name == "message_start" { started = true }
            if name == "message_stop" { finished = true }
            return [event(name, .object(object))]
        }
        var events: [AnthropicStreamEvent] = []
        if !started { events.append(start(id: chunk.id, model: model ?? chunk.model, usage: chunk.usage)) }
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        for choice in chunk.choices where choice.index == 0 {
            if let reasoning = choice.reasoning, !reasoning.isEmpty {
                open(.thinking, into: &events)
                events.append(delta(["type": "thinking_delta", "thinking": .string(reasoning)]))
            }
            if let text = choice.content, !text.isEmpty {
                open(.text, into: &events)
                events.append(delta(["type": "text_delta", "text": .string(text)]))
            }
            for piece in choice.toolCallDeltas {
                if openBlock != .tool(piece.index) {
                    open(
                        .tool(piece.index), into: &events,
                        content: [
                            "type": "tool_use", "id": .string(piece.id ?? ""), "name": .string(piece.name ?? ""), "input": [:],
                        ])
                }
                if !piece.arguments.isEmpty {
                    events.append(delta(["type": "input_json_delta", "partial_json": .string(piece.arguments)]))
                }
            }
            if let reason = choice.finishReason { finishReason = reason }
        }
        return events
    }

    /// The closing events: `content_block_stop` (when a block is open), `message_delta` with the stop
    /// reason and usage, and `message_stop`. Returns nothing when called twice, or when the
    /// upstream's own `message_stop` was sent.
    ///
    /// ```swift
    /// let closing = encoder.finish()  // [content_block_stop, message_delta, message_stop]
    /// ```
    public mutating func finish() -> [AnthropicStreamEvent] {
        guard !finished else { return [] }
        finished = true
        var events: [AnthropicStreamEvent] = []
        if !started { events.append(start(id: "", model: model ?? "", usage: nil)) }
        close(into: &events)
        events.append(
            event(
                "message_delta",
                [
                    "type": "message_delta",
                    "delta": [
                        "stop_reason": .string(AnthropicWire.stopReason(fromFinishReason: finishReason)), "stop_sequence": nil,
                    ],
                    "usage": .object((usage ?? TokenUsage()).anthropicObject),
                ]))
        events.append(event("message_stop", ["type": "message_stop"]))
        return events
    }

    private mutating func open(_ block: Block, into events: inout [AnthropicStreamEvent], content: JSONValue? = nil) {
        guard openBlock != block else { return }
        close(into: &events)
        openBlock = block
        let opening: JSONValue =
            switch block {
            case .thinking: ["type": "thinking", "thinking": "", "signature": ""]
            case .text: ["type": "text", "text": ""]
            case .tool: content ?? [:]
            }
        events.append(
            event(
                "content_block_start",
                ["type": "content_block_start", "index": .number(JSONNumber(blockIndex)), "content_block": opening]))
    }

    private mutating func close(into events: inout [AnthropicStreamEvent]) {
        guard openBlock != nil else { return }
        openBlock = nil
        events.append(event("content_block_stop", ["type": "content_block_stop", "index": .number(JSONNumber(blockIndex))]))
        blockIndex += 1
    }

    private func delta(_ delta: JSONValue) -> AnthropicStreamEvent {
        event("content_block_delta", ["type": "content_block_delta", "index": .number(JSONNumber(blockIndex)), "delta": delta])
    }

    /// The `error` event for a stream that failed after it started (Anthropic's error shape);
    /// send it and close the response. Later calls to ``encode(_:)`` and ``finish()`` return nothing.
    ///
    /// ```swift
    /// write(encoder.error(BifrostError(status: 504, type: "upstream_error", message: "timed out")).sseBytes)
    /// ```
    public mutating func error(_ error: BifrostError) -> AnthropicStreamEvent {
        finished = true
        return AnthropicStreamEvent(name: "error", data: error.anthropicJSON())
    }

    /// A `ping` event, for keeping idle connections open.
    ///
    /// ```swift
    /// write(AnthropicStreamEncoder.ping.sseBytes)
    /// ```
    public static let ping = AnthropicStreamEvent(name: "ping", data: Array(#"{"type":"ping"}"#.utf8))

    private mutating func start(id chunkID: String, model: String, usage: TokenUsage?) -> AnthropicStreamEvent {
        started = true
        let id = messageID ?? (chunkID.isEmpty ? "msg_" : chunkID)
        messageID = id
        return event(
            "message_start",
            [
                "type": "message_start",
                "message": [
                    "id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": [],
                    "stop_reason": nil, "stop_sequence": nil,
                    "usage": .object((usage ?? TokenUsage()).anthropicObject),
                ],
            ])
    }

    private func event(_ name: String, _ value: JSONValue) -> AnthropicStreamEvent {
        var writer = JSONWriter(capacity: 128)
        writer.value(value)
        return AnthropicStreamEvent(name: name, data: writer.bytes)
    }
}
