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
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw Self.malformed("chunk is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw Self.malformed("chunk must be a JSON object") }
        if let error = fields["error"] {
            let status = error.objectField("code")?.intValue.flatMap { (400...599).contains($0) ? $0 : nil } ?? 502
            var failure = BifrostError(
                status: status, type: error.objectField("type")?.stringValue ?? "upstream_error",
                code: error.objectField("code")?.stringValue,
                message:
                    "upstream \(provider) failed mid-stream: \(error.objectField("message")?.stringValue ?? "unknown error")",
                source: .provider(provider))
            failure.wire = WireBody(format: .openAIChat, object: fields)
            throw failure
        }
        // One pass over each object, so no member list is copied to take the typed fields out.
        var id = "", created = 0, chunkModel = model
        var choices: [ChunkChoice] = []
        var usage: TokenUsage?
        var extra: [JSONObject.Member] = []
        for member in fields {
            switch member.key {
            case "id": id = member.value.stringValue ?? ""
            case "object": continue
            case "created": created = member.value.intValue ?? 0
            case "model": chunkModel = member.value.stringValue ?? model
            case "usage": if case .object(let counts) = member.value { usage = TokenUsage(openAIObject: counts) }
            case "choices":
                switch member.value {
                case .array(let choiceValues):
                    choices.reserveCapacity(choiceValues.count)
                    for (position, choice) in choiceValues.enumerated() {
                        guard case .object(let choiceFields) = choice else {
                            throw Self.malformed("choices[\(position)] must be an object")
                        }
                        choices.append(Self.choice(choiceFields, position: position))
                    }
                case .null: break
                default: throw Self.malformed("'choices' must be an array")
                }
            default: extra.append(member)
            }
        }
        if choices.contains(where: { $0.finishReason != nil }) { sawFinishReason = true }
        return [
            ChatChunk(
                id: id, created: created, provider: provider, model: chunkModel, choices: choices, usage: usage,
                extra: JSONObject(uncheckedMembers: extra),
                wire: WireBody(format: .openAIChat, object: fields, bytes: Array(data)))
        ]
    }

    /// A choice's typed fields (`index`, `finish_reason`, the delta's `role` and text `content`)
    /// and the rest of the choice and of its delta, in order.
    private static func choice(_ fields: JSONObject, position: Int) -> ChunkChoice {
        var choice = ChunkChoice(index: position)
        var choiceExtra: [JSONObject.Member] = []
        for member in fields {
            switch member.key {
            case "index": choice.index = member.value.intValue ?? position
            case "finish_reason": choice.finishReason = member.value.stringValue
            case "delta":
                guard case .object(let delta) = member.value else { continue }
                var deltaExtra: [JSONObject.Member] = []
                for part in delta {
                    switch (part.key, part.value) {
                    case ("role", let role): choice.role = role.stringValue
                    case ("content", .string(let text)): choice.content = text
                    default: deltaExtra.append(part)
                    }
                }
                choice.extra = JSONObject(uncheckedMembers: deltaExtra)
            default: choiceExtra.append(member)
            }
        }
        choice.choiceExtra = JSONObject(uncheckedMembers: choiceExtra)
        return choice
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
