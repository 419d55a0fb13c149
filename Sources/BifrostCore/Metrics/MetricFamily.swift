import CBifrostAtomics

/// A defined metric: its series, one per combination of label values.
///
/// ```swift
/// let series = family.series(["openai", "200"])
/// series.add(1)
/// ```
public final class MetricFamily: Sendable {
    /// What the family is.
    public let definition: MetricDefinition
    private let seriesByLabels = LockedValue<[[String]: MetricSeries]>([:])

    init(_ definition: MetricDefinition) {
        self.definition = definition
    }

    /// The series for `labelValues` (one per label name, in order), created on first use.
    ///
    /// Keep the series when the labels are fixed: recording into it takes no lock.
    ///
    /// ```swift
    /// let ok = family.series(["200"])
    /// ```
    public func series(_ labelValues: [String]) -> MetricSeries {
        precondition(
            labelValues.count == definition.labelNames.count,
            "metric '\(definition.name)' has \(definition.labelNames.count) labels, got \(labelValues.count) values")
        return seriesByLabels.withLock { all in
            if let existing = all[labelValues] { return existing }
            let series = MetricSeries(kind: definition.kind, bucketCount: definition.buckets.count, buckets: definition.buckets)
            all[labelValues] = series
            return series
        }
    }

    /// Every series with its label values, sorted for stable output.
    var sortedSeries: [(labels: [String], series: MetricSeries)] {
        seriesByLabels.withLock { all in all.map { ($0.key, $0.value) } }.sorted {
            $0.labels.lexicographicallyPrecedes($1.labels)
        }
    }
}

/// One time series of a family: a value (counter, gauge) or bucket counts (histogram).
///
/// Recording is lock-free and safe from any thread.
///
/// ```swift
/// series.add(1)          // counter or gauge
/// series.set(42)         // gauge
/// series.observe(0.012)  // histogram, in the family's unit
/// ```
public final class MetricSeries: @unchecked Sendable {
    // Cells are touched only through the relaxed atomics of CBifrostAtomics.
    // Counter and gauge: [value]. Histogram: [bucket counts..., +Inf count, sum].
    private let cells: UnsafeMutablePointer<UInt64>
    private let cellCount: Int
    private let buckets: [Double]
    /// The family's kind.
    public let kind: MetricDefinition.Kind

    init(kind: MetricDefinition.Kind, bucketCount: Int, buckets: [Double]) {
        self.kind = kind
        self.buckets = buckets
        cellCount = kind == .histogram ? bucketCount + 2 : 1
        cells = .allocate(capacity: cellCount)
        cells.initialize(repeating: 0, count: cellCount)
        if kind != .histogram { bifrost_atomic_store_double(cells, 0) }
    }

    deinit { cells.deallocate() }

    /// Adds `amount` to a counter (must not be negative) or a gauge.
    ///
    /// ```swift
    /// tokens.add(Double(usage.completionTokens))
    /// ```
    public func add(_ amount: Double) {
        switch kind {
        case .counter, .gauge: bifrost_atomic_add_double(cells, amount)
        case .histogram: observe(amount)
        }
    }

    /// Sets a gauge.
    ///
    /// ```swift
    /// inFlight.set(3)
    /// ```
    public func set(_ value: Double) {
        bifrost_atomic_store_double(cells, value)
    }

    /// Records one observation into a histogram.
    ///
    /// ```swift
    /// latency.observe(0.004)
    /// ```
    public func observe(_ value: Double) {
        var index = 0
        while index < buckets.count, value > buckets[index] { index += 1 }
        bifrost_atomic_add_u64(cells + index, 1)
        bifrost_atomic_add_double(cells + buckets.count + 1, value)
    }

    /// The current value of a counter or gauge.
    ///
    /// ```swift
    /// #expect(requests.value == 1)
    /// ```
    public var value: Double { bifrost_atomic_load_double(cells) }

    /// A histogram's observation count.
    ///
    /// ```swift
    /// #expect(latency.count == 3)
    /// ```
    public var count: UInt64 {
        guard kind == .histogram else { return 0 }
        return (0...buckets.count).reduce(0) { $0 + bifrost_atomic_load_u64(cells + $1) }
    }

    /// A histogram's sum of observations.
    public var sum: Double {
        kind == .histogram ? bifrost_atomic_load_double(cells + buckets.count + 1) : 0
    }

    /// A histogram's cumulative counts per bucket bound, `+Inf` last.
    var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return (0...buckets.count).map { index in
            running += bifrost_atomic_load_u64(cells + index)
            return running
        }
    }
}
