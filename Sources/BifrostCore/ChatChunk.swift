/// One event of a streamed chat answer, in OpenAI's `chat.completion.chunk` terms.
///
/// ``wire`` keeps the event as the provider sent it (an Anthropic stream's `ping` and
/// `content_block_stop` too, with no typed content); a writer of the same format sends it as
/// it came, with the typed fields applied if a plugin changed them (``typedViewChanged``).
///
/// ```swift
/// let chunk = ChatChunk(id: "chatcmpl-1", provider: "mock", model: "echo", choices: [.init(content: "Hel")])
/// ```
public struct ChatChunk: Sendable, Hashable {
    // A chunk is copied at every stage a stream passes (buffers, hooks, the assembly, the
    // writer): its fields live in one shared box, so a copy costs one retain, and a change
    // copies the box first when another chunk shares it.
    private var storage: Storage

    /// The completion id, the same for every chunk of one answer.
    public var id: String {
        get { storage.fields.id }
        _modify { yield &self[typed: \.id] }
    }

    /// Creation time, seconds since the Unix epoch.
    public var created: Int {
        get { storage.fields.created }
        _modify { yield &self[typed: \.created] }
    }

    /// The provider streaming the answer.
    public var provider: String {
        get { storage.fields.provider }
        _modify { yield &self[untyped: \.provider] }
    }

    /// The model streaming the answer.
    public var model: String {
        get { storage.fields.model }
        _modify { yield &self[typed: \.model] }
    }

    /// The deltas of this event.
    public var choices: [ChunkChoice] {
        get { storage.fields.choices }
        _modify { yield &self[typed: \.choices] }
    }

    /// Token counts; providers send them on the last chunk when asked.
    public var usage: TokenUsage? {
        get { storage.fields.usage }
        _modify { yield &self[typed: \.usage] }
    }

    /// The event's other top-level fields, in order (`system_fingerprint`, `service_tier`, …).
    public var extra: JSONObject {
        get { storage.fields.extra }
        _modify { yield &self[typed: \.extra] }
    }

    /// The event as the provider sent it.
    public var wire: WireBody? {
        get { storage.fields.wire }
        _modify { yield &self[untyped: \.wire] }
    }

    /// On the event that ends a stream, the whole answer it amounts to in the provider's
    /// format, for decoders that assemble it (Anthropic's: blocks, signatures, tool inputs).
    public var assembledWire: WireBody? {
        get { storage.fields.assembledWire }
        _modify { yield &self[untyped: \.assembledWire] }
    }

    /// Whether a typed field changed since the event was read.
    public var typedViewChanged: Bool { storage.fields.typedViewChanged }

    /// Creates a chunk.
    public init(
        id: String, created: Int = 0, provider: String, model: String, choices: [ChunkChoice] = [], usage: TokenUsage? = nil,
        extra: JSONObject = [:], wire: WireBody? = nil
    ) {
        storage = Storage(
            Fields(
                id: id, created: created, provider: provider, model: model, choices: choices, usage: usage, extra: extra,
                wire: wire))
    }

    /// Whether the chunk carries nothing for a client of another format (a `ping`, a block's end).
    public var isEmpty: Bool { choices.isEmpty && usage == nil }

    public static func == (lhs: ChatChunk, rhs: ChatChunk) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
    }

    /// A field of the typed view: changing it marks ``typedViewChanged``.
    private subscript<Value>(typed field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        _modify {
            makeUnique()
            storage.fields.typedViewChanged = true
            yield &storage.fields[keyPath: field]
        }
    }

    /// Any other field.
    private subscript<Value>(untyped field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        _modify {
            makeUnique()
            yield &storage.fields[keyPath: field]
        }
    }

    /// Gives this chunk a box of its own before a change.
    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
    }

    private struct Fields: Hashable {
        var id: String
        var created: Int
        var provider: String
        var model: String
        var choices: [ChunkChoice]
        var usage: TokenUsage?
        var extra: JSONObject
        var wire: WireBody?
        var assembledWire: WireBody? = nil
        var typedViewChanged = false
    }

    // Safe: a box is written only through the one chunk that holds it alone (a shared one is
    // copied first), so no box is written while another thread can read it.
    private final class Storage: @unchecked Sendable {
        var fields: Fields

        init(_ fields: Fields) { self.fields = fields }
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
