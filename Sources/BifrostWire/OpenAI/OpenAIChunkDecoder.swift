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
    /// Whether `[DONE]` was seen.
    public private(set) var isFinished = false
    private var sawFinishReason = false

    /// Creates a decoder.
    ///
    /// ```swift
    /// let decoder = OpenAIChunkDecoder(provider: "groq", model: "llama-3.1-8b-instant")
    /// ```
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
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
        var fields = ChunkFields(model: model)
        let isObject: Bool
        do {
            isObject = try JSONCursor.walkObject(text) { cursor, key throws(JSONParseError) in try fields.read(key, &cursor) }
        } catch {
            throw Self.malformed("chunk is not valid JSON: \(error)")
        }
        guard isObject else { throw Self.malformed("chunk must be a JSON object") }
        if let error = fields.error { throw upstreamFailure(error, text: text) }
        if let malformed = fields.malformed { throw Self.malformed(malformed) }
        if fields.choices.contains(where: { $0.finishReason != nil }) { sawFinishReason = true }
        return [
            ChatChunk(
                id: fields.id, created: fields.created, provider: provider, model: fields.model, choices: fields.choices,
                usage: fields.usage, extra: JSONObject(readMembers: fields.extra),
                wire: WireBody(format: .openAIChat, objectText: text))
        ]
    }

    /// The typed fields of one `chat.completion.chunk`, read member by member from its text
    /// (no tree of the members it knows), and the other members, in order.
    private struct ChunkFields {
        var id = ""
        var created = 0
        var model: String
        var choices: [ChunkChoice] = []
        var usage: TokenUsage?
        var extra: [JSONObject.Member] = []
        var error: JSONValue?
        /// What is wrong with a chunk that is valid JSON.
        var malformed: String?

        init(model: String) { self.model = model }

        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "id": id = try cursor.value().stringValue ?? ""
            case "object": try cursor.skip()
            case "created": created = try cursor.value().intValue ?? 0
            case "model": if let named = try cursor.value().stringValue { model = named }
            case "usage": usage = try cursor.value().objectValue.map(TokenUsage.init(openAIObject:))
            case "error": error = try cursor.value()
            case "choices":
                choices = []
                guard cursor.isArray() else {
                    if try cursor.value() != .null { malformed = malformed ?? "'choices' must be an array" }
                    return
                }
                try cursor.elements { cursor, position throws(JSONParseError) in
                    var choice = ChunkChoice(index: position)
                    var choiceExtra: [JSONObject.Member] = []
                    let isObject = try cursor.members { cursor, key throws(JSONParseError) in
                        try Self.read(key, &cursor, into: &choice, extra: &choiceExtra)
                    }
                    guard isObject else {
                        malformed = malformed ?? "choices[\(position)] must be an object"
                        return
                    }
                    choice.choiceExtra = JSONObject(readMembers: choiceExtra)
                    choices.append(choice)
                }
            default: extra.append(JSONObject.Member(key: key.string, value: try cursor.value()))
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
