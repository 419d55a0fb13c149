extension MetricFamily {
    /// One series' values at a moment: a counter's or gauge's value, or a histogram's
    /// cumulative bucket counts (one per bound of ``MetricDefinition/buckets``, `+Inf` last).
    public struct SeriesSnapshot: Sendable, Hashable {
        /// The series' label values, in the order of the family's label names.
        public var labels: [String]
        /// A counter's or gauge's value; a histogram's observation count.
        public var value: Double
        /// A histogram's cumulative counts per bucket bound, `+Inf` last; empty otherwise.
        public var cumulativeCounts: [UInt64]
    }

    /// Every series' values now, sorted by labels: what a sampler keeps to compute rates
    /// and quantiles over a window.
    ///
    /// ```swift
    /// for series in family.snapshot() { print(series.labels, series.value) }
    /// ```
    public func snapshot() -> [SeriesSnapshot] {
        sortedSeries.map { labels, series in
            switch series.kind {
            case .histogram:
                let counts = series.cumulativeCounts
                return SeriesSnapshot(labels: labels, value: Double(counts.last ?? 0), cumulativeCounts: counts)
            case .counter, .gauge:
                return SeriesSnapshot(labels: labels, value: series.value, cumulativeCounts: [])
            }
        }
    }
}

extension MetricsRegistry {
    /// The chain's histogram of hook durations, seconds, by `plugin` and `hook`.
    public static let hookDurationMetric = "bifrost_plugin_hook_duration_seconds"
    /// The chain's counter of plugin faults, by `plugin` and `hook`.
    public static let pluginFaultsMetric = "bifrost_plugin_faults_total"
}
