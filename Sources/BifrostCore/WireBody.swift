/// The wire formats the gateway speaks, on either side.
public enum WireFormat: String, Sendable, Hashable {
    /// OpenAI's chat completions: `chat.completion`, `chat.completion.chunk`.
    case openAIChat = "openai.chat"
    /// OpenAI's Responses API: `response` objects and their typed stream events.
    case openAIResponses = "openai.responses"
    /// Anthropic's Messages API: `message` and its stream events.
    case anthropicMessages = "anthropic.messages"
    /// OpenAI's embeddings: the `list` of `embedding`s.
    case openAIEmbeddings = "openai.embeddings"
}

/// A body, answer or stream event exactly as it arrived, kept beside the typed view of it.
///
/// When the other side speaks the same format and nothing changed the typed view, the gateway
/// writes this object instead of rebuilding it, so every field (unknown ones too, in their
/// order, numbers as written) reaches the other side. A change through the typed view drops it.
///
/// ```swift
/// if let wire = response.wire, wire.format == .openAIChat { writer.value(.object(wire.object)) }
/// ```
public struct WireBody: Sendable, Hashable {
    /// The format `object` is in.
    public var format: WireFormat
    /// The parsed body.
    public var object: JSONObject

    /// Keeps `object`, which is in `format`.
    public init(format: WireFormat, object: JSONObject) {
        self.format = format
        self.object = object
    }
}
