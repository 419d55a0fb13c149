public import NIOSSL

/// Where the Redis server is and how to talk to it.
///
/// ```swift
/// var settings = RedisSettings(host: "127.0.0.1", port: 6379)
/// settings.poolSize = 8
/// settings.password = ProcessInfo.processInfo.environment["REDIS_PASSWORD"]
/// ```
public struct RedisSettings: Sendable {
    /// The server's host name or address.
    public var host: String
    /// The server's port.
    public var port: Int
    /// `AUTH` with this password after connecting; never logged.
    public var password: String?
    /// The ACL user for `AUTH` (Redis 6 and later); `nil` is the default user.
    public var username: String?
    /// The database `SELECT`ed after connecting.
    public var database: Int = 0
    /// TLS to the server; `nil` is plain TCP.
    public var tls: TLSConfiguration?
    /// Connections kept open; commands are pipelined on each.
    public var poolSize: Int = 4
    /// How long opening a connection may take.
    public var connectTimeout: Duration = .seconds(1)
    /// How long one command may wait for its reply.
    public var commandTimeout: Duration = .milliseconds(500)
    /// The first wait before a connection that failed is tried again; it doubles per failure.
    public var reconnectBackoff: Duration = .milliseconds(100)
    /// The longest wait before trying again.
    public var maximumReconnectBackoff: Duration = .seconds(5)

    /// Settings for the server at `host`:`port`.
    public init(host: String, port: Int = 6379) {
        self.host = host
        self.port = port
    }
}
