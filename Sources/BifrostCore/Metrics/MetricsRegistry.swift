/// The process's metrics: counters, gauges and histograms with labels, rendered in
/// Prometheus's text format on the gateway's `/metrics`.
///
/// Families are defined once (plugins do it at create time) and return series per label
/// values; recording into a series is lock-free, so hot paths keep the series they use.
///
/// ```swift
/// let metrics = MetricsRegistry()
/// let requests = try metrics.define(MetricDefinition(
///     kind: .counter, name: "bifrost_requests_total", help: "Requests served.", labelNames: ["status"]))
/// requests.series(["200"]).add(1)
/// print(metrics.render())
/// ```
public final class MetricsRegistry: Sendable {
    private let families = LockedValue<[String: MetricFamily]>([:])
    private let sources = LockedValue<(next: UInt64, renderers: [UInt64: @Sendable () -> String])>((1, [:]))

    /// Creates an empty registry.
    public init() {}

    /// The registry of the process, used when none is passed explicitly.
    ///
    /// ```swift
    /// let family = try MetricsRegistry.shared.define(definition)
    /// ```
    public static let shared = MetricsRegistry()

    /// Defines a family, or returns the one already defined identically.
    ///
    /// Defining the same name again with the same kind, labels and buckets is allowed (one
    /// plugin loaded by two gateways in one process); anything else is refused.
    ///
    /// ```swift
    /// let latency = try metrics.define(MetricDefinition(
    ///     kind: .histogram, name: "bifrost_upstream_seconds", help: "Upstream latency.", buckets: [0.01, 0.1, 1]))
    /// ```
    public func define(_ definition: MetricDefinition) throws(MetricsError) -> MetricFamily {
        try definition.validate()
        let result: Result<MetricFamily, MetricsError> = families.withLock { families in
            if let existing = families[definition.name] {
                guard existing.definition == definition else {
                    return .failure(
                        MetricsError(
                            name: definition.name,
                            reason: "already defined as a \(existing.definition.kind.rawValue) with labels "
                                + "[\(existing.definition.labelNames.joined(separator: ", "))] and different settings"))
                }
                return .success(existing)
            }
            let family = MetricFamily(definition)
            families[definition.name] = family
            return .success(family)
        }
        return try result.get()
    }

    /// The family named `name`, if defined.
    ///
    /// ```swift
    /// let requests = metrics.family(named: "bifrost_requests_total")
    /// ```
    public func family(named name: String) -> MetricFamily? {
        families.withLock { $0[name] }
    }

    /// Adds text rendered elsewhere to this registry's exposition, after its own families: the
    /// metrics an isolated plugin defined in its worker process. Returns what removes it.
    ///
    /// ```swift
    /// let source = metrics.addExpositionSource { workerMetricsText() }
    /// defer { metrics.removeExpositionSource(source) }
    /// ```
    public func addExpositionSource(_ render: @escaping @Sendable () -> String) -> UInt64 {
        sources.withLock { sources in
            let key = sources.next
            sources.next += 1
            sources.renderers[key] = render
            return key
        }
    }

    /// Removes a source ``addExpositionSource(_:)`` added.
    public func removeExpositionSource(_ key: UInt64) {
        _ = sources.withLock { $0.renderers.removeValue(forKey: key) }
    }

    /// The text of every exposition source, in the order they were added.
    var externalExposition: String {
        let renderers = sources.withLock { sources in sources.renderers.sorted { $0.key < $1.key }.map(\.value) }
        return renderers.map { $0() }.joined()
    }

    /// Every family, sorted by name.
    var sortedFamilies: [MetricFamily] {
        families.withLock { Array($0.values) }.sorted { $0.definition.name < $1.definition.name }
    }
}
