/// A ``StateStore`` on a Redis server, shared by every gateway replica that uses the server:
/// counters are `INCRBY` with a `PEXPIRE` set by the first increment, in one script (atomic on
/// the server, so replicas never read-modify-write); values are `SET … PX`.
///
/// ```swift
/// let store = RedisStateStore(client: RedisClient(RedisSettings(host: "127.0.0.1")), keyPrefix: "bifrost:")
/// ```
public struct RedisStateStore: StateStore {
    /// The connections to the server.
    public let client: RedisClient
    /// Put before every key, so the gateway's keys do not mix with others on the server.
    public let keyPrefix: String
    /// The largest value stored.
    public let maximumValueBytes: Int

    /// Increments, sets the window on the first increment, and reads the time left, at once.
    static let incrementScript = """
        local value = redis.call('INCRBY', KEYS[1], ARGV[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
          redis.call('PEXPIRE', KEYS[1], ARGV[2])
          ttl = tonumber(ARGV[2])
        end
        return {value, ttl}
        """

    /// A store on `client`'s server.
    public init(client: RedisClient, keyPrefix: String = "bifrost:", maximumValueBytes: Int = 16 * 1024 * 1024) {
        self.client = client
        self.keyPrefix = keyPrefix
        self.maximumValueBytes = maximumValueBytes
    }

    public func increment(_ key: String, by amount: Int64, window: Duration) async throws(StateStoreError)
        -> CounterReading
    {
        let windowMilliseconds = max(1, window.wholeMilliseconds)
        let reply = try await client.send(
            RESPCommand("EVAL", Self.incrementScript, 1, keyPrefix + key, amount, windowMilliseconds))
        guard case .array(let values?) = reply, values.count == 2, case .integer(let value) = values[0],
            case .integer(let ttl) = values[1]
        else { throw Self.unexpected(reply, "the counter script") }
        return CounterReading(value: value, resetsIn: .milliseconds(ttl))
    }

    public func value(forKey key: String) async throws(StateStoreError) -> [UInt8]? {
        let reply = try await client.send(RESPCommand("GET", keyPrefix + key))
        switch reply {
        case .bulkString(let bytes): return bytes
        default: throw Self.unexpected(reply, "GET")
        }
    }

    public func setValue(_ value: [UInt8], forKey key: String, timeToLive: Duration?) async throws(StateStoreError) {
        guard value.count <= maximumValueBytes else {
            throw StateStoreError(.tooLarge, "a value of \(value.count) bytes (at most \(maximumValueBytes))")
        }
        var command = RESPCommand("SET", keyPrefix + key, value)
        if let timeToLive { command.arguments += [Array("PX".utf8), Array(String(max(1, timeToLive.wholeMilliseconds)).utf8)] }
        let reply = try await client.send(command)
        guard case .simpleString = reply else { throw Self.unexpected(reply, "SET") }
    }

    public func removeValue(forKey key: String) async throws(StateStoreError) {
        let reply = try await client.send(RESPCommand("DEL", keyPrefix + key))
        guard case .integer = reply else { throw Self.unexpected(reply, "DEL") }
    }

    private static func unexpected(_ reply: RESPValue, _ what: String) -> StateStoreError {
        if case .error(let message) = reply { return StateStoreError(.refused, "Redis refused \(what): \(message)") }
        return StateStoreError(.protocolError, "Redis answered \(what) with an unexpected reply")
    }
}

extension Duration {
    /// The duration in whole milliseconds, rounded down.
    var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
