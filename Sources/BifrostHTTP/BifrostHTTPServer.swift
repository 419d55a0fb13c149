import BifrostCore
public import BifrostLibrary
import BifrostWire
public import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The gateway's HTTP/1.1 server: OpenAI's chat completions and embeddings APIs, Anthropic's
/// Messages API and the gateway's own endpoints, on SwiftNIO.
///
/// Routes: `POST /v1/chat/completions` (JSON, or server-sent events with `"stream": true`),
/// `POST /v1/embeddings`, `GET /v1/models`, `POST /anthropic/v1/messages` (JSON or events),
/// `GET /health`, `GET /api/plugins`. Every JSON answer has `content-length` and
/// `x-request-id`; errors have OpenAI's shape (Anthropic's on the Anthropic route). Streamed
/// answers are `text/event-stream` with chunked encoding, each event flushed as it arrives.
/// Connections are kept alive and may pipeline; answers leave in request order.
///
/// ```swift
/// let bifrost = try await Bifrost(configuration: BifrostConfiguration(account: MyAccount()))
/// let server = BifrostHTTPServer(bifrost: bifrost, configuration: HTTPServerConfiguration(port: 0), logger: logger)
/// let port = try await server.start()
/// // … serve …
/// try await server.shutdown()
/// ```
///
/// The server does not own `bifrost`: shutting the server down does not shut Bifrost (and its
/// plugins) down.
public final class BifrostHTTPServer: Sendable {
    private enum State {
        case idle
        case starting
        case running(any Channel)
        case stopped
    }

    /// The library instance that answers requests.
    ///
    /// ```swift
    /// print(server.bifrost.plugins.count)
    /// ```
    public let bifrost: Bifrost
    /// Where the server listens and its limits.
    ///
    /// ```swift
    /// print(server.configuration.maxBodyBytes)
    /// ```
    public let configuration: HTTPServerConfiguration
    private let logger: Logger
    private let reloadPlugins: (@Sendable () -> PluginReloadStatus?)?
    private let group: any EventLoopGroup
    private let state = LockedValue(State.idle)
    private let connections = ConnectionRegistry()

    /// Creates a server; nothing is bound until ``start()``. `reloadPlugins`, when given, is
    /// what `POST /api/plugins/reload` runs (for an administrator only).
    ///
    /// ```swift
    /// let server = BifrostHTTPServer(
    ///     bifrost: bifrost, configuration: HTTPServerConfiguration(port: 8080), logger: Logger(label: "bifrost.http"))
    /// ```
    public init(
        bifrost: Bifrost, configuration: HTTPServerConfiguration, logger: Logger,
        reloadPlugins: (@Sendable () -> PluginReloadStatus?)? = nil
    ) {
        self.reloadPlugins = reloadPlugins
        self.bifrost = bifrost
        self.configuration = configuration
        self.logger = logger
        self.group = MultiThreadedEventLoopGroup.singleton
    }

    /// Binds and starts serving; returns the bound port (port 0 = pick a free one).
    ///
    /// Throws ``HTTPServerError`` naming `host:port` and the reason when the address cannot
    /// be bound (e.g. the port is in use), or when the server was already started.
    ///
    /// ```swift
    /// let port = try await server.start()
    /// print("listening on http://127.0.0.1:\(port)")
    /// ```
    public func start() async throws -> Int {
        let host = configuration.host
        let port = configuration.port
        try state.withLock { state throws(HTTPServerError) in
            guard case .idle = state else {
                throw HTTPServerError(
                    kind: .invalidState, host: host, port: port,
                    reason: "start() called on a server that was already started")
            }
            state = .starting
        }

        let models: [ServedModel]
        do throws(BifrostError) {
            models = try bifrost.listModels()
        } catch {
            state.withLock { $0 = .idle }
            throw HTTPServerError(kind: .invalidState, host: host, port: port, reason: error.message)
        }
        let router = HTTPRouter(
            bifrost: bifrost, models: models, maxBodyBytes: configuration.maxBodyBytes,
            requestExecutor: configuration.requestExecutor, logger: logger, reloadPlugins: reloadPlugins,
            adminToken: configuration.adminToken, consoleSampleInterval: configuration.consoleSampleInterval,
            clientIDSecret: configuration.clientIDSecret)
        let connections = connections
        let limits = configuration
        let logger = logger
        let (timeouts, refused) = Self.connectionMetrics(bifrost.metrics, logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    switch connections.add(channel, limit: limits.maxConnections) {
                    case .shuttingDown:
                        throw ChannelError.ioOnClosedChannel
                    case .full:
                        refused?.series([]).add(1)
                        logger.debug("refusing a connection: \(limits.maxConnections) are open")
                        try channel.pipeline.syncOperations.addHandler(RefusingConnectionHandler())
                        return
                    case .added:
                        break
                    }
                    try Self.configurePipeline(
                        channel.pipeline.syncOperations, router: router, limits: limits, logger: logger, timeouts: timeouts)
                }
            }

        let channel: any Channel
        do {
            channel = try await bootstrap.bind(host: host, port: port).get()
        } catch {
            state.withLock { $0 = .idle }
            throw HTTPServerError(kind: .bindFailed, host: host, port: port, reason: Self.describe(error))
        }

        let running = state.withLock { state -> Bool in
            guard case .starting = state else { return false }
            state = .running(channel)
            return true
        }
        guard running else {
            try? await channel.close()
            throw HTTPServerError(
                kind: .invalidState, host: host, port: port, reason: "shut down while starting")
        }
        let boundPort = channel.localAddress?.port ?? port
        logger.info("listening", metadata: ["address": "\(host):\(boundPort)"])
        return boundPort
    }

    /// Stops accepting, closes connections.
    ///
    /// Idle connections close at once; a request in flight gets its answer (with
    /// `connection: close`) unless ``HTTPServerConfiguration/shutdownGracePeriod`` passes
    /// first. Returns when every connection is closed. Calling it again does nothing.
    ///
    /// ```swift
    /// try await server.shutdown()
    /// ```
    public func shutdown() async throws {
        let listener = state.withLock { state -> (any Channel)? in
            defer { state = .stopped }
            if case .running(let channel) = state { return channel }
            return nil
        }
        let address = listener?.localAddress.map {
            "\($0.ipAddress ?? configuration.host):\($0.port ?? 0)"
        }
        if let listener {
            do {
                try await listener.close()
            } catch ChannelError.alreadyClosed {
                // Closed already (e.g. the listening socket failed).
            }
        }

        let children = connections.closeAll()
        defer { if let address { logger.info("stopped", metadata: ["address": "\(address)"]) } }
        guard !children.isEmpty else { return }
        let grace = TimeAmount(configuration.shutdownGracePeriod)
        var forcedCloses: [Scheduled<Void>] = []
        for child in children {
            // NIO's HTTPServerPipelineHandler closes idle connections at once and others
            // after their current answer.
            child.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            forcedCloses.append(child.eventLoop.scheduleTask(in: grace) { child.close(promise: nil) })
        }
        for child in children {
            try? await child.closeFuture.get()
        }
        for forced in forcedCloses { forced.cancel() }
    }

    /// `Address already in use (errno 98)` for system errors, the error's description otherwise.
    private static func describe(_ error: any Error) -> String {
        if let ioError = error as? IOError {
            return "\(String(cString: strerror(ioError.errnoCode))) (errno \(ioError.errnoCode))"
        }
        return "\(error)"
    }
}

extension BifrostHTTPServer {
    /// A connection's handlers: NIO's response encoder and request decoder (with the head
    /// limits), the time limits around the decoder, NIO's pipelining, the JSON answer to parser
    /// errors, and the gateway's handler. The response heads are checked where they are made
    /// (``HTTPServerResponse``), so no handler checks them again on every write.
    static func configurePipeline(
        _ pipeline: ChannelPipeline.SynchronousOperations, router: HTTPRouter, limits: HTTPServerConfiguration,
        logger: Logger, timeouts: MetricFamily?
    ) throws {
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderListSize = limits.maxHeaderBytes
        decoderLimits.maxHeaderFieldCount = limits.maxHeaderCount
        let clock = HTTPConnectionDeadlines.Clock()
        let deadlines = HTTPConnectionDeadlines.Deadlines(clock: clock, limits: limits, logger: logger, timeouts: timeouts)
        try pipeline.addHandlers([
            HTTPResponseEncoder(),
            HTTPConnectionDeadlines.ByteActivity(clock: clock, deadlines: deadlines),
            ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes, limitConfiguration: decoderLimits)),
            deadlines,
            HTTPServerPipelineHandler(),
            HTTPProtocolErrorHandler(),
            HTTPHandler(router: router),
        ])
    }

    /// `bifrost_http_timeouts_total{kind}` and `bifrost_http_connections_refused_total`.
    static func connectionMetrics(_ metrics: MetricsRegistry, logger: Logger) -> (MetricFamily?, MetricFamily?) {
        do {
            let timeouts = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: "bifrost_http_timeouts_total",
                    help: "Client connections closed because a time limit ran out, by limit.", labelNames: ["kind"]))
            let refused = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: "bifrost_http_connections_refused_total",
                    help: "Client connections refused because server.max_connections were open."))
            return (timeouts, refused)
        } catch {
            logger.error("client connection metrics are off: \(error)")
            return (nil, nil)
        }
    }
}

/// Answers a connection beyond the limit with 503 in OpenAI's shape, then closes it.
final class RefusingConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    static let answer: [UInt8] = {
        let body = BifrostError(
            status: 503, type: "server_busy", code: "too_many_connections",
            message: "the gateway has as many connections open as it allows; retry shortly"
        ).openAIJSON()
        let head =
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: \(body.count)\r\n"
            + "retry-after: 1\r\nconnection: close\r\n\r\n"
        return Array(head.utf8) + body
    }()

    func channelActive(context: ChannelHandlerContext) {
        let buffer = context.channel.allocator.buffer(bytes: Self.answer)
        let channel = context.channel
        context.writeAndFlush(NIOAny(buffer)).whenComplete { _ in channel.close(promise: nil) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// The server's open connections, so that shutdown can close them.
final class ConnectionRegistry: Sendable {
    private struct Storage {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    private let storage = LockedValue(Storage())

    /// Whether a connection was added.
    enum Admission {
        case added
        case full
        case shuttingDown
    }

    /// Tracks a new connection until it closes, unless `limit` are open or the server is shutting down.
    func add(_ channel: any Channel, limit: Int = .max) -> Admission {
        let key = ObjectIdentifier(channel)
        let admission = storage.withLock { storage -> Admission in
            guard !storage.closed else { return .shuttingDown }
            guard storage.channels.count < limit else { return .full }
            storage.channels[key] = channel
            return .added
        }
        let added = admission == .added
        if added {
            channel.closeFuture.whenComplete { [self] _ in
                _ = storage.withLock { $0.channels.removeValue(forKey: key) }
            }
        }
        return admission
    }

    /// Refuses further connections and returns the open ones.
    func closeAll() -> [any Channel] {
        storage.withLock { storage in
            storage.closed = true
            return Array(storage.channels.values)
        }
    }
}
