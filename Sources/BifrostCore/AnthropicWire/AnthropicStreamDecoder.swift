/// Turns Anthropic's streamed Messages events into core ``ChatChunk``s, one event at a time.
///
/// Feed it each server-sent event's name and `data` (any SSE line splitter will do). It remembers
/// the message id, model and input tokens from `message_start`; `content_block_delta` `text_delta`s
/// become content chunks; `message_delta` becomes the last chunk, carrying the finish reason and the
/// usage; `message_stop` sets ``isFinished``; `ping`, `content_block_start`/`stop` and unknown events
/// yield nothing; an `error` event throws a ``BifrostError`` with Anthropic's status for its type.
/// Tool-use deltas (`input_json_delta`) and thinking deltas are not representable in a ``ChatChunk``
/// and are skipped.
///
/// ```swift
/// var decoder = AnthropicStreamDecoder(provider: "anthropic")
/// let data = #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}"#
/// for chunk in try decoder.decode(event: "content_block_delta", data: Array(data.utf8)) {
///     print(chunk.choices[0].content ?? "")  // Hi
/// }
/// ```
public struct AnthropicStreamDecoder: Sendable {
    /// The provider named on every chunk.
    public let provider: String
    /// The creation time put on every chunk (Anthropic's events carry none).
    public let created: Int
    /// The message id from `message_start`.
    public private(set) var id = ""
    /// The model from `message_start`.
    public private(set) var model = ""
    /// Whether `message_stop` was seen: the stream ended normally.
    public private(set) var isFinished = false
    private var inputTokens = 0
    private var outputTokens = 0

    /// Creates a decoder.
    ///
    /// ```swift
    /// var decoder = AnthropicStreamDecoder(provider: "anthropic", created: 1_700_000_000)
    /// ```
    public init(provider: String, created: Int = 0) {
        self.provider = provider
        self.created = created
    }

    /// Decodes one event; `event` is the SSE `event:` name (the JSON's `type` wins when present).
    ///
    /// Throws 502 `malformed_response` for data that is not a JSON object, and the upstream's error for `error` events.
    ///
    /// ```swift
    /// let chunks = try decoder.decode(event: "message_stop", data: Array(#"{"type":"message_stop"}"#.utf8))  // []
    /// ```
    public mutating func decode(event: String?, data: some Collection<UInt8>) throws(BifrostError) -> [ChatChunk] {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw AnthropicWire.malformed("stream event is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw AnthropicWire.malformed("stream event must be a JSON object") }
        let name = fields["type"]?.stringValue ?? event ?? ""
        switch name {
        case "message_start":
            let message = fields["message"]
            id = message?.objectField("id")?.stringValue ?? id
            model = message?.objectField("model")?.stringValue ?? model
            inputTokens = message?.objectField("usage")?.objectField("input_tokens")?.intValue ?? 0
            outputTokens = message?.objectField("usage")?.objectField("output_tokens")?.intValue ?? 0
            return [chunk(ChunkChoice(role: "assistant", content: ""))]
        case "content_block_start":
            let block = fields["content_block"]
            if block?.objectField("type")?.stringValue == "text", let text = block?.objectField("text")?.stringValue,
                !text.isEmpty
            {
                return [chunk(ChunkChoice(content: text))]
            }
            return []
        case "content_block_delta":
            let delta = fields["delta"]
            if delta?.objectField("type")?.stringValue == "text_delta", let text = delta?.objectField("text")?.stringValue {
                return [chunk(ChunkChoice(content: text))]
            }
            return []
        case "message_delta":
            let usage = fields["usage"]
            if let input = usage?.objectField("input_tokens")?.intValue { inputTokens = input }
            if let output = usage?.objectField("output_tokens")?.intValue { outputTokens = output }
            let stopReason = fields["delta"]?.objectField("stop_reason")?.stringValue
            var last = chunk(ChunkChoice(finishReason: AnthropicWire.finishReason(fromStopReason: stopReason) ?? "stop"))
            last.usage = TokenUsage(promptTokens: inputTokens, completionTokens: outputTokens)
            return [last]
        case "message_stop":
            isFinished = true
            return []
        case "error":
            let error = fields["error"]
            let type = error?.objectField("type")?.stringValue ?? "api_error"
            throw BifrostError(
                status: AnthropicWire.status(forErrorType: type), type: "upstream_error", code: type,
                message: error?.objectField("message")?.stringValue ?? "the upstream stream failed")
        default:
            return []
        }
    }

    private func chunk(_ choice: ChunkChoice) -> ChatChunk {
        ChatChunk(id: id, created: created, provider: provider, model: model, choices: [choice])
    }
}
