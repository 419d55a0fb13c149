public import BifrostCore

/// Turns Anthropic's streamed Messages events into core ``ChatChunk``s, one chunk per event.
///
/// Every chunk keeps its event in ``ChatChunk/wire``, so an Anthropic client gets every event
/// (`ping`, `signature_delta`, `citations_delta`, unknown ones) as it came. The typed view, for
/// plugins and for clients of other formats: `message_start` is the role chunk; `text_delta`s are
/// content; `thinking_delta`s are `reasoning_content`; a `tool_use` block's start and its
/// `input_json_delta`s are OpenAI `tool_calls` pieces (numbered among the message's tool calls);
/// `message_delta` carries the finish reason and the usage, merged with `message_start`'s; other
/// events have no typed content. An `error` event throws the upstream's error, its event kept in
/// ``BifrostError/wire``. The `message_stop` chunk carries the whole message the events
/// amount to (``ChatChunk/assembledWire``), as Anthropic's SDK accumulator builds it.
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
    private var usage: JSONObject = [:]
    /// The OpenAI tool-call index of each `tool_use` block, by block index.
    private var toolIndices: [Int: Int] = [:]
    private var assembly = AnthropicMessageAssembly()

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
    /// let chunks = try decoder.decode(event: "message_stop", data: Array(#"{"type":"message_stop"}"#.utf8))
    /// ```
    public mutating func decode(event: String?, data: some Collection<UInt8>) throws(BifrostError) -> [ChatChunk] {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw AnthropicWire.malformed("stream event is not valid JSON: \(error)")
        }
        guard case .object(var fields) = value else { throw AnthropicWire.malformed("stream event must be a JSON object") }
        if fields["type"] == nil, let event { fields["type"] = .string(event) }
        return [try decode(fields)]
    }

    /// Decodes one parsed event (its `type` names it) into its chunk.
    public mutating func decode(_ fields: JSONObject) throws(BifrostError) -> ChatChunk {
        assembly.add(fields)
        var choice: ChunkChoice?
        var assembled: WireBody?
        var chunkUsage: TokenUsage?
        switch fields["type"]?.stringValue ?? "" {
        case "message_start":
            let message = fields["message"]
            id = message?.objectField("id")?.stringValue ?? id
            model = message?.objectField("model")?.stringValue ?? model
            usage = message?.objectField("usage")?.objectValue ?? [:]
            choice = ChunkChoice(role: "assistant", content: "")
        case "content_block_start":
            let index = fields["index"]?.intValue ?? 0
            let block = fields["content_block"]
            switch block?.objectField("type")?.stringValue {
            case "text":
                if let text = block?.objectField("text")?.stringValue, !text.isEmpty { choice = ChunkChoice(content: text) }
            case "thinking":
                if let text = block?.objectField("thinking")?.stringValue, !text.isEmpty {
                    choice = ChunkChoice(extra: ["reasoning_content": .string(text)])
                }
            case "tool_use", "server_tool_use":
                let toolIndex = toolIndices.count
                toolIndices[index] = toolIndex
                var arguments = ""
                if case .object(let input)? = block?.objectField("input"), !input.isEmpty {
                    arguments = AnthropicWire.compactJSON(.object(input))
                }
                let piece = ToolCallDelta(
                    index: toolIndex, id: block?.objectField("id")?.stringValue ?? "",
                    name: block?.objectField("name")?.stringValue ?? "", arguments: arguments)
                choice = ChunkChoice(extra: ["tool_calls": [piece.openAIObject]])
            default:
                break
            }
        case "content_block_delta":
            let delta = fields["delta"]
            switch delta?.objectField("type")?.stringValue {
            case "text_delta":
                choice = ChunkChoice(content: delta?.objectField("text")?.stringValue ?? "")
            case "thinking_delta":
                choice = ChunkChoice(extra: ["reasoning_content": delta?.objectField("thinking") ?? ""])
            case "input_json_delta":
                if let toolIndex = toolIndices[fields["index"]?.intValue ?? -1] {
                    let piece = ToolCallDelta(index: toolIndex, arguments: delta?.objectField("partial_json")?.stringValue ?? "")
                    choice = ChunkChoice(extra: ["tool_calls": [piece.openAIObject]])
                }
            default:
                break
            }
        case "message_delta":
            if case .object(let counts)? = fields["usage"] {
                usage.merge(counts)
            }
            let stopReason = fields["delta"]?.objectField("stop_reason")?.stringValue
            choice = ChunkChoice(finishReason: AnthropicWire.finishReason(fromStopReason: stopReason) ?? "stop")
            chunkUsage = TokenUsage(anthropicObject: usage)
        case "message_stop":
            isFinished = true
            assembled = assembly.message.map { WireBody(format: .anthropicMessages, object: $0) }
        case "error":
            let error = fields["error"]
            let type = error?.objectField("type")?.stringValue ?? "api_error"
            var failure = BifrostError(
                status: AnthropicWire.status(forErrorType: type), type: "upstream_error", code: type,
                message: error?.objectField("message")?.stringValue ?? "the upstream stream failed")
            failure.wire = WireBody(format: .anthropicMessages, object: fields)
            throw failure
        default:
            break
        }
        var chunk = ChatChunk(
            id: id, created: created, provider: provider, model: model, choices: choice.map { [$0] } ?? [], usage: chunkUsage,
            wire: WireBody(format: .anthropicMessages, object: fields))
        chunk.assembledWire = assembled
        return chunk
    }
}

/// Assembles Anthropic stream events into the message they amount to, as Anthropic's SDK
/// accumulator does: blocks by index, text and thinking joined, signatures kept, tool inputs
/// parsed from their JSON pieces, citations gathered, `message_delta` and its usage applied.
struct AnthropicMessageAssembly: Sendable {
    private var started: JSONObject?
    private var blocks: [Int: JSONObject] = [:]
    private var partialInputs: [Int: String] = [:]

    mutating func add(_ event: JSONObject) {
        switch event["type"]?.stringValue {
        case "message_start":
            started = event["message"]?.objectValue
        case "content_block_start":
            let index = event["index"]?.intValue ?? 0
            blocks[index] = event["content_block"]?.objectValue ?? [:]
        case "content_block_delta":
            let index = event["index"]?.intValue ?? 0
            guard var block = blocks[index], case .object(let delta)? = event["delta"] else { return }
            switch delta["type"]?.stringValue {
            case "text_delta": block["text"] = .string((block["text"]?.stringValue ?? "") + (delta["text"]?.stringValue ?? ""))
            case "thinking_delta":
                block["thinking"] = .string((block["thinking"]?.stringValue ?? "") + (delta["thinking"]?.stringValue ?? ""))
            case "signature_delta":
                block["signature"] = .string((block["signature"]?.stringValue ?? "") + (delta["signature"]?.stringValue ?? ""))
            case "input_json_delta": partialInputs[index, default: ""] += delta["partial_json"]?.stringValue ?? ""
            case "citations_delta":
                if let citation = delta["citation"] {
                    block["citations"] = .array((block["citations"]?.arrayValue ?? []) + [citation])
                }
            default: break
            }
            blocks[index] = block
        case "content_block_stop":
            let index = event["index"]?.intValue ?? 0
            if let partial = partialInputs.removeValue(forKey: index), !partial.isEmpty, let input = try? JSONValue.parse(partial)
            {
                blocks[index]?["input"] = input
            }
        case "message_delta":
            guard started != nil else { return }
            if case .object(let delta)? = event["delta"] {
                started?.merge(delta)
            }
            if case .object(let counts)? = event["usage"] {
                var usage = started?["usage"]?.objectValue ?? [:]
                usage.merge(counts)
                started?["usage"] = .object(usage)
            }
        default:
            break
        }
    }

    /// The message, once `message_start` was seen.
    var message: JSONObject? {
        guard var message = started else { return nil }
        message["content"] = .array(blocks.keys.sorted().map { .object(blocks[$0]!) })
        return message
    }
}
