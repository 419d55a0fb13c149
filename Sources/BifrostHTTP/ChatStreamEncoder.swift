import BifrostCore
import NIOCore
import NIOHTTP1

/// Turns a ``BifrostCore/ChatStream`` into the server-sent events of one wire format.
///
/// One encoder serves one response; it may keep state between chunks (OpenAI's encoder holds
/// the usage back for a final chunk, Anthropic's opens and closes content blocks).
protocol ChatStreamEncoder: Sendable {
    /// The events for one chunk, appended to `buffer` (nothing, if the chunk sends none).
    mutating func encode(_ chunk: ChatChunk, into buffer: inout ByteBuffer)
    /// The events that end a stream that completed.
    mutating func finish(into buffer: inout ByteBuffer)
    /// The events that end a stream that failed after its first chunk.
    mutating func fail(_ error: BifrostError, into buffer: inout ByteBuffer)
    /// The complete answer to send instead of a stream when it fails before its first chunk.
    func errorResponse(_ error: BifrostError, requestID: String) -> HTTPServerResponse
}

/// A streamed answer a route hands to ``HTTPHandler``, which writes it as chunks arrive.
struct HTTPStreamingResponse: Sendable {
    /// The chunks.
    var stream: ChatStream
    /// Their wire format.
    var encoder: any ChatStreamEncoder
    /// The request's id, for `x-request-id`.
    var requestID: String
    /// `x-bifrost-provider` when the stream ends before a chunk names it.
    var provider: String
    /// `x-bifrost-model`: the model routed to (chunks name it as the upstream does).
    var model: String
    /// Headers of the wire format (e.g. Anthropic's `request-id`).
    var extraHeaders: HeaderFields = HeaderFields()

    /// The head of the answer: `200`, `text/event-stream`, `no-cache`, the gateway's headers.
    func head(firstChunk: ChatChunk?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(6 + extraHeaders.count)
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        headers.add(name: "x-request-id", value: requestID)
        let provider = firstChunk.map(\.provider).flatMap { $0.isEmpty ? nil : $0 } ?? provider
        headers.add(name: "x-bifrost-provider", value: provider)
        headers.add(name: "x-bifrost-model", value: model)
        for field in extraHeaders { headers.add(name: field.name, value: field.value) }
        return headers
    }
}

/// What a route that runs in a task answers with.
enum HTTPAnswer: Sendable {
    /// A complete JSON answer.
    case complete(HTTPServerResponse)
    /// Server-sent events, written as they arrive.
    case stream(HTTPStreamingResponse)
}

/// OpenAI's `chat.completion.chunk` events: `data: {…}\n\n` per chunk, `data: [DONE]\n\n` at the end.
///
/// A chunk read from an OpenAI-compatible stream that no plugin changed goes out as it came
/// (every field, in order). The gateway always asks upstream for usage; when the client did
/// not (`stream_options.include_usage`), the usage-only chunk is held back and `usage` left out
/// of the others. Other chunks are written from their typed fields and extras; with
/// `include_usage`, each carries `"usage":null` and the usage goes in one more chunk with
/// `"choices":[]` before `[DONE]`, as OpenAI sends it. Chunks with nothing for OpenAI (an
/// Anthropic `ping`) are skipped. A failure after the first chunk is one `data: {"error":{…}}` event, no `[DONE]`.
struct OpenAIChatStreamEncoder: ChatStreamEncoder {
    /// Whether the client asked for `stream_options.include_usage`.
    let includeUsage: Bool
    private var usage: TokenUsage?
    private var usageSent = false
    private var id = ""
    private var created = 0
    private var model = ""
    private var extra: JSONObject = [:]

    init(includeUsage: Bool) {
        self.includeUsage = includeUsage
    }

    mutating func encode(_ chunk: ChatChunk, into buffer: inout ByteBuffer) {
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        id = chunk.id
        created = chunk.created
        model = chunk.model
        extra = chunk.extra
        if let wire = chunk.wire, wire.format == .openAIChat, !chunk.typedViewChanged {
            var object = wire.object
            if !includeUsage {
                if chunk.choices.isEmpty && chunk.usage != nil { return }
                object["usage"] = nil
            } else if chunk.usage != nil {
                usageSent = true
            }
            var writer = JSONWriter(capacity: 256)
            writer.value(.object(object))
            Self.event(writer.bytes, into: &buffer)
            return
        }
        if chunk.isEmpty && chunk.extra.isEmpty { return }
        // A usage-only chunk (OpenAI's own last chunk): its usage goes out at the end, if asked.
        if chunk.choices.isEmpty && chunk.usage != nil { return }
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
            for member in choice.extra {
                writer.key(member.key)
                writer.value(member.value)
            }
            writer.endObject()
            for member in choice.choiceExtra {
                writer.key(member.key)
                writer.value(member.value)
            }
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

    mutating func finish(into buffer: inout ByteBuffer) {
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
        buffer.writeStaticString("data: [DONE]\n\n")
    }

    mutating func fail(_ error: BifrostError, into buffer: inout ByteBuffer) {
        Self.event(error.openAIJSON(), into: &buffer)
    }

    func errorResponse(_ error: BifrostError, requestID: String) -> HTTPServerResponse {
        HTTPServerResponse(error: error, requestID: requestID)
    }

    /// `{"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":` (the array follows).
    private func beginChunk(_ writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string("chat.completion.chunk")
        writer.key("created")
        writer.number(created)
        writer.key("model")
        writer.string(model)
        writer.key("choices")
    }

    /// The chunk's other top-level fields (`system_fingerprint`, …), then `}`.
    private func endChunk(_ writer: inout JSONWriter) {
        for member in extra {
            writer.key(member.key)
            writer.value(member.value)
        }
        writer.endObject()
    }

    /// `data: JSON\n\n`.
    static func event(_ json: [UInt8], into buffer: inout ByteBuffer) {
        buffer.writeStaticString("data: ")
        buffer.writeBytes(json)
        buffer.writeStaticString("\n\n")
    }
}
