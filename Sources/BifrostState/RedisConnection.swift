import NIOCore
import NIOPosix
import NIOSSL

/// A command on its way to the server and where its reply goes.
struct RedisRequest: Sendable {
    var command: RESPCommand
    var reply: EventLoopPromise<RESPValue>
}

/// Pipelines commands on one connection: each write queues its promise, each reply completes
/// the oldest one (a Redis server answers in order). When the connection ends, every command
/// still waiting fails.
final class RedisCommandHandler: ChannelDuplexHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var waiting = CircularBuffer<EventLoopPromise<RESPValue>>()

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        var buffer = context.channel.allocator.buffer(capacity: 64)
        request.command.write(into: &buffer)
        waiting.append(request.reply)
        context.write(wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = unwrapInboundIn(data)
        guard let reply = waiting.popFirst() else {
            // A reply nobody asked for: the stream is out of step, nothing on it can be trusted.
            context.close(promise: nil)
            return
        }
        reply.succeed(value)
    }

    func channelInactive(context: ChannelHandlerContext) {
        failAll(StateStoreError(.unavailable, "the connection to Redis closed"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? RESPProtocolError {
            failAll(StateStoreError(.protocolError, error.description))
        } else {
            failAll(StateStoreError(.unavailable, "the connection to Redis failed: \(error)"))
        }
        context.close(promise: nil)
    }

    private func failAll(_ error: StateStoreError) {
        while let reply = waiting.popFirst() { reply.fail(error) }
    }
}

/// One connection to a Redis server, authenticated and on its database, that any task may send
/// commands on concurrently (they are pipelined).
final class RedisConnection: Sendable {
    let channel: any Channel

    private init(channel: any Channel) {
        self.channel = channel
    }

    var isActive: Bool { channel.isActive }

    /// Opens a connection within `settings.connectTimeout` and prepares it (TLS, `AUTH`, `SELECT`).
    static func open(_ settings: RedisSettings, on eventLoop: any EventLoop) async throws(StateStoreError)
        -> RedisConnection
    {
        let tlsContext: NIOSSLContext?
        do {
            tlsContext = try settings.tls.map { try NIOSSLContext(configuration: $0) }
        } catch {
            throw StateStoreError(.unavailable, "the TLS settings for Redis are not usable: \(error)")
        }
        let serverHostname = settings.host
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tlsContext {
                        let name = serverHostname.first?.isNumber == true ? nil : serverHostname
                        try pipeline.addHandler(NIOSSLClientHandler(context: tlsContext, serverHostname: name))
                    }
                    try pipeline.addHandler(ByteToMessageHandler(RESPDecoder()))
                    try pipeline.addHandler(RedisCommandHandler())
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: settings.host, port: settings.port).get()
        } catch {
            throw StateStoreError(.unavailable, "cannot connect to Redis at \(settings.host):\(settings.port): \(error)")
        }
        let connection = RedisConnection(channel: channel)
        do {
            if let password = settings.password {
                var arguments: [[UInt8]] = [Array("AUTH".utf8)]
                if let username = settings.username { arguments.append(Array(username.utf8)) }
                arguments.append(Array(password.utf8))
                try connection.expectOK(
                    try await connection.send(RESPCommand(arguments: arguments), timeout: settings.commandTimeout), "AUTH")
            }
            if settings.database != 0 {
                try connection.expectOK(
                    try await connection.send(RESPCommand("SELECT", settings.database), timeout: settings.commandTimeout),
                    "SELECT")
            }
        } catch {
            connection.close()
            throw error
        }
        return connection
    }

    /// Sends `command` and waits for its reply, at most `timeout`. An overrun closes the
    /// connection: replies after it would no longer match their commands.
    func send(_ command: RESPCommand, timeout: Duration) async throws(StateStoreError) -> RESPValue {
        let eventLoop = channel.eventLoop
        let reply = eventLoop.makePromise(of: RESPValue.self)
        let channel = channel
        let overrun = eventLoop.scheduleTask(in: TimeAmount(timeout)) {
            reply.fail(StateStoreError(.timeout, "Redis did not answer within \(timeout)"))
            channel.close(promise: nil)
        }
        reply.futureResult.whenComplete { _ in overrun.cancel() }
        channel.writeAndFlush(RedisRequest(command: command, reply: reply), promise: nil)
        do {
            return try await reply.futureResult.get()
        } catch let error as StateStoreError {
            throw error
        } catch {
            throw StateStoreError(.unavailable, "the command could not be sent to Redis: \(error)")
        }
    }

    func close() {
        channel.close(promise: nil)
    }

    private func expectOK(_ reply: RESPValue, _ what: String) throws(StateStoreError) {
        switch reply {
        case .simpleString: return
        case .error(let message):
            // The server's message names the failure (e.g. WRONGPASS), never the password sent.
            throw StateStoreError(.refused, "Redis refused \(what): \(message)")
        default: throw StateStoreError(.protocolError, "Redis answered \(what) with \(reply)")
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
