import BifrostCore
import BifrostLibrary
import BifrostWire
import Logging
import NIOCore
import NIOHTTP1

extension HTTPRouter {
    /// `POST /anthropic/v1/messages`: Anthropic's Messages API, so the official Anthropic SDKs
    /// work with only their base URL changed to `http://HOST:PORT/anthropic`.
    ///
    /// The body is translated to the core's request (``BifrostCore/ChatRequest/init(anthropicJSON:headers:)``),
    /// runs through the same plugin chain and providers as OpenAI's route, and the answer is
    /// translated back: a `message` object, or with `"stream": true` Anthropic's events
    /// (`message_start` … `message_stop`). Errors have Anthropic's shape
    /// `{"type":"error","error":{"type","message"}}` with the error's status. Runs in a task.
    func anthropicMessages(body: ByteBuffer, headers: HTTPHeaders, context: RequestContext) async -> HTTPAnswer {
        let request: ChatRequest
        do {
            request = try ChatRequest(anthropicJSON: body.readableBytesView, headers: Self.headerFields(headers))
        } catch {
            return .complete(HTTPServerResponse(anthropicError: error, requestID: context.requestID))
        }
        var streamHeaders = HeaderFields()
        streamHeaders["request-id"] = context.requestID
        return await answerChat(
            request, context: context, route: "anthropic messages",
            encoder: AnthropicChatStreamEncoder(AnthropicStreamEncoder()), streamHeaders: streamHeaders
        ) { response in
            HTTPServerResponse(anthropicMessage: response, requestID: context.requestID)
        }
    }
}

/// Anthropic's streamed Messages events, through the core's ``BifrostCore/AnthropicStreamEncoder``:
/// `event: NAME\ndata: JSON\n\n` each; a failure after the start is an `error` event.
struct AnthropicChatStreamEncoder: ChatStreamEncoder {
    private var base: AnthropicStreamEncoder

    init(_ base: AnthropicStreamEncoder) {
        self.base = base
    }

    mutating func encode(_ chunk: ChatChunk, into buffer: inout ByteBuffer) {
        for event in base.encode(chunk) { buffer.writeBytes(event.sseBytes) }
    }

    mutating func finish(into buffer: inout ByteBuffer) {
        for event in base.finish() { buffer.writeBytes(event.sseBytes) }
    }

    mutating func fail(_ error: BifrostError, into buffer: inout ByteBuffer) {
        buffer.writeBytes(base.error(error).sseBytes)
    }

    func errorResponse(_ error: BifrostError, requestID: String) -> HTTPServerResponse {
        HTTPServerResponse(anthropicError: error, requestID: requestID)
    }
}

extension HTTPServerResponse {
    /// An error in Anthropic's shape, with the error's status and headers (and `request-id`).
    init(anthropicError error: BifrostError, requestID: String) {
        let status = (400...599).contains(error.status) ? error.status : 500
        self.init(
            status: HTTPResponseStatus(statusCode: status), bytes: error.anthropicJSON(), requestID: requestID,
            extra: error.headers)
        headers.replaceOrAdd(name: "request-id", value: requestID)
    }

    /// A Messages answer with `x-bifrost-provider`/`x-bifrost-model`, `request-id` and the
    /// response's headers.
    init(anthropicMessage response: ChatResponse, requestID: String) {
        self.init(
            answer: response.anthropicJSON(), provider: response.provider, model: response.model, headers: response.headers,
            requestID: requestID)
        headers.replaceOrAdd(name: "request-id", value: requestID)
    }
}
