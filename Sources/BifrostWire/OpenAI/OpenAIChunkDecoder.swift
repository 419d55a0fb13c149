public import BifrostCore

/// Decodes OpenAI's streamed `chat.completion.chunk` events (`data: {…}` … `data: [DONE]`).
///
/// An `{"error":{…}}` event ends the stream with that error; a body that ends without `[DONE]`
/// is fine after a `finish_reason`, and a 502 `upstream_reset` before one.
///
/// ```swift
/// var decoder = OpenAIChunkDecoder(provider: "openai", model: "gpt-4o-mini")
/// let data = #"{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#
/// let chunks = try decoder.decode(data: Array(data.utf8))
/// ```
public struct OpenAIChunkDecoder: Sendable {
    /// The provider named on every chunk.
    public let provider: String
    /// The model used when a chunk names none.
    public let model: String
    /// Whether each chunk's typed view is read as it is decoded, rather than when it is first
    /// asked for (``RequestContext/readsTypedAnswer``).
    public let readsTypedViewAsItGoes: Bool
    /// Whether `[DONE]` was seen.
    public private(set) var isFinished = false
    private var sawFinishReason = false

    /// Creates a decoder.
    ///
    /// ```swift
    /// let decoder = OpenAIChunkDecoder(provider: "groq", model: "llama-3.1-8b-instant")
    /// ```
    public init(provider: String, model: String, readsTypedViewAsItGoes: Bool = true) {
        self.provider = provider
        self.model = model
        self.readsTypedViewAsItGoes = readsTypedViewAsItGoes
    }

    /// Decodes one event: `[DONE]` finishes, a chunk object becomes a ``ChatChunk``.
    ///
    /// ```swift
    /// let none = try decoder.decode(data: Array("[DONE]".utf8))  // [], isFinished
    /// ```
    public mutating func decode(data: some Collection<UInt8>) throws(BifrostError) -> [ChatChunk] {
        if data.count == 6 && data.elementsEqual("[DONE]".utf8) {
            isFinished = true
            return []
        }
        let text = Array(data)
        var scan = ChunkScan(model: model, readsTypedView: readsTypedViewAsItGoes)
        let isObject: Bool
        do {
            isObject = try JSONCursor.walkObject(text) { cursor, key throws(JSONParseError) in try scan.read(key, &cursor) }
        } catch {
            throw Self.malformed("chunk is not valid JSON: \(error)")
        }
        guard isObject else { throw Self.malformed("chunk must be a JSON object") }
        if let error = scan.error { throw upstreamFailure(error, text: text) }
        if let malformed = scan.malformed { throw Self.malformed(malformed) }
        if scan.finishes { sawFinishReason = true }
        let wire = WireBody(format: .openAIChat, objectText: text)
        guard let fields = scan.typed else {
            return [ChatChunk(provider: provider, model: model, usage: scan.usage, wire: wire, typedView: Self.typedView)]
        }
        return [fields.chunk(provider: provider, usage: scan.usage, wire: wire)]
    }

    /// The typed view of a chunk `decode(data:)` accepted, read when a hook, the assembly or a
    /// writer of another format first asks for it.
    private static func typedView(of wire: WireBody, provider: String, model: String) -> ChatChunk {
        var fields = ChunkFields(model: model)
        _ = try? JSONCursor.walkObject(wire.bytes ?? []) { cursor, key throws(JSONParseError) in
            try fields.read(key, &cursor)
        }
        return fields.chunk(provider: provider, usage: nil, wire: wire)
    }

    /// What `decode(data:)` reads of every chunk: its usage (every stream writer asks for it),
    /// whether a choice finished, what ends the stream (an error, or a shape the typed view
    /// cannot read), and the typed view itself when it is read as the chunk is decoded.
    private struct ChunkScan {
        var usage: TokenUsage?
        var finishes = false
        var error: JSONValue?
        /// What is wrong with a chunk that is valid JSON.
        var malformed: String?
        /// The typed view, when it is read now.
        var typed: ChunkFields?

        init(model: String, readsTypedView: Bool) {
            if readsTypedView { typed = ChunkFields(model: model) }
        }

        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "usage": usage = try cursor.value().objectValue.map(TokenUsage.init(openAIObject:))
            case "error": error = try cursor.value()
            case "choices":
                guard cursor.isArray() else {
                    if try cursor.value() != .null { malformed = malformed ?? "'choices' must be an array" }
                    return
                }
                if typed != nil {
                    try typed!.readChoices(&cursor)
                    if let position = typed!.notAnObject { malformed = malformed ?? "choices[\(position)] must be an object" }
                    finishes = typed!.choices.contains { $0.finishReason != nil }
                    return
                }
                try cursor.elements { cursor, position throws(JSONParseError) in
                    let isObject = try cursor.members { cursor, key throws(JSONParseError) in
                        if key == "finish_reason" {
                            if case .string = try cursor.value() { finishes = true }
                        } else {
                            try cursor.skip()
                        }
                    }
                    if !isObject { malformed = malformed ?? "choices[\(position)] must be an object" }
                }
            default:
                if typed != nil { try typed!.read(key, &cursor) } else { try cursor.skip() }
            }
        }
    }

    /// The typed fields of one `chat.completion.chunk`, read member by member from its text
    /// (no tree of the members it knows), and the other members, in order.
    private struct ChunkFields {
        var id = ""
        var created = 0
        var model: String
        var choices: [ChunkChoice] = []
        var extra: [JSONObject.Member] = []
        /// The first choice that is not an object.
        var notAnObject: Int?

        init(model: String) { self.model = model }

        func chunk(provider: String, usage: TokenUsage?, wire: WireBody) -> ChatChunk {
            ChatChunk(
                id: id, created: created, provider: provider, model: model, choices: choices, usage: usage,
                extra: JSONObject(readMembers: extra), wire: wire)
        }

        /// A member other than `usage` and `error` (the scan reads those).
        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "id": id = try cursor.value().stringValue ?? ""
            case "object", "usage", "error": try cursor.skip()
            case "created": created = try cursor.value().intValue ?? 0
            case "model": if let named = try cursor.value().stringValue { model = named }
            case "choices":
                if cursor.isArray() { try readChoices(&cursor) } else { try cursor.skip() }
            default: extra.append(JSONObject.Member(key: key.string, value: try cursor.value()))
            }
        }

        /// The elements of `choices`, an array.
        mutating func readChoices(_ cursor: inout JSONCursor) throws(JSONParseError) {
            choices = []
            try cursor.elements { cursor, position throws(JSONParseError) in
                var choice = ChunkChoice(index: position)
                var choiceExtra: [JSONObject.Member] = []
                let isObject = try cursor.members { cursor, key throws(JSONParseError) in
                    try Self.read(key, &cursor, into: &choice, extra: &choiceExtra)
                }
                guard isObject else {
                    notAnObject = notAnObject ?? position
                    return
                }
                choice.choiceExtra = JSONObject(readMembers: choiceExtra)
                choices.append(choice)
            }
        }

        /// One member of a choice: `index`, `finish_reason` and the delta's `role` and text
        /// `content` go to the typed fields; the delta's other members to `extra`, the choice's to `choiceExtra`.
        static func read(
            _ key: JSONCursor.Key, _ cursor: inout JSONCursor, into choice: inout ChunkChoice, extra: inout [JSONObject.Member]
        )
            throws(JSONParseError)
        {
            switch key {
            case "index": choice.index = try cursor.value().intValue ?? choice.index
            case "finish_reason": choice.finishReason = try cursor.value().stringValue
            case "delta":
                (choice.role, choice.content) = (nil, nil)
                var deltaExtra: [JSONObject.Member] = []
                _ = try cursor.members { cursor, key throws(JSONParseError) in
                    switch (key, try cursor.value()) {
                    case ("role", let role): choice.role = role.stringValue
                    case ("content", .string(let text)): choice.content = text
                    case (_, let value): deltaExtra.append(JSONObject.Member(key: key.string, value: value))
                    }
                }
                choice.extra = JSONObject(readMembers: deltaExtra)
            default: extra.append(JSONObject.Member(key: key.string, value: try cursor.value()))
            }
        }
    }

    /// The error an `{"error":{…}}` event ends the stream with.
    private func upstreamFailure(_ error: JSONValue, text: [UInt8]) -> BifrostError {
        let status = error.objectField("code")?.intValue.flatMap { (400...599).contains($0) ? $0 : nil } ?? 502
        var failure = BifrostError(
            status: status, type: error.objectField("type")?.stringValue ?? "upstream_error",
            code: error.objectField("code")?.stringValue,
            message: "upstream \(provider) failed mid-stream: \(error.objectField("message")?.stringValue ?? "unknown error")",
            source: .provider(provider))
        if case .object(let fields)? = try? JSONValue.parse(text) { failure.wire = WireBody(format: .openAIChat, object: fields) }
        return failure
    }

    /// Accepts a body that ended after a finish reason; throws 502 `upstream_reset` otherwise.
    ///
    /// ```swift
    /// try decoder.finish()
    /// ```
    public func finish() throws(BifrostError) {
        guard sawFinishReason else {
            throw BifrostError(
                status: 502, type: "upstream_error", code: "upstream_reset",
                message: "upstream \(provider) ended the stream before it finished", source: .provider(provider))
        }
    }

    private static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "upstream_error", code: "malformed_response", message: "malformed upstream stream: \(reason)")
    }
}
