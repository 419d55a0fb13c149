import BifrostCore
public import BifrostLibrary
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
    private let group: any EventLoopGroup
    private let state = LockedValue(State.idle)
    private let connections = ConnectionRegistry()

    /// Creates a server; nothing is bound until ``start()``.
    ///
    /// ```swift
    /// let server = BifrostHTTPServer(
    ///     bifrost: bifrost, configuration: HTTPServerConfiguration(port: 8080), logger: Logger(label: "bifrost.http"))
    /// ```
    public init(bifrost: Bifrost, configuration: HTTPServerConfiguration, logger: Logger) {
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
            requestExecutor: configuration.requestExecutor, logger: logger)
        let connections = connections
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.allowRemoteHalfClosure, value: true)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard connections.add(channel) else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(
                        withPipeliningAssistance: true, withErrorHandling: false)
                    try pipeline.addHandler(HTTPProtocolErrorHandler())
                    try pipeline.addHandler(HTTPHandler(router: router))
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

/// The server's open connections, so that shutdown can close them.
final class ConnectionRegistry: Sendable {
    private struct Storage {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var closed = false
    }

    private let storage = LockedValue(Storage())

    /// Tracks a new connection until it closes; `false` once the server is shutting down.
    func add(_ channel: any Channel) -> Bool {
        let key = ObjectIdentifier(channel)
        let added = storage.withLock { storage in
            guard !storage.closed else { return false }
            storage.channels[key] = channel
            return true
        }
        if added {
            channel.closeFuture.whenComplete { [self] _ in
                _ = storage.withLock { $0.channels.removeValue(forKey: key) }
            }
        }
        return added
    }

    /// Refuses further connections and returns the open ones.
    func closeAll() -> [any Channel] {
        storage.withLock { storage in
            storage.closed = true
            return Array(storage.channels.values)
        }
    }
}
