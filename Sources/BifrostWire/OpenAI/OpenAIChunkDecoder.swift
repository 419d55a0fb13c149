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
        if data.elementsEqual("[DONE]".utf8) {
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
        var choices: [ChunkChoice] = []
        switch fields["choices"] {
        case .array(let choiceValues)?:
            for (position, choice) in choiceValues.enumerated() {
                guard case .object(var choiceFields) = choice else {
                    throw Self.malformed("choices[\(position)] must be an object")
                }
                var delta = choiceFields.removeValue(forKey: "delta")?.objectValue ?? [:]
                let reason = choiceFields.removeValue(forKey: "finish_reason")?.stringValue
                let index = choiceFields.removeValue(forKey: "index")?.intValue ?? position
                if reason != nil { sawFinishReason = true }
                let role = delta.removeValue(forKey: "role")?.stringValue
                var content: String?
                if case .string(let text)? = delta["content"] {
                    content = text
                    delta.removeValue(forKey: "content")
                }
                choices.append(
                    ChunkChoice(
                        index: index, role: role, content: content, finishReason: reason, extra: delta,
                        choiceExtra: choiceFields))
            }
        case .null?, nil:
            break
        default:
            throw Self.malformed("'choices' must be an array")
        }
        var usage: TokenUsage?
        if case .object(let counts)? = fields["usage"] { usage = TokenUsage(openAIObject: counts) }
        var extra = fields
        for name in Self.typedFields { extra.removeValue(forKey: name) }
        return [
            ChatChunk(
                id: fields["id"]?.stringValue ?? "", created: fields["created"]?.intValue ?? 0, provider: provider,
                model: fields["model"]?.stringValue ?? model, choices: choices, usage: usage, extra: extra,
                wire: WireBody(format: .openAIChat, object: fields, bytes: Array(data)))
        ]
    }

    /// The members of `chat.completion.chunk` the typed fields hold.
    static let typedFields: Set<String> = ["id", "object", "created", "model", "choices", "usage"]

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
