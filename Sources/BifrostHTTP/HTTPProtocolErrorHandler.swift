import BifrostCore
import BifrostWire
import NIOCore
import NIOHTTP1

/// Answers a request the HTTP parser refused (a malformed request line, an unknown method,
/// headers over the limit, a bad chunk size) with OpenAI's error JSON, saying what was wrong,
/// then lets the connection close: after a parser error the bytes that follow cannot be trusted.
///
/// It replaces NIO's `HTTPServerProtocolErrorHandler`, which answers 400 with an empty body, and
/// like it answers only when no response has started; the error then goes on down the pipeline.
final class HTTPProtocolErrorHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var hasUnterminatedResponse = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let parserError = error as? HTTPParserError, !hasUnterminatedResponse {
            let failure = Self.error(for: parserError)
            var body = context.channel.allocator.buffer(capacity: 160)
            body.writeBytes(failure.openAIJSON())
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "application/json")
            headers.add(name: "content-length", value: String(body.readableBytes))
            headers.add(name: "connection", value: "close")
            let head = HTTPResponseHead(
                version: .http1_1, status: HTTPResponseStatus(statusCode: failure.status), headers: headers)
            context.write(wrapOutboundOut(.head(head)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head) where (100..<200).contains(head.status.code) && head.status != .switchingProtocols: break
        case .head: hasUnterminatedResponse = true
        case .body: break
        case .end: hasUnterminatedResponse = false
        }
        context.write(data, promise: promise)
    }

    /// The client's error for a parser error: 431 for headers over the limit, 400 otherwise,
    /// with a message naming the fault.
    static func error(for error: HTTPParserError) -> BifrostError {
        let reason: String
        switch error {
        case .headerOverflow:
            return BifrostError(
                status: 431, type: "invalid_request_error", code: "headers_too_large",
                message: "malformed HTTP request: the request line and headers exceed the server's limit")
        case .invalidMethod: reason = "the method is not one this server knows"
        case .invalidVersion: reason = "the HTTP version is not HTTP/1.0 or HTTP/1.1"
        case .invalidURL, .invalidPath, .invalidQueryString, .invalidFragment, .invalidHost, .invalidPort:
            reason = "the request target is not a valid URL"
        case .invalidHeaderToken: reason = "a header name or value has characters HTTP does not allow"
        case .invalidContentLength: reason = "content-length is not a valid length"
        case .unexpectedContentLength: reason = "content-length is not allowed with transfer-encoding"
        case .invalidChunkSize: reason = "a chunk size of the chunked body is invalid"
        case .lfExpected, .invalidConstant, .invalidCharactersUsed: reason = "the request line or a header is malformed"
        case .trailingGarbage: reason = "bytes follow the request that are not a request"
        case .invalidEOFState, .closedConnection: reason = "the connection ended inside the request"
        default: reason = "the request is not valid HTTP/1.1 (\(error))"
        }
        return BifrostError(
            status: 400, type: "invalid_request_error", code: "bad_http_request", message: "malformed HTTP request: \(reason)")
    }
}
