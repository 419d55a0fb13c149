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
    /// `object`, once parsed or set; `nil` while only ``bytes`` hold it.
    private var parsed: JSONObject?
    /// The text `object` was parsed from, as it came, while `object` is unchanged: written as it
    /// is, it costs a copy where encoding `object` costs a walk of the tree.
    public private(set) var bytes: [UInt8]?

    /// The parsed body; changing it drops ``bytes``. A body kept as its text only
    /// (``init(format:objectText:)``) is parsed when this is read.
    public var object: JSONObject {
        get { parsed ?? Self.object(parsing: bytes) }
        _modify {
            if parsed == nil { parsed = Self.object(parsing: bytes) }
            bytes = nil
            yield &parsed!
        }
        set {
            parsed = newValue
            bytes = nil
        }
    }

    /// Keeps `object`, which is in `format`.
    public init(format: WireFormat, object: JSONObject) {
        self.format = format
        self.parsed = object
    }

    /// Keeps `object`, which is in `format`, and the text it was parsed from.
    public init(format: WireFormat, object: JSONObject, bytes: [UInt8]) {
        self.format = format
        self.parsed = object
        self.bytes = bytes
    }

    /// Keeps the text of an object in `format` that a reader has checked (a ``JSONCursor``
    /// walked it), and parses it only if ``object`` is read: a stream event passed on as it
    /// came is never made into a tree.
    package init(format: WireFormat, objectText: [UInt8]) {
        self.format = format
        self.bytes = objectText
    }

    /// The object `text` holds (checked when it was kept).
    private static func object(parsing text: [UInt8]?) -> JSONObject {
        guard let text, case .object(let object)? = try? JSONValue.parse(text) else { return [:] }
        return object
    }

    public static func == (lhs: WireBody, rhs: WireBody) -> Bool {
        lhs.format == rhs.format && lhs.object == rhs.object
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(format)
        hasher.combine(object)
    }
}
