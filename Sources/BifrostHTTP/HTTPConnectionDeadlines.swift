import BifrostCore
import BifrostWire
import Logging
import NIOCore
import NIOHTTP1

/// The client side's time limits, per connection (PluginSDK/DESIGN.md §2: every wait is bounded).
///
/// Between requests a connection may stay silent for ``HTTPServerConfiguration/keepAliveIdleTimeout``
/// (then it is closed quietly). Once its first byte of a request arrives, the whole head must
/// follow within ``HTTPServerConfiguration/headerTimeout``; a body must keep arriving, with no
/// silence longer than ``HTTPServerConfiguration/bodyIdleTimeout``, and be complete within
/// ``HTTPServerConfiguration/bodyTimeout`` of its head. A request that misses one is answered
/// 408 with OpenAI's error JSON naming the limit and the connection closed. No limit applies
/// while the answer is produced or written: the provider's and the stream's own timeouts do.
///
/// Two handlers share one ``Clock`` on the connection's event loop: ``ByteActivity`` before
/// the HTTP decoder sees raw bytes arrive (so a head trickling in byte by byte is timed),
/// ``Deadlines`` after it sees requests begin and end and answers end.
///
/// The one timer is not moved for each request: it is kept while it fires no later than the
/// phase's deadline, and when it fires early it is set again for what is left, never further
/// ahead than the shortest limit. A busy keep-alive connection so schedules a timer about once
/// per shortest limit, not three times per request.
enum HTTPConnectionDeadlines {
    /// Where the connection is, as its time limits see it.
    enum Phase {
        /// No request is open; `bytesSeen` once the next one has started to arrive.
        case waiting(bytesSeen: Bool)
        /// A head arrived at `start`; its body is arriving.
        case body(start: NIODeadline)
        /// The request is complete; its answer is being produced or written.
        case answering
    }

    /// The shared, loop-confined state of one connection.
    final class Clock {
        var phase = Phase.waiting(bytesSeen: false)
        /// When the first byte of the request being waited for arrived.
        var headStart = NIODeadline.now()
        /// When the phase's current silence began: the last byte read, or the phase's start.
        var lastActivity = NIODeadline.now()
        /// The one timer, and when it fires.
        var timer: (scheduled: Scheduled<Void>, firesAt: NIODeadline)?

        /// Cancels the timer.
        func cancelTimer() {
            timer?.scheduled.cancel()
            timer = nil
        }
        /// Requests begun and answers ended: a pipelined request that arrives while an answer
        /// is written is whole already and waits untimed for its turn.
        var requestsBegun = 0
        var answersEnded = 0
    }

    /// Notes raw bytes arriving; placed before the HTTP decoder.
    final class ByteActivity: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        typealias InboundOut = ByteBuffer

        let clock: Clock
        let deadlines: Deadlines

        init(clock: Clock, deadlines: Deadlines) {
            self.clock = clock
            self.deadlines = deadlines
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            clock.lastActivity = .now()
            if case .waiting(bytesSeen: false) = clock.phase {
                clock.phase = .waiting(bytesSeen: true)
                clock.headStart = clock.lastActivity
                deadlines.rearm()
            }
            context.fireChannelRead(data)
        }
    }

    /// Keeps the connection's one timer for the phase it is in; placed after the HTTP decoder.
    final class Deadlines: ChannelDuplexHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias InboundOut = HTTPServerRequestPart
        typealias OutboundIn = HTTPServerResponsePart
        typealias OutboundOut = HTTPServerResponsePart

        let clock: Clock
        let limits: HTTPServerConfiguration
        let logger: Logger
        let timeouts: MetricFamily?
        private var context: ChannelHandlerContext?
        /// The shortest of the limits: how far ahead the timer is ever set.
        private let timerReach: TimeAmount
        /// Runs while the output is above its high-water mark: the client is not reading.
        private var writeStall: Scheduled<Void>?
        /// Whether the client's read stays armed while its answer is due (``channelReadComplete(context:)``).
        private var readsAhead = true

        init(clock: Clock, limits: HTTPServerConfiguration, logger: Logger, timeouts: MetricFamily?) {
            self.clock = clock
            self.limits = limits
            self.logger = logger
            self.timeouts = timeouts
            self.timerReach = TimeAmount(
                min(limits.keepAliveIdleTimeout, limits.headerTimeout, limits.bodyIdleTimeout, limits.bodyTimeout))
        }

        func handlerAdded(context: ChannelHandlerContext) {
            self.context = context
            rearm()
        }

        func handlerRemoved(context: ChannelHandlerContext) {
            clock.cancelTimer()
            self.context = nil
        }

        func channelInactive(context: ChannelHandlerContext) {
            clock.cancelTimer()
            writeStall?.cancel()
            writeStall = nil
            context.fireChannelInactive()
        }

        /// Times how long the client reads nothing: from the output passing its high-water
        /// mark until it drains below the low one.
        func channelWritabilityChanged(context: ChannelHandlerContext) {
            if context.channel.isWritable {
                writeStall?.cancel()
                writeStall = nil
            } else if writeStall == nil {
                let loop = context.eventLoop.assumeIsolated()
                writeStall = loop.scheduleTask(in: TimeAmount(limits.writeStallTimeout)) { [self] in
                    writeStall = nil
                    timeouts?.series([Limit.writeStall.rawValue]).add(1)
                    logger.debug(
                        "closing connection: \(Limit.writeStall.description(limits))",
                        metadata: ["peer": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")"])
                    context.close(promise: nil)
                }
            }
            context.fireChannelWritabilityChanged()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head:
                clock.requestsBegun += 1
                if clock.requestsBegun - clock.answersEnded > 1 { readsAhead = false }
                if clock.requestsBegun - clock.answersEnded == 1 {
                    clock.phase = .body(start: .now())
                    clock.lastActivity = .now()
                    rearm()
                }
            case .body:
                break
            case .end:
                // No limit while answering: a timer that fires meanwhile finds no deadline.
                clock.phase = .answering
            }
            context.fireChannelRead(data)
        }

        /// Keeps the read armed while an answer is due. A client waiting for its answer sends
        /// nothing meanwhile, and NIO's pipelining handler, which holds the read back until the
        /// answer ends, would cost two `epoll_ctl` calls per request. A client that pipelines is
        /// left to that handler's back-pressure from its first pipelined head on.
        func channelReadComplete(context: ChannelHandlerContext) {
            context.fireChannelReadComplete()
            if readsAhead, case .answering = clock.phase { context.read() }
        }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            if case .end = unwrapOutboundIn(data) {
                clock.answersEnded += 1
                if clock.answersEnded == clock.requestsBegun {
                    if case .answering = clock.phase {
                        clock.phase = .waiting(bytesSeen: false)
                        clock.lastActivity = .now()
                        rearm()
                    } else {
                        // Answered before its body ended (a 413): the handler drains and closes.
                        clock.phase = .answering
                    }
                }
            }
            context.write(data, promise: promise)
        }

        /// The moment the current phase's limit runs out, and which limit it is.
        private func deadline() -> (NIODeadline, Limit)? {
            switch clock.phase {
            case .waiting(bytesSeen: false):
                return (clock.lastActivity + TimeAmount(limits.keepAliveIdleTimeout), .keepAlive)
            case .waiting(bytesSeen: true):
                // From the first byte, however the rest trickles in.
                return (clock.headStart + TimeAmount(limits.headerTimeout), .header)
            case .body(let start):
                let idle = clock.lastActivity + TimeAmount(limits.bodyIdleTimeout)
                let total = start + TimeAmount(limits.bodyTimeout)
                return idle < total ? (idle, .bodyIdle) : (total, .body)
            case .answering:
                return nil
            }
        }

        /// Makes sure the timer fires by the current phase's deadline (a head's time counts from
        /// its first byte): a timer that fires earlier is kept.
        func rearm() {
            guard let context, let (when, _) = deadline() else { return }
            if let firesAt = clock.timer?.firesAt, firesAt <= when { return }
            clock.cancelTimer()
            let firesAt = min(when, .now() + timerReach)
            let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: firesAt) { [self] in fire() }
            clock.timer = (scheduled, firesAt)
        }

        private func fire() {
            clock.timer = nil
            guard let context, let (when, limit) = deadline() else { return }
            // A byte arrived since the timer was set: the silence is shorter than it was.
            guard when <= .now() else { return rearm() }
            timeouts?.series([limit.rawValue]).add(1)
            logger.debug(
                "closing connection: \(limit.description(limits))",
                metadata: ["peer": "\(context.channel.remoteAddress?.ipAddress ?? "unknown")"])
            if limit != .keepAlive {
                let error = BifrostError(
                    status: 408, type: "invalid_request_error", code: "request_timeout", message: limit.description(limits))
                var body = context.channel.allocator.buffer(capacity: 160)
                body.writeBytes(error.openAIJSON())
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "application/json")
                headers.add(name: "content-length", value: String(body.readableBytes))
                headers.add(name: "connection", value: "close")
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .requestTimeout, headers: headers))),
                    promise: nil)
                context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            }
            clock.phase = .answering
            context.close(promise: nil)
        }
    }

    /// Which limit ran out: also the `kind` label of `bifrost_http_timeouts_total`.
    enum Limit: String {
        case keepAlive = "keep_alive_idle"
        case header = "header"
        case bodyIdle = "body_idle"
        case body = "body"
        case writeStall = "write_stall"

        func description(_ limits: HTTPServerConfiguration) -> String {
            switch self {
            case .keepAlive: "the connection was idle for \(limits.keepAliveIdleTimeout.wholeMilliseconds) ms between requests"
            case .header: "the request head did not arrive within \(limits.headerTimeout.wholeMilliseconds) ms of its first byte"
            case .bodyIdle: "the request body stalled for \(limits.bodyIdleTimeout.wholeMilliseconds) ms"
            case .body: "the request body did not arrive within \(limits.bodyTimeout.wholeMilliseconds) ms of its head"
            case .writeStall: "the client read none of the answer for \(limits.writeStallTimeout.wholeMilliseconds) ms"
            }
        }
    }
}
