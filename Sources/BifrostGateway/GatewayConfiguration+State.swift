import BifrostCore
public import BifrostState
import NIOSSL

extension GatewayConfiguration {
    /// Where plugins' state lives (PluginSDK/DESIGN.md §7): the gateway's memory, or a Redis
    /// server that replicas share.
    ///
    /// ```json
    /// "state": {"redis": {"url": "redis://127.0.0.1:6379/0", "pool_size": 4, "command_timeout_ms": 250,
    ///                     "password": "env.REDIS_PASSWORD", "tls": false}}
    /// ```
    public struct StateSettings: Sendable {
        /// The shared backend; `nil` keeps state in the gateway's memory.
        public var redis: RedisSettings?
        /// The most bytes the gateway's memory store holds (values and counters) before it
        /// evicts the oldest.
        public var memoryMaximumBytes = 64 << 20

        /// State in memory.
        public init() {}
    }

    static func parseState(_ value: JSONValue, reader: ConfigurationReader, environment: [String: String])
        throws(ConfigurationError) -> (StateSettings, warnings: [String])
    {
        let fields = try reader.object(value, at: "state", allowed: ["redis", "memory_max_bytes"])
        var settings = StateSettings()
        var warnings: [String] = []
        if let limit = fields["memory_max_bytes"] {
            settings.memoryMaximumBytes = try reader.integer(limit, at: "state.memory_max_bytes", in: (1 << 20)...(1 << 40))
        }
        guard let redis = fields["redis"] else { return (settings, warnings) }
        let options = try reader.object(
            redis, at: "state.redis",
            allowed: ["url", "pool_size", "connect_timeout_ms", "command_timeout_ms", "password", "username", "tls"])
        guard let urlValue = options["url"] else {
            throw reader.fail("state.redis.url", "required: the server, e.g. \"redis://127.0.0.1:6379\"")
        }
        var redisSettings = try parseRedisURL(try reader.string(urlValue, at: "state.redis.url"), reader: reader)
        if let size = options["pool_size"] {
            redisSettings.poolSize = try reader.integer(size, at: "state.redis.pool_size", in: 1...256)
        }
        if let timeout = options["connect_timeout_ms"] {
            redisSettings.connectTimeout = .milliseconds(
                try reader.integer(timeout, at: "state.redis.connect_timeout_ms", in: 1...60_000))
        }
        if let timeout = options["command_timeout_ms"] {
            redisSettings.commandTimeout = .milliseconds(
                try reader.integer(timeout, at: "state.redis.command_timeout_ms", in: 1...60_000))
        }
        var parser = ProvidersParser(reader: reader, environment: environment)
        if let password = options["password"] {
            redisSettings.password = try parser.secret(password, at: "state.redis.password", warnIfLiteral: true)
        }
        if let username = options["username"] {
            redisSettings.username = try reader.string(username, at: "state.redis.username")
        }
        if let tls = options["tls"], try reader.bool(tls, at: "state.redis.tls") {
            redisSettings.tls = .makeClientConfiguration()
        }
        warnings += parser.warnings
        settings.redis = redisSettings
        return (settings, warnings)
    }

    /// `redis://host[:port][/database]` or `rediss://` (TLS); credentials go in `password`
    /// and `username`, where `env.NAME` keeps them out of the file.
    static func parseRedisURL(_ url: String, reader: ConfigurationReader) throws(ConfigurationError) -> RedisSettings {
        let path = "state.redis.url"
        let tls = url.hasPrefix("rediss://")
        guard tls || url.hasPrefix("redis://") else {
            throw reader.fail(path, "expected redis://host:port or rediss://host:port")
        }
        var rest = Substring(url.dropFirst(tls ? 9 : 8))
        guard !rest.contains("@") else {
            throw reader.fail(path, "credentials do not belong in the URL; set \"password\" (e.g. \"env.REDIS_PASSWORD\")")
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let number = rest[rest.index(after: slash)...]
            guard number.isEmpty || Int(number).map({ (0...15).contains($0) }) == true else {
                throw reader.fail(path, "the database after '/' is a number from 0 to 15")
            }
            database = Int(number) ?? 0
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let parsed = Int(rest[rest.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw reader.fail(path, "the port after ':' is a number from 1 to 65535")
            }
            port = parsed
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { throw reader.fail(path, "the host is missing") }
        var settings = RedisSettings(host: host, port: port)
        settings.database = database
        if tls { settings.tls = .makeClientConfiguration() }
        return settings
    }
}
