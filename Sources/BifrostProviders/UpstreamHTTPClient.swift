public import BifrostCore
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import NIOSSL

/// The gateway's HTTP/1.1 client for upstream APIs: pooled keep-alive connections on SwiftNIO
/// channel handlers, with TLS from swift-nio-ssl.
///
/// Connections are pooled per event loop and per endpoint (scheme, host, port). A request made on
/// an event loop thread, as every request of the HTTP server is, uses that loop's pool: the client
/// connection and the server connection share a thread, so relaying an answer wakes no other
/// thread and takes no lock. The request's head, body and end go out in one flush (one `writev`).
///
/// Pool rules: a connection carries one exchange at a time; a finished keep-alive exchange parks
/// its connection (at most ``Configuration/maxIdleConnectionsPerEndpoint`` per loop and endpoint)
/// for ``Configuration/idleTimeout``; when none is idle a new one is opened (the provider's
/// concurrency limit, not the pool, bounds how many); a connection that fails or times out is
/// closed, never reused. No redirects (they would carry the API key elsewhere), no compression,
/// no proxies; HTTPS verifies the certificate and the host name against the system's trust roots
/// unless ``Configuration/tls`` says otherwise.
///
/// ```swift
/// let http = UpstreamHTTPClient()
/// let client = UpstreamClient(provider: "openai", httpClient: http, timeouts: settings.timeouts)
/// let response = try await client.send(request)
/// await http.shutdown()
/// ```
public final class UpstreamHTTPClient: Sendable {
    /// How the client connects and pools.
    ///
    /// ```swift
    /// var configuration = UpstreamHTTPClient.Configuration()
    /// configuration.tls.trustRoots = .file("/etc/ssl/private-ca.pem")
    /// ```
    public struct Configuration: Sendable {
        /// How long an unused connection stays open.
        public var idleTimeout: TimeAmount
        /// How many unused connections each event loop keeps per endpoint.
        public var maxIdleConnectionsPerEndpoint: Int
        /// TLS for `https` endpoints: full verification against the system's roots by default.
        public var tls: TLSConfiguration
        /// How many decoded chunks of a streamed answer wait for a consumer that is behind
        /// before the client stops reading the upstream's socket (TCP back-pressure).
        public var streamBufferChunks: Int

        /// Creates a configuration.
        ///
        /// ```swift
        /// let configuration = UpstreamHTTPClient.Configuration(idleTimeout: .seconds(30))
        /// ```
        public init(
            idleTimeout: TimeAmount = .seconds(60),
            maxIdleConnectionsPerEndpoint: Int = 64, tls: TLSConfiguration = .makeClientConfiguration(),
            streamBufferChunks: Int = ChatStream.defaultBufferCapacity
        ) {
            self.idleTimeout = idleTimeout
            self.maxIdleConnectionsPerEndpoint = maxIdleConnectionsPerEndpoint
            self.tls = tls
            self.streamBufferChunks = streamBufferChunks
        }
    }

    /// The settings the client was made with.
    public let configuration: Configuration
    /// The event loops the connections run on.
    public let eventLoopGroup: any EventLoopGroup
    private let pools: [ObjectIdentifier: UpstreamConnectionPool]

    /// Creates a client on `eventLoopGroup` (the process-wide one by default, which the HTTP
    /// server uses too).
    ///
    /// ```swift
    /// let http = UpstreamHTTPClient()
    /// ```
    public init(
        configuration: Configuration = Configuration(),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
        let tls = LazyTLSContext(configuration.tls)
        var pools: [ObjectIdentifier: UpstreamConnectionPool] = [:]
        for loop in eventLoopGroup.makeIterator() {
            pools[ObjectIdentifier(loop)] = UpstreamConnectionPool(eventLoop: loop, configuration: configuration, tls: tls)
        }
        self.pools = pools
    }

    /// Closes every idle connection; later requests fail. Requests still running finish first
    /// (their connections close when they end).
    ///
    /// ```swift
    /// await http.shutdown()
    /// ```
    public func shutdown() async {
        for pool in pools.values {
            try? await pool.eventLoop.submit { pool.shutdown() }.get()
        }
    }

    /// The loop a new exchange runs on: the caller's when it is one of ours, else the next one.
    func pool() -> UpstreamConnectionPool {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let pool = pools[ObjectIdentifier(current)] {
            return pool
        }
        return pools[ObjectIdentifier(eventLoopGroup.next())]!
    }

    /// Runs `exchange` for `request` on `pool`'s loop: on an idle connection to the endpoint, or on
    /// a new one (opened within `connectTimeout`).
    func start(
        _ exchange: UpstreamExchange, request: UpstreamRequest, deadline: NIODeadline, connectTimeout: TimeAmount,
        on pool: UpstreamConnectionPool
    ) {
        let endpoint: UpstreamEndpoint
        let target: String
        switch request.parsedURL.parsed {
        case .success(let parsed): (endpoint, target) = parsed
        case .failure(let error): return pool.eventLoop.execute { exchange.abort(error) }
        }
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 2)
        headers.add(name: "host", value: endpoint.hostHeader)
        for field in request.headers { headers.add(name: field.name, value: field.value) }
        if request.body != nil || request.method == "POST" {
            headers.add(name: "content-length", value: String(request.body?.count ?? 0))
        }
        let head = HTTPRequestHead(
            version: .http1_1, method: HTTPMethod(rawValue: request.method), uri: target, headers: headers)
        let body = request.body.map { ByteBuffer(bytes: $0) }
        if pool.eventLoop.inEventLoop {
            pool.run(exchange, on: endpoint, head: head, body: body, deadline: deadline, connectTimeout: connectTimeout)
        } else {
            pool.eventLoop.execute {
                pool.run(exchange, on: endpoint, head: head, body: body, deadline: deadline, connectTimeout: connectTimeout)
            }
        }
    }
}

/// The client's one TLS context, made when the first `https` connection opens: loading the trust
/// roots takes milliseconds, which a gateway with only plain-HTTP upstreams should not pay. Asked
/// for per new connection, never per request.
final class LazyTLSContext: Sendable {
    private let configuration: TLSConfiguration
    private let made = LockedValue<Result<NIOSSLContext, any Error>?>(nil)

    init(_ configuration: TLSConfiguration) {
        self.configuration = configuration
    }

    func get() -> Result<NIOSSLContext, any Error> {
        made.withLock { made in
            if made == nil { made = Result { try NIOSSLContext(configuration: configuration) } }
            return made!
        }
    }
}

/// The TLS configuration could not be turned into a context (an unreadable trust-root file, …).
struct UpstreamTLSUnavailable: Error, CustomStringConvertible {
    var error: any Error
    var description: String { "TLS is not available: \(error)" }
}

/// The client was shut down.
struct UpstreamClientShutDown: Error, CustomStringConvertible {
    var description: String { "the upstream HTTP client is shut down" }
}

/// One event loop's connections, by endpoint. Touched only on its loop, so it takes no lock.
final class UpstreamConnectionPool: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let configuration: UpstreamHTTPClient.Configuration
    private let tls: LazyTLSContext
    private var idle: [UpstreamEndpoint: [UpstreamConnection]] = [:]
    private var isShutDown = false

    init(eventLoop: any EventLoop, configuration: UpstreamHTTPClient.Configuration, tls: LazyTLSContext) {
        self.eventLoop = eventLoop
        self.configuration = configuration
        self.tls = tls
    }

    func run(
        _ exchange: UpstreamExchange, on endpoint: UpstreamEndpoint, head: HTTPRequestHead,
        body: ByteBuffer?, deadline: NIODeadline, connectTimeout: TimeAmount
    ) {
        eventLoop.assertInEventLoop()
        guard !exchange.isEnded else { return }
        guard !isShutDown else { return exchange.abort(UpstreamClientShutDown()) }
        while let connection = idle[endpoint]?.popLast() {
            if connection.isActive {
                return connection.start(exchange, head: head, body: body, deadline: deadline)
            }
        }
        let untilDeadline = deadline - .now()
        connect(to: endpoint, timeout: min(connectTimeout, max(untilDeadline, .zero))).whenComplete { [self] result in
            switch result {
            case .success(let connection):
                if exchange.isEnded {
                    release(connection)
                } else {
                    connection.start(exchange, head: head, body: body, deadline: deadline)
                }
            case .failure(let error):
                exchange.abort(error)
            }
        }
    }

    func shutdown() {
        eventLoop.assertInEventLoop()
        isShutDown = true
        let connections = idle.values.joined()
        idle = [:]
        for connection in connections { connection.context?.close(promise: nil) }
    }

    private func connect(to endpoint: UpstreamEndpoint, timeout: TimeAmount) -> EventLoopFuture<UpstreamConnection> {
        let tls: NIOSSLContext?
        switch endpoint.usesTLS ? self.tls.get() : nil {
        case .success(let context)?: tls = context
        case .failure(let error)?: return eventLoop.makeFailedFuture(UpstreamTLSUnavailable(error: error))
        case nil: tls = nil
        }
        let serverName = endpoint.isAddressLiteral ? nil : endpoint.host
        let idleTimeout = configuration.idleTimeout
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                do {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(UpstreamConnection(endpoint: endpoint, idleTimeout: idleTimeout))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let connected: EventLoopFuture<any Channel>
        if endpoint.isAddressLiteral, let address = try? SocketAddress(ipAddress: endpoint.host, port: endpoint.port) {
            connected = bootstrap.connect(to: address)  // no resolver, no thread hop
        } else {
            connected = bootstrap.connect(host: endpoint.host, port: endpoint.port)
        }
        return connected.flatMapThrowing { [self] channel in
            let connection = try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
            connection.onReusable = { [weak self] connection in self?.release(connection) }
            connection.onClose = { [weak self] connection in self?.forget(connection) }
            return connection
        }
    }

    /// Parks a connection whose exchange ended, or closes it when the pool is full or shut down.
    private func release(_ connection: UpstreamConnection) {
        guard !isShutDown, connection.isActive,
            idle[connection.endpoint, default: []].count < configuration.maxIdleConnectionsPerEndpoint
        else {
            connection.context?.close(promise: nil)
            return
        }
        idle[connection.endpoint, default: []].append(connection)
        connection.park()
    }

    private func forget(_ connection: UpstreamConnection) {
        guard let index = idle[connection.endpoint]?.firstIndex(where: { $0 === connection }) else { return }
        idle[connection.endpoint]?.remove(at: index)
    }
}
