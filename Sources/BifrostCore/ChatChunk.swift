/// One event of a streamed chat answer, in OpenAI's `chat.completion.chunk` terms.
///
/// ``wire`` keeps the event as the provider sent it (an Anthropic stream's `ping` and
/// `content_block_stop` too, with no typed content); a writer of the same format sends it as
/// it came, with the typed fields applied if a plugin changed them (``typedViewChanged``).
/// A decoder may leave the typed view to be read from ``wire`` when it is first asked for
/// (``init(provider:model:usage:wire:typedView:)``): a stream that nothing reads is not decoded.
///
/// ```swift
/// let chunk = ChatChunk(id: "chatcmpl-1", provider: "mock", model: "echo", choices: [.init(content: "Hel")])
/// ```
public struct ChatChunk: Sendable, Hashable {
    private var storage: TypedViewStorage<ChatChunk>

    /// The completion id, the same for every chunk of one answer.
    public var id: String {
        get { storage.typed?.id ?? storage.readView().typed!.id }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.id }
    }

    /// Creation time, seconds since the Unix epoch.
    public var created: Int {
        get { storage.typed?.created ?? storage.readView().typed!.created }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.created }
    }

    /// The provider streaming the answer.
    public var provider: String {
        get { storage.fields.provider }
        _modify { yield &TypedViewStorage.unique(&storage).fields.provider }
    }

    /// The model streaming the answer.
    public var model: String {
        get { storage.typed?.model ?? storage.readView().typed!.model }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.model }
    }

    /// The deltas of this event.
    public var choices: [ChunkChoice] {
        get { storage.typed?.choices ?? storage.readView().typed!.choices }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.choices }
    }

    /// Token counts; providers send them on the last chunk when asked.
    public var usage: TokenUsage? {
        get { storage.fields.usage }
        _modify { yield &TypedViewStorage.unique(&storage).changingFields.usage }
    }

    /// The event's other top-level fields, in order (`system_fingerprint`, `service_tier`, …).
    public var extra: JSONObject {
        get { storage.typed?.extra ?? storage.readView().typed!.extra }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.extra }
    }

    /// The event as the provider sent it.
    public var wire: WireBody? {
        get { storage.fields.wire }
        _modify { yield &TypedViewStorage.unique(&storage).fields.wire }
    }

    /// On the event that ends a stream, the whole answer it amounts to in the provider's
    /// format, for decoders that assemble it (Anthropic's: blocks, signatures, tool inputs).
    public var assembledWire: WireBody? {
        get { storage.fields.assembledWire }
        _modify { yield &TypedViewStorage.unique(&storage).fields.assembledWire }
    }

    /// Whether a typed field changed since the event was read.
    public var typedViewChanged: Bool { storage.typedViewChanged }

    /// Creates a chunk.
    public init(
        id: String, created: Int = 0, provider: String, model: String, choices: [ChunkChoice] = [], usage: TokenUsage? = nil,
        extra: JSONObject = [:], wire: WireBody? = nil
    ) {
        storage = TypedViewStorage(
            Fields(provider: provider, usage: usage, wire: wire),
            typed: TypedFields(id: id, created: created, model: model, choices: choices, extra: extra), reader: nil)
    }

    /// Creates a chunk whose typed view is read from `wire` when it is first asked for.
    ///
    /// `typedView` is called at most once per chunk that is read (by whichever thread asks
    /// first), with `wire`, `provider` and `model` (the model to name when the event names
    /// none); its chunk's `id`, `created`, `model`, `choices` and `extra` become this one's.
    /// `usage` is read by the decoder up front, since every stream writer asks for it.
    ///
    /// ```swift
    /// let chunk = ChatChunk(provider: "openai", model: "gpt-4o", usage: nil, wire: wire) { wire, provider, model in
    ///     ChatChunk(id: "c", provider: provider, model: model, wire: wire)
    /// }
    /// ```
    public init(
        provider: String, model: String, usage: TokenUsage?, wire: WireBody,
        typedView: @escaping @Sendable (_ wire: WireBody, _ provider: String, _ model: String) -> ChatChunk
    ) {
        storage = TypedViewStorage(
            Fields(provider: provider, usage: usage, wire: wire), typed: nil,
            reader: TypedViewReader(wire: wire, provider: provider, model: model, read: typedView))
    }

    /// Whether the chunk carries nothing for a client of another format (a `ping`, a block's end).
    public var isEmpty: Bool { usage == nil && choices.isEmpty }

    public static func == (lhs: ChatChunk, rhs: ChatChunk) -> Bool { lhs.storage == rhs.storage }

    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }
}

extension ChatChunk: TypedViewReading {
    /// The fields every chunk has at hand.
    struct Fields: Hashable {
        var provider: String
        var usage: TokenUsage?
        var wire: WireBody?
        var assembledWire: WireBody? = nil
    }

    /// The fields a decoder may leave in the wire.
    struct TypedFields: Hashable {
        var id: String
        var created: Int
        var model: String
        var choices: [ChunkChoice]
        var extra: JSONObject
    }

    /// How a chunk's typed view is read from its wire.
    struct TypedViewReader: Sendable {
        let wire: WireBody
        let provider: String
        let model: String
        let read: @Sendable (WireBody, String, String) -> ChatChunk
    }

    static func readTypedView(_ reader: TypedViewReader) -> TypedViewStorage<ChatChunk> {
        reader.read(reader.wire, reader.provider, reader.model).storage
    }
}

/// The delta of one choice in a ``ChatChunk``.
public struct ChunkChoice: Sendable, Hashable {
    /// The choice's index.
    public var index: Int
    /// The role, sent on a choice's first delta only.
    public var role: String?
    /// The text added by this delta, if any.
    public var content: String?
    /// Why generation stopped, on a choice's last delta.
    public var finishReason: String?
    /// The delta's other fields, in order: `tool_calls` (by `index`, arguments in pieces),
    /// `refusal`, `reasoning_content`, … in OpenAI's shape.
    public var extra: JSONObject
    /// The choice's other fields, in order (`logprobs`, …).
    public var choiceExtra: JSONObject

    /// Creates a delta.
    public init(
        index: Int = 0, role: String? = nil, content: String? = nil, finishReason: String? = nil, extra: JSONObject = [:],
        choiceExtra: JSONObject = [:]
    ) {
        self.index = index
        self.role = role
        self.content = content
        self.finishReason = finishReason
        self.extra = extra
        self.choiceExtra = choiceExtra
    }

    /// The tool-call pieces of this delta.
    public var toolCallDeltas: [ToolCallDelta] {
        guard case .array(let elements)? = extra["tool_calls"] else { return [] }
        return elements.enumerated().compactMap { position, element -> ToolCallDelta? in
            guard case .object(let call) = element else { return nil }
            let function = call["function"]
            return ToolCallDelta(
                index: call["index"]?.intValue ?? position, id: call["id"]?.stringValue,
                name: function?.objectField("name")?.stringValue,
                arguments: function?.objectField("arguments")?.stringValue ?? "")
        }
    }

    /// The reasoning text added by this delta, if any.
    public var reasoning: String? { extra["reasoning_content"]?.stringValue }
}

/// A piece of a streamed tool call: the first names it (id, name), later ones add arguments.
public struct ToolCallDelta: Sendable, Hashable {
    /// The call's position among the choice's tool calls.
    public var index: Int
    /// The call's id, on its first piece.
    public var id: String?
    /// The function's name, on its first piece.
    public var name: String?
    /// A piece of the arguments' JSON text.
    public var arguments: String

    /// Creates a piece.
    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The piece as an element of OpenAI's delta `tool_calls`.
    public var openAIObject: JSONValue {
        var call: JSONObject = ["index": .number(JSONNumber(index))]
        if let id { call["id"] = .string(id) }
        if id != nil || name != nil { call["type"] = "function" }
        var function: JSONObject = [:]
        if let name { function["name"] = .string(name) }
        function["arguments"] = .string(arguments)
        call["function"] = .object(function)
        return .object(call)
    }
}
