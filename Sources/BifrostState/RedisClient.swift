import BifrostCore
public import NIOCore
import NIOPosix

/// A pool of pipelined connections to one Redis server. Commands go to the pool's connections
/// in turn; a connection that fails is opened again on a later command, after a backoff that
/// doubles per failure, and until then commands on it fail at once with
/// ``StateStoreError/Code/unavailable`` (so no request waits on a server that is down).
///
/// ```swift
/// let client = RedisClient(RedisSettings(host: "127.0.0.1", port: 6379))
/// let reply = try await client.send(RESPCommand("PING"))
/// ```
public final class RedisClient: Sendable {
    private struct Slot {
        enum Phase {
            case closed
            case connecting(Task<RedisConnection, any Error>)
            case open(RedisConnection)
            case backingOff(until: ContinuousClock.Instant)
        }
        var phase = Phase.closed
        /// Failures in a row; an open connection that answers resets it.
        var failures = 0
    }

    private enum Lease {
        case ready(RedisConnection)
        case opening(Task<RedisConnection, any Error>)
    }

    /// The settings the client was made with.
    public let settings: RedisSettings
    private let eventLoopGroup: any EventLoopGroup
    private let slots: [LockedValue<Slot>]
    private let turn = LockedValue(0)
    private let health = LockedValue(Health())

    /// What the client has seen of the server, for `/metrics` and `/api/plugins`.
    public struct Health: Sendable, Hashable {
        /// Whether the last command got an answer.
        public var reachable = true
        /// Connections opened since the client was made.
        public var connectionsOpened = 0
        /// Commands that failed because the server was unreachable or slow.
        public var failures = 0
        /// The last failure, without secrets.
        public var lastError: String?
    }

    /// A client of the server `settings` names; no connection is opened until the first command.
    public init(_ settings: RedisSettings, eventLoopGroup: (any EventLoopGroup)? = nil) {
        self.settings = settings
        self.eventLoopGroup = eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        slots = (0..<max(1, settings.poolSize)).map { _ in LockedValue(Slot()) }
    }

    /// What the client has seen of the server.
    public var currentHealth: Health { health.withLock { $0 } }

    /// Sends `command` on the next connection and returns the server's reply (an error reply is
    /// returned as ``RESPValue/error(_:)``, not thrown).
    public func send(_ command: RESPCommand) async throws(StateStoreError) -> RESPValue {
        let index = turn.withLock { turn in
            defer { turn = (turn + 1) % slots.count }
            return turn
        }
        do throws(StateStoreError) {
            let connection = try await connection(at: index)
            do {
                let reply = try await connection.send(command, timeout: settings.commandTimeout)
                slots[index].withLock { $0.failures = 0 }
                health.withLock { $0.reachable = true }
                return reply
            } catch {
                backOff(index) { if case .open(let open) = $0, open === connection { true } else { false } }
                connection.close()
                throw error
            }
        } catch {
            health.withLock {
                $0.reachable = false
                $0.failures += 1
                $0.lastError = error.message
            }
            throw error
        }
    }

    /// Closes every connection; later commands open them again.
    public func close() {
        for slot in slots {
            let previous = slot.withLock { slot in
                defer { slot.phase = .closed }
                return slot.phase
            }
            switch previous {
            case .open(let connection): connection.close()
            case .connecting(let task): task.cancel()
            case .closed, .backingOff: break
            }
        }
    }

    private func connection(at index: Int) async throws(StateStoreError) -> RedisConnection {
        let settings = settings
        let eventLoop = eventLoopGroup.next()
        let lease = try slots[index].withLock { (slot) throws(StateStoreError) -> Lease in
            switch slot.phase {
            case .open(let connection) where connection.isActive:
                return .ready(connection)
            case .connecting(let task):
                return .opening(task)
            case .backingOff(let until) where ContinuousClock.now < until:
                throw StateStoreError(
                    .unavailable, "Redis at \(settings.host):\(settings.port) is unreachable; trying again shortly")
            case .open, .closed, .backingOff:
                let task = Task { try await RedisConnection.open(settings, on: eventLoop) }
                slot.phase = .connecting(task)
                return .opening(task)
            }
        }
        switch lease {
        case .ready(let connection):
            return connection
        case .opening(let task):
            let connection: RedisConnection
            do {
                connection = try await task.value
            } catch {
                backOff(index) { if case .connecting(let opening) = $0, opening == task { true } else { false } }
                throw error as? StateStoreError ?? StateStoreError(.unavailable, "opening a connection to Redis was cancelled")
            }
            slots[index].withLock { slot in
                if case .connecting = slot.phase {
                    slot.phase = .open(connection)
                    health.withLock { $0.connectionsOpened += 1 }
                }
            }
            return connection
        }
    }

    /// After a failure of what the slot holds (`holds` says whether it still does: several
    /// commands may see one failure), waits before opening it again: the backoff doubles with
    /// each failure in a row, up to the maximum. Commands meanwhile fail at once.
    private func backOff(_ index: Int, ifStill holds: (Slot.Phase) -> Bool) {
        let settings = settings
        slots[index].withLock { slot in
            guard holds(slot.phase) else { return }
            slot.failures += 1
            let doubled = settings.reconnectBackoff * (1 << min(slot.failures - 1, 16))
            slot.phase = .backingOff(until: .now + min(doubled, settings.maximumReconnectBackoff))
        }
    }
}
