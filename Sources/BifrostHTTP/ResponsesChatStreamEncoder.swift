import BifrostCore
import BifrostWire
import NIOCore

/// The Responses API's typed events, through ``BifrostWire/ResponsesStreamEncoder``; a failure
/// after the first event is an `error` event, one before it a complete error answer.
struct ResponsesChatStreamEncoder: ChatStreamEncoder {
    private var base: ResponsesStreamEncoder
    private var scratch: [UInt8] = []

    init(echoing echo: JSONObject) {
        base = ResponsesStreamEncoder(echoing: echo)
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
        HTTPServerResponse(error: error, requestID: requestID)
    }
}
