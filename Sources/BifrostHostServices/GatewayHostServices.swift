public import BifrostCore
public import BifrostState
public import Logging
import Synchronization

/// The host services of a gateway (PluginSDK/DESIGN.md §7): each plugin's counters and values
/// in its state backend (the gateway's memory, or Redis shared by replicas), and its callouts.
///
/// Keys are the plugin's own: each is stored under `bifrost:<plugin>:c:` (counters) or
/// `bifrost:<plugin>:v:` (values), so plugins cannot read each other's state and one plugin's
/// instances on replicas sharing Redis share theirs. When the shared backend cannot be reached
/// (refused, closed, silent past its command timeout), the plugin's ``StatePolicy`` decides:
/// fail-open performs the operation on the gateway's memory, with a warning at most every ten
/// seconds per plugin; fail-closed fails the request with 503. The backend reconnects by itself.
///
/// ```swift
/// let services = GatewayHostServices(shared: RedisStateStore(client: redis), backendName: "redis",
///                                    callouts: CalloutClient(httpClient: http), logger: logger)
/// ```
public final class GatewayHostServices: HostServices {
    /// Where state lives: `memory` or `redis`.
    public let backendName: String
    private let shared: (any StateStore)?
    private let local: MemoryStateStore
    private let callouts: CalloutClient
    private let logger: Logger
    private let health: (@Sendable () -> Bool)?
    private let statistics = Mutex<[String: PluginStatistics]>([:])
    private let operationsTotal: MetricFamily?
    private let fallbacksTotal: MetricFamily?

    /// Services whose state is `shared` (Redis), or the gateway's memory when `nil`.
    /// `isBackendUp` reports the shared backend's health for `/metrics` and `/api/plugins`.
    public init(
        shared: (any StateStore)?, backendName: String, local: MemoryStateStore = MemoryStateStore(), callouts: CalloutClient,
        logger: Logger, metrics: MetricsRegistry? = nil, isBackendUp: (@Sendable () -> Bool)? = nil
    ) {
        self.shared = shared
        self.backendName = shared == nil ? "memory" : backendName
        self.local = local
        self.callouts = callouts
        self.logger = logger
        self.health = isBackendUp
        operationsTotal = try? metrics?.define(
            MetricDefinition(
                kind: .counter, name: "bifrost_state_operations_total",
                help: "Host operations plugins asked for, by plugin, operation and result (ok, fallback, failed).",
                labelNames: ["plugin", "operation", "result"]))
        fallbacksTotal = try? metrics?.define(
            MetricDefinition(
                kind: .counter, name: "bifrost_state_fallbacks_total",
                help: "State operations performed on the gateway's memory because the shared backend was away, by plugin.",
                labelNames: ["plugin"]))
        if let metrics, shared != nil, let isBackendUp {
            let name = self.backendName
            _ = metrics.addExpositionSource {
                "# HELP bifrost_state_backend_up Whether the shared state backend answers (1) or not (0).\n"
                    + "# TYPE bifrost_state_backend_up gauge\n"
                    + "bifrost_state_backend_up{backend=\"\(name)\"} \(isBackendUp() ? 1 : 0)\n"
            }
        }
    }

    /// Whether the shared backend answers; `true` for memory.
    public var isBackendUp: Bool { health?() ?? true }

    public func status(plugin: String) -> HostServicesStatus {
        let counts = statistics.withLock { $0[plugin] } ?? PluginStatistics()
        var status = HostServicesStatus(backend: backendName, isBackendUp: isBackendUp)
        status.operations = counts.operations
        status.fallbacks = counts.fallbacks
        status.failures = counts.failures
        return status
    }

    public func perform(_ operations: [HostOperation], plugin: String, policy: StatePolicy) async -> Result<
        [HostOperationResult], BifrostError
    > {
        var results: [HostOperationResult] = []
        results.reserveCapacity(operations.count)
        for operation in operations {
            if case .callout(let request) = operation {
                switch await callouts.send(request) {
                case .success(let answer):
                    results.append(.callout(answer))
                    count(plugin, operation, .ok)
                case .failure(let failure):
                    results.append(.calloutFailed(failure))
                    count(plugin, operation, .failed)
                }
                continue
            }
            guard let shared else {
                results.append(await apply(operation, plugin: plugin, on: local, backend: "memory"))
                count(plugin, operation, .ok)
                continue
            }
            do throws(StateStoreError) {
                results.append(try await perform(operation, plugin: plugin, on: shared))
                count(plugin, operation, .ok)
            } catch {
                switch policy {
                case .failOpen:
                    warnOfFallback(plugin: plugin, error: error)
                    results.append(await apply(operation, plugin: plugin, on: local, backend: "memory"))
                    count(plugin, operation, .fallback)
                case .failClosed:
                    count(plugin, operation, .failed)
                    logger.error(
                        "plugin '\(plugin)': \(operation.name) failed on the \(backendName) state backend (\(error)); fail-closed"
                    )
                    return .failure(.stateUnavailable(plugin: plugin, reason: "\(backendName): \(error.code)"))
                }
            }
        }
        return .success(results)
    }

    /// One operation on a store the gateway's memory backs, where nothing can be unreachable.
    private func apply(_ operation: HostOperation, plugin: String, on store: MemoryStateStore, backend: String) async
        -> HostOperationResult
    {
        do throws(StateStoreError) {
            return try await perform(operation, plugin: plugin, on: store)
        } catch {
            // The memory store refuses only a value larger than it holds: the value is not kept.
            logger.warning("plugin '\(plugin)': \(operation.name) refused by the \(backend) store: \(error)")
            if case .valueGet = operation { return .value(nil) }
            if case .counterAdd = operation { return .counter(value: 0, resetsIn: .zero) }
            return .written
        }
    }

    private func perform(_ operation: HostOperation, plugin: String, on store: any StateStore) async throws(StateStoreError)
        -> HostOperationResult
    {
        switch operation {
        case .counterAdd(let key, let amount, let window, _):
            let reading = try await store.increment(Self.key(plugin, "c", key), by: amount, window: window)
            return .counter(value: reading.value, resetsIn: reading.resetsIn)
        case .valueGet(let key):
            return .value(try await store.value(forKey: Self.key(plugin, "v", key)))
        case .valueSet(let key, let value, let timeToLive):
            try await store.setValue(value, forKey: Self.key(plugin, "v", key), timeToLive: timeToLive)
            return .written
        case .valueRemove(let key):
            try await store.removeValue(forKey: Self.key(plugin, "v", key))
            return .written
        case .callout:
            preconditionFailure("callouts are sent by the callout client")
        }
    }

    /// `bifrost:` is the Redis store's own prefix; the plugin's name and the space come next.
    static func key(_ plugin: String, _ space: String, _ key: [UInt8]) -> String {
        plugin + ":" + space + ":" + String(decoding: key, as: UTF8.self)
    }

    /// What one operation came to, as `bifrost_state_operations_total` labels it.
    private enum Outcome: String {
        case ok, fallback, failed
    }

    private func count(_ plugin: String, _ operation: HostOperation, _ outcome: Outcome) {
        operationsTotal?.series([plugin, operation.name, outcome.rawValue]).add(1)
        statistics.withLock { all in
            var entry = all[plugin] ?? PluginStatistics()
            switch outcome {
            case .ok: entry.operations += 1
            case .fallback:
                entry.operations += 1
                entry.fallbacks += 1
            case .failed: entry.failures += 1
            }
            all[plugin] = entry
        }
        if outcome == .fallback { fallbacksTotal?.series([plugin]).add(1) }
    }

    private func warnOfFallback(plugin: String, error: StateStoreError) {
        let now = ContinuousClock.now
        let due = statistics.withLock { all -> Bool in
            var entry = all[plugin] ?? PluginStatistics()
            defer { all[plugin] = entry }
            if let last = entry.lastFallbackWarning, now - last < .seconds(10) { return false }
            entry.lastFallbackWarning = now
            return true
        }
        if due {
            logger.warning(
                "plugin '\(plugin)': the \(backendName) state backend is away (\(error)); fail-open, using this gateway's memory until it is back (limits and budgets hold per replica meanwhile)"
            )
        }
    }
}

/// One plugin's counts, and when its last fallback warning was logged.
struct PluginStatistics {
    var operations = 0
    var fallbacks = 0
    var failures = 0
    var lastFallbackWarning: ContinuousClock.Instant?
}
