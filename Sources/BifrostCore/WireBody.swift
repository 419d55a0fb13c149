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
/// sends the bytes it read (``bytes``) or, once `object` was changed, writes `object` instead of
/// rebuilding it from the typed view, so every field (unknown ones too, in their order, numbers
/// as written) reaches the other side. A change through the typed view drops it.
///
/// Two bodies are equal when their formats and objects are: ``bytes`` is `object`'s text, not a
/// part of its value.
///
/// ```swift
/// if let wire = response.wire, wire.format == .openAIChat { writer.value(.object(wire.object)) }
/// ```
public struct WireBody: Sendable, Hashable {
    /// The format `object` is in.
    public var format: WireFormat
    /// The parsed body; changing it drops ``bytes``.
    public var object: JSONObject { didSet { bytes = nil } }
    /// The text `object` was parsed from, as it came, while `object` is unchanged: written as it
    /// is, it costs a copy where encoding `object` costs a walk of the tree.
    public private(set) var bytes: [UInt8]?

    /// Keeps `object`, which is in `format`.
    public init(format: WireFormat, object: JSONObject) {
        self.format = format
        self.object = object
    }

    /// Keeps `object`, which is in `format`, and the text it was parsed from.
    public init(format: WireFormat, object: JSONObject, bytes: [UInt8]) {
        self.format = format
        self.object = object
        self.bytes = bytes
    }

    public static func == (lhs: WireBody, rhs: WireBody) -> Bool {
        lhs.format == rhs.format && lhs.object == rhs.object
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(format)
        hasher.combine(object)
    }
}
