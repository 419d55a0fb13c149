import BifrostCore
import BifrostLibrary
import Logging
import NIOCore
import NIOHTTP1

/// The last handler of a connection's pipeline: collects each request, answers it, and
/// keeps the connection's lifecycle (keep-alive, `Connection: close`, half-close, 413).
///
/// It sits behind NIO's `HTTPServerPipelineHandler`, which hands it one request at a time
/// and holds pipelined requests back until the previous response's `.end` is written, so
/// answers always leave in request order. Chat completions and embeddings run in one `Task`
/// each, on the connection's event loop or on the global executor (``RequestExecutor``); the
/// answer is written on the channel's event loop, reached through `NIOLoopBound`. A streamed
/// answer (server-sent events) is written chunk by chunk as it arrives (``HTTPStreamWriter``);
/// if the client goes away, the task is cancelled, which cancels the upstream stream.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Where the connection is.
    private enum State {
        /// Between requests.
        case idle
        /// A request head arrived; its body is arriving (``pending``, ``body``).
        case receiving
        /// The request is complete; the task numbered `generation` is producing the answer.
        case answering(generation: UInt64, version: HTTPVersion, keepAlive: Bool)
        /// The head of a streamed answer is written; the task numbered `generation` is writing
        /// its body. `close`: the connection closes after it.
        case streaming(generation: UInt64, close: Bool)
        /// A 413 was sent and the output closed; the rest of the input is read and dropped
        /// so the client sees the answer rather than a reset.
        case draining
        /// A last answer was written; the connection closes once it is flushed.
        case closing
    }

    /// The request being received.
    private struct PendingRequest {
        var head: HTTPRequestHead
        var path: String
        var resolution: HTTPRouter.Resolution
        var requestID: String
        var arrivalTimeNanoseconds: UInt64
        var bodyBytes: Int
    }

    /// How long a connection that got a 413 keeps draining input before it is closed anyway.
    static let lingeringTimeout = TimeAmount.seconds(5)

    private let router: HTTPRouter
    private let maxBodyBytes: Int
    private var state = State.idle
    private var pending: PendingRequest?
    /// Kept apart from ``pending`` so appending to it never copies it.
    private var body: ByteBuffer?
    private var generation: UInt64 = 0
    private var inFlight: Task<Void, Never>?
    private var inputClosed = false
    private var peerAddress = "unknown"
    private var lingeringClose: Scheduled<Void>?
    /// Runs this connection's chat tasks on its event loop; `nil` for the global executor.
    private var taskExecutor: (any TaskExecutor)?

    init(router: HTTPRouter) {
        self.router = router
        self.maxBodyBytes = router.maxBodyBytes
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress?.ipAddress { peerAddress = address }
        switch router.requestExecutor {
        case .eventLoop: taskExecutor = EventLoopTaskExecutor(context.eventLoop)
        case .blockingPool: taskExecutor = ThreadPoolTaskExecutor.shared
        case .global: taskExecutor = nil
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        if let address = context.channel.remoteAddress?.ipAddress { peerAddress = address }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state = .closing
        pending = nil
        body = nil
        inFlight?.cancel()
        inFlight = nil
        lingeringClose?.cancel()
        lingeringClose = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            receiveHead(head, context: context)
        case .body(var part):
            receiveBody(&part, context: context)
        case .end:
            receiveEnd(context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case .inputClosed? = event as? ChannelEvent else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // The client will send nothing more: answer what is in flight, then close.
        inputClosed = true
        switch state {
        case .answering, .streaming, .closing:
            break
        case .idle, .receiving, .draining:
            state = .closing
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed HTTP: HTTPProtocolErrorHandler already answered with the error's JSON.
        // Anything else (a reset by the peer) ends the connection too; others are unaffected.
        router.logger.debug("closing connection after error", metadata: ["error": "\(error)"])
        state = .closing
        context.close(promise: nil)
    }

    // MARK: Receiving

    private func receiveHead(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard case .idle = state else { return }
        let requestID = HTTPRequestIdentity.requestID(from: head.headers)
        if let length = head.headers.first(name: "content-length"), let bytes = Int(length),
            bytes > maxBodyBytes
        {
            rejectTooLarge(requestID: requestID, version: head.version, context: context)
            return
        }
        let path = HTTPRouter.path(ofTarget: head.uri)
        pending = PendingRequest(
            head: head, path: path, resolution: router.resolve(method: head.method, path: path),
            requestID: requestID, arrivalTimeNanoseconds: RequestContext.wallClockNanoseconds(),
            bodyBytes: 0)
        state = .receiving
        if head.version.minor >= 1, let expect = head.headers.first(name: "expect"),
            expect.lowercased() == "100-continue"
        {
            context.writeAndFlush(
                wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: .continue))),
                promise: nil)
        }
    }

    private func receiveBody(_ part: inout ByteBuffer, context: ChannelHandlerContext) {
        guard case .receiving = state, pending != nil else { return }
        pending!.bodyBytes += part.readableBytes
        guard pending!.bodyBytes <= maxBodyBytes else {
            let request = pending!
            rejectTooLarge(requestID: request.requestID, version: request.head.version, context: context)
            return
        }
        // Only routes answered from a task read their body; others are counted against the
        // limit and dropped.
        guard case .route(let route) = pending!.resolution, route.isAsynchronous else { return }
        if body == nil {
            body = part
        } else {
            body!.writeBuffer(&part)
        }
    }

    private func receiveEnd(context: ChannelHandlerContext) {
        guard case .receiving = state, let request = pending else { return }
        pending = nil
        let keepAlive = request.head.isKeepAlive
        switch request.resolution {
        case .route(let route) where route.adminAccess != nil:
            let requestBody = body ?? ByteBuffer()
            body = nil
            switch router.authorizeAdmin(route.adminAccess!, headers: request.head.headers, peer: peerAddress) {
            case .failure(let error):
                write(
                    HTTPServerResponse(error: error, requestID: request.requestID), version: request.head.version,
                    keepAlive: keepAlive, context: context)
            case .success(let caller) where route.isAsynchronous:
                startAnswering(route, request: request, body: requestBody, keepAlive: keepAlive, context: context, caller: caller)
            case .success:
                let response = router.respond(to: route, requestID: request.requestID)
                write(response, version: request.head.version, keepAlive: keepAlive, context: context)
            }
        case .route(let route) where route.isAsynchronous:
            let requestBody = body ?? ByteBuffer()
            body = nil
            startAnswering(route, request: request, body: requestBody, keepAlive: keepAlive, context: context)
        case .route(let route):
            body = nil
            let response = router.respond(to: route, requestID: request.requestID)
            write(response, version: request.head.version, keepAlive: keepAlive, context: context)
        case .notFound:
            let response = router.notFound(
                method: request.head.method, path: request.path, requestID: request.requestID)
            write(response, version: request.head.version, keepAlive: keepAlive, context: context)
        case .methodNotAllowed(let allow):
            let response = router.methodNotAllowed(
                method: request.head.method, path: request.path, allow: allow, requestID: request.requestID)
            write(response, version: request.head.version, keepAlive: keepAlive, context: context)
        }
    }

    // MARK: Answering

    /// Hands the request to a task; the answer comes back on this event loop.
    private func startAnswering(
        _ route: HTTPRouter.Route, request: PendingRequest, body: ByteBuffer, keepAlive: Bool,
        context: ChannelHandlerContext, caller: PluginControlActor? = nil
    ) {
        generation &+= 1
        let generation = generation
        state = .answering(generation: generation, version: request.head.version, keepAlive: keepAlive)

        let requestContext = RequestContext(
            requestID: request.requestID,
            arrivalTimeNanoseconds: request.arrivalTimeNanoseconds,
            clientID: HTTPRequestIdentity.clientID(
                from: request.head.headers, peerAddress: peerAddress, secret: router.clientIDSecret),
            route: request.path)
        let headers = request.head.headers
        let router = router
        // NIOLoopBound makes the handler and its context `Sendable` by checking, on every
        // access, that the access happens on the channel's event loop.
        let loopBound = NIOLoopBound((handler: self, context: context), eventLoop: context.eventLoop)
        inFlight = Task(executorPreference: taskExecutor) {
            let response: HTTPServerResponse
            switch await router.answer(route, body: body, headers: headers, context: requestContext, caller: caller) {
            case .complete(let complete):
                response = complete
            case .stream(let streaming):
                await HTTPStreamWriter(loopBound: loopBound, generation: generation).run(streaming)
                return
            }
            if loopBound.eventLoop.inEventLoop {
                // The task ran on the loop (RequestExecutor.eventLoop): answer now, no extra tick.
                let (handler, context) = loopBound.value
                handler.finishChatCompletion(response, generation: generation, context: context)
            } else {
                loopBound.eventLoop.execute {
                    let (handler, context) = loopBound.value
                    handler.finishChatCompletion(response, generation: generation, context: context)
                }
            }
        }
    }

    /// Writes a task's complete answer, unless the connection moved on (closed) meanwhile.
    func finishChatCompletion(
        _ response: HTTPServerResponse, generation: UInt64, context: ChannelHandlerContext
    ) {
        guard case .answering(generation, let version, let keepAlive) = state else { return }
        inFlight = nil
        write(response, version: version, keepAlive: keepAlive, context: context)
    }

    /// Writes a complete answer. The state changes before `.end` is written, because writing
    /// it lets the pipeline handler deliver the next pipelined request at once (re-entrantly).
    private func write(
        _ response: HTTPServerResponse, version: HTTPVersion, keepAlive: Bool,
        context: ChannelHandlerContext
    ) {
        var headers = response.headers
        let close = !keepAlive || inputClosed
        if close {
            headers.add(name: "connection", value: "close")
            state = .closing
        } else {
            if version.major == 1 && version.minor == 0 {
                headers.add(name: "connection", value: "keep-alive")
            }
            state = .idle
        }
        context.write(
            wrapOutboundOut(
                .head(HTTPResponseHead(version: version, status: response.status, headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        if close {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    // MARK: Streaming

    /// Writes the head of a streamed answer (`200`, no `content-length`, so HTTP/1.1 frames the
    /// body with chunked encoding); `false` if the connection moved on (closed). The head is not
    /// flushed: it goes out with the first body bytes, in one write.
    func beginStream(_ headers: HTTPHeaders, generation: UInt64, context: ChannelHandlerContext) -> Bool {
        guard case .answering(generation, let version, let keepAlive) = state else { return false }
        var headers = headers
        // HTTP/1.0 has no chunked encoding: the body ends when the connection closes.
        let close = !keepAlive || inputClosed || (version.major == 1 && version.minor == 0)
        if close { headers.add(name: "connection", value: "close") }
        state = .streaming(generation: generation, close: close)
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: .ok, headers: headers))), promise: nil)
        return true
    }

    /// Writes and flushes part of a streamed answer's body. Returns `nil` if the connection
    /// moved on (closed), otherwise the write's future and whether the channel still takes
    /// writes without queueing past its high-water mark (if not, wait for the future).
    func writeStream(_ bytes: ByteBuffer, generation: UInt64, context: ChannelHandlerContext)
        -> (written: EventLoopFuture<Void>, isWritable: Bool)?
    {
        guard case .streaming(generation, _) = state else { return nil }
        let written = context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(bytes))))
        return (written, context.channel.isWritable)
    }

    /// Writes the last part of a streamed answer and its end, then waits for the next request
    /// or closes. The state changes before `.end` is written (see ``write(_:version:keepAlive:context:)``).
    func endStream(_ bytes: ByteBuffer, generation: UInt64, context: ChannelHandlerContext) {
        guard case .streaming(generation, let close) = state else { return }
        inFlight = nil
        let closeNow = close || inputClosed
        state = closeNow ? .closing : .idle
        if bytes.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
        }
        if closeNow {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// Answers 413 at once, then closes the output and drops the rest of the input until the
    /// client closes (or ``lingeringTimeout`` passes), so the answer is not lost to a reset.
    private func rejectTooLarge(
        requestID: String, version: HTTPVersion, context: ChannelHandlerContext
    ) {
        state = .draining
        pending = nil
        body = nil
        var response = router.bodyTooLarge(requestID: requestID)
        response.headers.add(name: "connection", value: "close")
        context.write(
            wrapOutboundOut(
                .head(
                    HTTPResponseHead(version: version, status: response.status, headers: response.headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(response.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { result in
            guard case .success = result else {
                context.close(promise: nil)
                return
            }
            context.close(mode: .output).assumeIsolated().whenFailure { _ in context.close(promise: nil) }
        }
        lingeringClose = context.eventLoop.assumeIsolated().scheduleTask(in: Self.lingeringTimeout) {
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension HTTPHandler: Sendable {}
