/// Where and how a ``BifrostHTTPServer`` listens.
///
/// ```swift
/// var configuration = HTTPServerConfiguration(port: 0)  // 0: the system picks a free port
/// configuration.maxBodyBytes = 1024 * 1024
/// ```
public struct HTTPServerConfiguration: Sendable, Hashable {
    /// The address to bind, e.g. `127.0.0.1`, `0.0.0.0` or `::1`.
    ///
    /// ```swift
    /// let everywhere = HTTPServerConfiguration(host: "0.0.0.0")
    /// ```
    public var host: String = "127.0.0.1"

    /// The TCP port to bind; `0` lets the system pick one (``BifrostHTTPServer/start()`` returns it).
    ///
    /// ```swift
    /// let ephemeral = HTTPServerConfiguration(port: 0)
    /// ```
    public var port: Int = 8080

    /// The largest request body accepted, in bytes. Larger requests get a 413 and the
    /// connection is closed after the answer; no more than this is ever buffered.
    ///
    /// ```swift
    /// let small = HTTPServerConfiguration(maxBodyBytes: 64 * 1024)
    /// ```
    public var maxBodyBytes: Int = 10 * 1024 * 1024

    /// How long ``BifrostHTTPServer/shutdown()`` lets requests in flight finish before it
    /// closes their connections anyway. Idle connections close at once.
    ///
    /// ```swift
    /// let impatient = HTTPServerConfiguration(shutdownGracePeriod: .milliseconds(100))
    /// ```
    public var shutdownGracePeriod: Duration = .seconds(5)

    /// How long a connection may stay silent between requests before it is closed (quietly).
    public var keepAliveIdleTimeout: Duration = .seconds(60)

    /// How long a request's head may take to arrive once its first byte has (then 408).
    public var headerTimeout: Duration = .seconds(10)

    /// The longest silence inside a request body (then 408).
    public var bodyIdleTimeout: Duration = .seconds(30)

    /// How long a request body may take in all, from its head (then 408).
    public var bodyTimeout: Duration = .seconds(300)

    /// How long an answer may wait for a client that reads nothing (the connection's output
    /// stays above its high-water mark) before the connection is closed; a stream's upstream
    /// is then cancelled and its PostHooks see the stream cut short.
    public var writeStallTimeout: Duration = .seconds(30)

    /// The most connections open at once; one more is answered 503 and closed, and counted
    /// in `bifrost_http_connections_refused_total`.
    public var maxConnections: Int = 10_000

    /// The largest request head (request line and headers together), in bytes (then 431).
    public var maxHeaderBytes: Int = 64 * 1024

    /// The most header fields one request may carry (then 431).
    public var maxHeaderCount: Int = 100

    /// Where the task of each chat request runs; ``RequestExecutor/eventLoop`` unless set.
    ///
    /// ```swift
    /// let hooksMayBeSlow = HTTPServerConfiguration(requestExecutor: .global)
    /// ```
    public var requestExecutor: RequestExecutor = .eventLoop

    /// The admin token (`admin.token`) that `/api/*` and the console require; without one they
    /// answer loopback peers only.
    ///
    /// ```swift
    /// var configuration = HTTPServerConfiguration()
    /// configuration.adminToken = AdminToken("s3cret")
    /// ```
    public var adminToken: AdminToken?

    /// The secret client ids are keyed with (`server.client_id_secret`); without one, a secret
    /// drawn at random for this process.
    ///
    /// ```swift
    /// configuration.clientIDSecret = ClientIDSecret("shared by every replica")
    /// ```
    public var clientIDSecret: ClientIDSecret = .processDefault

    /// How often the console's statistics sample the metrics (`/api/stats`); 5 s unless set.
    public var consoleSampleInterval: Duration = .seconds(5)

    /// Creates a configuration.
    ///
    /// ```swift
    /// let configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 8080, maxBodyBytes: 10 << 20)
    /// ```
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        maxBodyBytes: Int = 10 * 1024 * 1024,
        shutdownGracePeriod: Duration = .seconds(5),
        requestExecutor: RequestExecutor = .eventLoop
    ) {
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.shutdownGracePeriod = shutdownGracePeriod
        self.requestExecutor = requestExecutor
    }
}

/// Where a chat request's task runs: the plugin chain, the provider call and the encoding
/// of the answer.
///
/// ```swift
/// var configuration = HTTPServerConfiguration()
/// configuration.requestExecutor = .global
/// ```
public enum RequestExecutor: Sendable, Hashable {
    /// On the event loop of the request's connection: no thread hops between reading the
    /// request and writing the answer, the fastest choice. Work in hooks and providers must
    /// not block (PluginSDK/DESIGN.md §2): while it runs, the loop serves no other connection.
    ///
    /// ```swift
    /// let fast = HTTPServerConfiguration(requestExecutor: .eventLoop)
    /// ```
    case eventLoop
    /// On Swift's global concurrent executor: two thread hops per request, but a slow hook
    /// delays only its own request's connection, never the loop's other connections.
    ///
    /// ```swift
    /// let isolated = HTTPServerConfiguration(requestExecutor: .global)
    /// ```
    case global
    /// On a pool of threads of the server's own (``ThreadPoolTaskExecutor/threadCount`` of them),
    /// for plugins whose hooks block: a blocked hook holds one pool thread, so it delays only
    /// the requests waiting for it; the network event loops and Swift's global executor stay free.
    ///
    /// ```swift
    /// let blocking = HTTPServerConfiguration(requestExecutor: .blockingPool)
    /// ```
    case blockingPool
}
