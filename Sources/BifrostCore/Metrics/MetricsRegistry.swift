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

    /// Every family, sorted by name.
    var sortedFamilies: [MetricFamily] {
        families.withLock { Array($0.values) }.sorted { $0.definition.name < $1.definition.name }
    }
}
