public import BifrostCore

/// Turns the Responses API's streamed events into core ``ChatChunk``s, one chunk per event.
///
/// Every chunk keeps its event in ``ChatChunk/wire``, so a Responses client gets every event
/// (unknown ones too) as it came. The typed view, for plugins and for clients of other
/// formats: `response.created` is the role chunk; `response.output_text.delta` content;
/// `response.refusal.delta` `refusal`; `response.reasoning_summary_text.delta` and
/// `response.reasoning_text.delta` `reasoning_content`; a `function_call` item's
/// `response.output_item.added` and its `response.function_call_arguments.delta`s OpenAI
/// `tool_calls` pieces (numbered among the answer's calls); `response.completed` and
/// `response.incomplete` the finish reason and the usage, and the whole answer
/// (``ChatChunk/assembledWire``). `error` and `response.failed` throw the upstream's error,
/// the event kept in ``BifrostError/wire``.
///
/// ```swift
/// var decoder = ResponsesStreamDecoder(provider: "openai", model: "gpt-4o-mini")
/// let data = #"{"type":"response.output_text.delta","item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hi"}"#
/// let chunk = try decoder.decode(data: Array(data.utf8))
/// ```
public struct ResponsesStreamDecoder: Sendable {
    /// The provider named on every chunk.
    public let provider: String
    /// The model until `response.created` names one.
    public private(set) var model: String
    /// The answer's id, from `response.created`.
    public private(set) var id = ""
    /// Whether the answer's last event (`response.completed`, `response.incomplete`) was seen.
    public private(set) var isFinished = false
    private var created = 0
    /// The tool-call index of each `function_call` item, by output index.
    private var toolIndices: [Int: Int] = [:]

    /// Creates a decoder.
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// Decodes one event's `data`; throws 502 `malformed_response` for data that is not a JSON
    /// object, and the upstream's error for `error` and `response.failed`.
    public mutating func decode(data: some Collection<UInt8>) throws(BifrostError) -> ChatChunk {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw ResponsesWire.malformed("stream event is not valid JSON: \(error)")
        }
        guard case .object(let event) = value else { throw ResponsesWire.malformed("stream event must be a JSON object") }
        return try decode(event)
    }

    /// Decodes one parsed event (its `type` names it) into its chunk.
    public mutating func decode(_ event: JSONObject) throws(BifrostError) -> ChatChunk {
        var choice: ChunkChoice?
        var usage: TokenUsage?
        var assembled: WireBody?
        switch event["type"]?.stringValue ?? "" {
        case "response.created":
            let response = event["response"]
            id = response?.objectField("id")?.stringValue ?? id
            model = response?.objectField("model")?.stringValue ?? model
            created = response?.objectField("created_at")?.intValue ?? created
            choice = ChunkChoice(role: "assistant", content: "")
        case "response.output_text.delta":
            choice = ChunkChoice(content: event["delta"]?.stringValue ?? "")
        case "response.refusal.delta":
            choice = ChunkChoice(extra: ["refusal": event["delta"] ?? ""])
        case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
            choice = ChunkChoice(extra: ["reasoning_content": event["delta"] ?? ""])
        case "response.output_item.added":
            let item = event["item"]
            if item?.objectField("type")?.stringValue == "function_call" {
                let toolIndex = toolIndices.count
                toolIndices[event["output_index"]?.intValue ?? -1] = toolIndex
                let piece = ToolCallDelta(
                    index: toolIndex, id: item?.objectField("call_id")?.stringValue ?? "",
                    name: item?.objectField("name")?.stringValue ?? "",
                    arguments: item?.objectField("arguments")?.stringValue ?? "")
                choice = ChunkChoice(extra: ["tool_calls": [piece.openAIObject]])
            }
        case "response.function_call_arguments.delta":
            if let toolIndex = toolIndices[event["output_index"]?.intValue ?? -1] {
                let piece = ToolCallDelta(index: toolIndex, arguments: event["delta"]?.stringValue ?? "")
                choice = ChunkChoice(extra: ["tool_calls": [piece.openAIObject]])
            }
        case "response.completed", "response.incomplete":
            isFinished = true
            let response = event["response"]?.objectValue ?? [:]
            choice = ChunkChoice(finishReason: ResponsesWire.finishReason(of: response, hasToolCalls: !toolIndices.isEmpty))
            usage = TokenUsage(responsesObject: response["usage"]?.objectValue ?? [:])
            assembled = WireBody(format: .openAIResponses, object: response)
        case "error", "response.failed":
            throw ResponsesWire.streamError(event, provider: provider)
        default:
            break
        }
        var chunk = ChatChunk(
            id: id, created: created, provider: provider, model: model, choices: choice.map { [$0] } ?? [], usage: usage,
            wire: WireBody(format: .openAIResponses, object: event))
        chunk.assembledWire = assembled
        return chunk
    }

    /// Accepts a body that ended after the answer's last event; throws 502 `upstream_reset` otherwise.
    public func finish() throws(BifrostError) {
        guard isFinished else {
            throw BifrostError(
                status: 502, type: "upstream_error", code: "upstream_reset",
                message: "upstream \(provider) ended the stream before response.completed", source: .provider(provider))
        }
    }
}
