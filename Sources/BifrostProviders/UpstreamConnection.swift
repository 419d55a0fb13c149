import BifrostCore
import NIOCore
import NIOHTTP1

/// The receiving side of one request/response exchange on an upstream connection.
///
/// Every method runs on the connection's event loop. Exactly one of ``receivedEnd()`` and
/// ``failed(_:)`` ends the exchange; ``cancel()`` (also on the loop) fails it with
/// `CancellationError` and closes the connection.
///
/// `@unchecked Sendable`: it is created on any thread but, once handed to the client, touched only
/// on its loop (cancellation hops there).
class UpstreamExchange: @unchecked Sendable {
    /// The connection once the exchange is bound to one.
    fileprivate(set) var connection: UpstreamConnection?
    /// Whether the exchange ended (answered, failed or cancelled).
    fileprivate(set) var isEnded = false

    /// The reason given when the deadline passes (built only then).
    var timeoutReason: String { "upstream timed out" }

    func receivedHead(_ head: HTTPResponseHead) {}
    func receivedBody(_ buffer: ByteBuffer) {}
    func receivedEnd() {}
    func failed(_ error: any Error) {}

    /// Ends the exchange with `error` before it reached a connection, or through the connection
    /// it is bound to (which is then closed).
    final func abort(_ error: any Error) {
        guard !isEnded else { return }
        if let connection {
            connection.abort(error)
        } else {
            isEnded = true
            failed(error)
        }
    }

    /// Cancels the exchange: the connection is closed, so the upstream stops generating.
    final func cancel() {
        abort(CancellationError())
    }
}

/// The deadline passed before the exchange ended.
struct UpstreamTimeout: Error {
    var reason: String
}

/// The upstream closed the connection before its response ended.
struct UpstreamConnectionClosed: Error {}

/// The HTTP/1.1 handler at the end of an upstream connection's pipeline: runs one exchange at a
/// time, with its deadline, and puts the connection back in its pool when the response ended and
/// the connection can be reused.
///
/// Confined to the connection's event loop, like the pool that owns it, so its state needs no lock
/// (hence `@unchecked Sendable`: its timers' closures run on that loop).
final class UpstreamConnection: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let endpoint: UpstreamEndpoint
    private(set) var context: ChannelHandlerContext?
    private var exchange: UpstreamExchange?
    private var responseKeepsAlive = true
    /// Whether the socket is not being read because the exchange's consumer is behind.
    private var isReadingPaused = false
    /// When the running exchange times out, or when the parked connection closes. One timer
    /// serves both and every exchange: it is re-armed only when it fires early or when the
    /// deadline moves earlier than it, so an exchange usually schedules no timer at all (each
    /// new deadline is later than the last, and a stream moves its deadline on every piece);
    /// a busy connection's timer fires about once per ``idleTimeout``.
    private var deadline = NIODeadline.distantFuture
    private var timer: Scheduled<Void>?
    private var timerFiresAt = NIODeadline.distantFuture
    /// Called when the response ended on a connection that can be reused.
    var onReusable: ((UpstreamConnection) -> Void)?
    /// Called once when the connection closed.
    var onClose: ((UpstreamConnection) -> Void)?

    /// How long a parked connection stays open, and so how far ahead the timer is ever armed.
    let idleTimeout: TimeAmount

    init(endpoint: UpstreamEndpoint, idleTimeout: TimeAmount) {
        self.endpoint = endpoint
        self.idleTimeout = idleTimeout
    }

    var isActive: Bool { context?.channel.isActive ?? false }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    /// Binds `exchange` and writes the request: head, body and end in one flush (one `writev`).
    func start(
        _ exchange: UpstreamExchange, head: HTTPRequestHead, body: ByteBuffer?, deadline: NIODeadline
    ) {
        guard let context, self.exchange == nil else {
            exchange.abort(UpstreamConnectionClosed())
            return
        }
        self.exchange = exchange
        exchange.connection = self
        responseKeepsAlive = true
        resumeReading()
        extendDeadline(to: deadline)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        // A failed write closes the channel, which ends the exchange in `channelInactive`.
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }

    /// Moves the deadline to `deadline` (later or earlier).
    func extendDeadline(to deadline: NIODeadline) {
        self.deadline = deadline
        if timer == nil || deadline < timerFiresAt { arm() }
    }

    /// Stops reading the socket, so the upstream's writes back up into TCP's windows rather
    /// than into memory; what the HTTP decoder holds already still arrives.
    func pauseReading() {
        guard !isReadingPaused, let context else { return }
        isReadingPaused = true
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false)
    }

    /// Reads the socket again after ``pauseReading()``.
    func resumeReading() {
        guard isReadingPaused, let context else { return }
        isReadingPaused = false
        try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: true)
    }

    /// Ends the current exchange with `error` and closes the connection.
    func abort(_ error: any Error) {
        if let exchange {
            self.exchange = nil
            exchange.isEnded = true
            exchange.failed(error)
        }
        context?.close(promise: nil)
    }

    /// Parks the idle connection: it closes by itself after ``idleTimeout`` unless started again.
    func park() {
        extendDeadline(to: .now() + idleTimeout)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let exchange else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard head.status.code >= 200 else { return }  // 1xx: the real head follows
            responseKeepsAlive = head.isKeepAlive
            exchange.receivedHead(head)
        case .body(let buffer):
            exchange.receivedBody(buffer)
        case .end:
            self.exchange = nil
            exchange.isEnded = true
            // A parked connection must read, to notice the upstream closing it.
            resumeReading()
            exchange.receivedEnd()
            if responseKeepsAlive && context.channel.isActive {
                onReusable?(self)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        abort(error)
    }

    func channelInactive(context: ChannelHandlerContext) {
        abort(UpstreamConnectionClosed())
        timer?.cancel()
        timer = nil
        self.context = nil
        onClose?(self)
        onClose = nil
        onReusable = nil
        context.fireChannelInactive()
    }

    private func arm() {
        guard let context else { return }
        timer?.cancel()
        // Never further ahead than the idle timeout: parking (the deadline moving earlier, to
        // now + idleTimeout) then never re-arms it.
        timerFiresAt = min(deadline, .now() + idleTimeout)
        timer = context.eventLoop.scheduleTask(deadline: timerFiresAt) { [self] in deadlinePassed() }
    }

    /// The timer fired: the exchange timed out or the parked connection idled long enough,
    /// unless the deadline moved later meanwhile (then it re-arms).
    private func deadlinePassed() {
        timer = nil
        guard NIODeadline.now() >= deadline else { return arm() }
        if let exchange {
            abort(UpstreamTimeout(reason: exchange.timeoutReason))
        } else {
            context?.close(promise: nil)
        }
    }
}
