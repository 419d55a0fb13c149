public import BifrostCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// OpenAI's `chat.completion.chunk` events: `data: {…}\n\n` per chunk, `data: [DONE]\n\n` at the end.
///
/// A chunk read from an OpenAI-compatible stream that no plugin changed goes out as it came
/// (every field, in order, as the bytes read). The gateway always asks upstream for usage; when
/// the client did not (`stream_options.include_usage`), the usage-only chunk is held back and
/// the `usage` member cut out of the others' text. Other chunks are written from their typed fields and extras; with
/// `include_usage`, each carries `"usage":null` and the usage goes in one more chunk with
/// `"choices":[]` before `[DONE]`, as OpenAI sends it. Chunks with nothing for OpenAI (an
/// Anthropic `ping`) are skipped. A failure after the first chunk is one `data: {"error":{…}}` event, no `[DONE]`.
public struct OpenAIStreamEncoder: Sendable {
    /// Whether the client asked for `stream_options.include_usage`.
    public let includeUsage: Bool
    private var usage: TokenUsage?
    private var usageSent = false
    /// The last chunk encoded: the usage chunk at the end takes its id, model and other fields.
    private var last: ChatChunk?
    /// The change that holds a chunk's usage back from a client that did not ask for it.
    private static let withoutUsage: [(name: String, value: [UInt8]?)] = [("usage", nil)]

    /// Creates an encoder for one stream.
    ///
    /// ```swift
    /// var encoder = OpenAIStreamEncoder(includeUsage: true)
    /// ```
    public init(includeUsage: Bool) {
        self.includeUsage = includeUsage
    }

    /// Appends the event of one chunk (or nothing, when it carries nothing for OpenAI).
    public mutating func encode(_ chunk: ChatChunk, into buffer: inout [UInt8]) {
        let chunkUsage = chunk.usage
        if let chunkUsage { usage = chunkUsage }
        last = chunk
        if let wire = chunk.wire, wire.format == .openAIChat, !chunk.typedViewChanged {
            if chunkUsage != nil {
                // The usage-only chunk is held back from a client that did not ask for usage.
                guard includeUsage || !chunk.choices.isEmpty else { return }
                if includeUsage { usageSent = true }
            }
            if let bytes = wire.bytes, Self.fitsOneLine(bytes),
                let text = includeUsage ? bytes : JSONCursor.settingMembers(Self.withoutUsage, in: bytes)
            {
                Self.event(text, into: &buffer)
                return
            }
            var object = wire.object
            if !includeUsage { object["usage"] = nil }
            var writer = JSONWriter(capacity: 256)
            writer.value(.object(object))
            Self.event(writer.bytes, into: &buffer)
            return
        }
        if chunk.isEmpty && chunk.extra.isEmpty { return }
        // A usage-only chunk (OpenAI's own last chunk): its usage goes out at the end, if asked.
        if chunk.choices.isEmpty && chunkUsage != nil { return }
        var writer = JSONWriter(capacity: 160 + chunk.choices.reduce(0) { $0 + ($1.content?.utf8.count ?? 0) + 64 })
        beginChunk(&writer)
        writer.beginArray()
        for choice in chunk.choices {
            writer.beginObject()
            writer.key("index")
            writer.number(choice.index)
            writer.key("delta")
            writer.beginObject()
            if let role = choice.role {
                writer.key("role")
                writer.string(role)
            }
            if let content = choice.content {
                writer.key("content")
                writer.string(content)
            }
            writer.members(of: choice.extra)
            writer.endObject()
            writer.members(of: choice.choiceExtra)
            writer.key("finish_reason")
            writer.optionalString(choice.finishReason)
            writer.endObject()
        }
        writer.endArray()
        if includeUsage {
            writer.key("usage")
            writer.null()
        }
        endChunk(&writer)
        Self.event(writer.bytes, into: &buffer)
    }

    /// Appends the events that end a stream that completed: the usage chunk if asked, `[DONE]`.
    public mutating func finish(into buffer: inout [UInt8]) {
        if includeUsage, !usageSent, let usage {
            var writer = JSONWriter(capacity: 256)
            beginChunk(&writer)
            writer.beginArray()
            writer.endArray()
            writer.key("usage")
            usage.writeOpenAI(into: &writer)
            endChunk(&writer)
            Self.event(writer.bytes, into: &buffer)
        }
        buffer.append(contentsOf: "data: [DONE]\n\n".utf8)
    }

    /// Appends the `{"error":{…}}` event of a stream that failed after its first chunk.
    public mutating func fail(_ error: BifrostError, into buffer: inout [UInt8]) {
        Self.event(error.openAIJSON(), into: &buffer)
    }

    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":` (the array follows).
    private func beginChunk(_ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id")
        writer.string(last?.id ?? "")
        writer.key("object")
        writer.string("chat.completion.chunk")
        writer.key("created")
        writer.number(last?.created ?? 0)
        writer.key("model")
        writer.string(last?.model ?? "")
        writer.key("choices")
    }

    /// The chunk's other top-level fields (`system_fingerprint`, …), then `}`.
    private func endChunk(_ writer: inout JSONWriter) {
        writer.members(of: last?.extra ?? [:])
        writer.endObject()
    }

    /// `data: JSON\n\n`.
    /// Whether `json` can be one `data:` line: an upstream may have split an event's JSON over
    /// several (each line break is then in the text read), which one line cannot carry.
    static func fitsOneLine(_ json: [UInt8]) -> Bool {
        json.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            return memchr(base, Int32(UInt8(ascii: "\n")), buffer.count) == nil
                && memchr(base, Int32(UInt8(ascii: "\r")), buffer.count) == nil
        }
    }

    static func event(_ json: [UInt8], into buffer: inout [UInt8]) {
        buffer.append(contentsOf: "data: ".utf8)
        buffer.append(contentsOf: json)
        buffer.append(contentsOf: "\n\n".utf8)
    }
}
