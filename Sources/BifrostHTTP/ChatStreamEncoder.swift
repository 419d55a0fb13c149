import BifrostCore
import BifrostWire
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
    /// Whether its format's answers, whole or streamed, are written from their typed view (a
    /// format other than an OpenAI chat upstream's) rather than as they came.
    var readsTypedView: Bool { get }
}

extension ChatStreamEncoder {
    var readsTypedView: Bool { true }
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
    /// `x-bifrost-chain-generation`: the chain the stream runs on.
    var chainGeneration: ChainGenerationTag?

    /// The head of the answer: `200`, `text/event-stream`, `no-cache`, the gateway's headers.
    func head(firstChunk: ChatChunk?) -> HTTPHeaders {
        var headers = HTTPHeaders()
        headers.reserveCapacity(7 + extraHeaders.count)
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        headers.add(name: "x-request-id", value: requestID)
        let provider = firstChunk.map(\.provider).flatMap { $0.isEmpty ? nil : $0 } ?? provider
        HTTPServerResponse.stampRoute(&headers, provider: provider, model: model)
        if let chainGeneration { headers.add(name: ChainGenerationTag.headerName, value: chainGeneration.headerValue) }
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

/// A wire format's stream encoder that writes its events into a byte array (OpenAI's chat
/// chunks, the Responses API's typed events).
protocol ByteStreamEncoder: Sendable {
    /// The events for one chunk.
    mutating func encode(_ chunk: ChatChunk, into buffer: inout [UInt8])
    /// The events that end a stream that completed.
    mutating func finish(into buffer: inout [UInt8])
    /// The events that end a stream that failed after its first chunk.
    mutating func fail(_ error: BifrostError, into buffer: inout [UInt8])
    /// `error` as the format's clients name things (an error about the chat-shaped view names
    /// the field the client wrote).
    func clientFacing(_ error: BifrostError) -> BifrostError
    /// Whether it writes chunks from their typed view rather than as they came.
    static var readsTypedView: Bool { get }
}

extension ByteStreamEncoder {
    func clientFacing(_ error: BifrostError) -> BifrostError { error }
    static var readsTypedView: Bool { true }
}

extension OpenAIStreamEncoder: ByteStreamEncoder {
    // An OpenAI chat upstream's chunks go out as they came.
    static var readsTypedView: Bool { false }
}

extension ResponsesStreamEncoder: ByteStreamEncoder {
    func clientFacing(_ error: BifrostError) -> BifrostError {
        var error = error
        error.param = error.param.map(ResponsesWire.fieldName(forChatParameter:))
        return error
    }
}

/// The events of an OpenAI wire format (chat chunks through ``BifrostWire/OpenAIStreamEncoder``,
/// the Responses API's through ``BifrostWire/ResponsesStreamEncoder``), whose errors before the
/// first event are answered in OpenAI's error shape, which both APIs share.
struct OpenAIShapedStreamEncoder<Base: ByteStreamEncoder>: ChatStreamEncoder {
    private var base: Base
    private var scratch: [UInt8] = []

    init(_ base: Base) {
        self.base = base
    }

    mutating func encode(_ chunk: ChatChunk, into buffer: inout ByteBuffer) {
        scratch.removeAll(keepingCapacity: true)
        base.encode(chunk, into: &scratch)
        buffer.writeBytes(scratch)
    }

    mutating func finish(into buffer: inout ByteBuffer) {
        scratch.removeAll(keepingCapacity: true)
        base.finish(into: &scratch)
        buffer.writeBytes(scratch)
    }

    mutating func fail(_ error: BifrostError, into buffer: inout ByteBuffer) {
        scratch.removeAll(keepingCapacity: true)
        base.fail(error, into: &scratch)
        buffer.writeBytes(scratch)
    }

    func errorResponse(_ error: BifrostError, requestID: String) -> HTTPServerResponse {
        HTTPServerResponse(error: base.clientFacing(error), requestID: requestID)
    }

    var readsTypedView: Bool { Base.readsTypedView }
}
