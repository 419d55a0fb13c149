/// A metric the plugin defined at creation, exposed on the gateway's `/metrics`.
///
/// Define metrics in `init(configuration:)` through ``PluginHost``; record from any hook or
/// thread. Label values are given in the order of the label names.
///
/// ```swift
/// let requests = try configuration.host.defineCounter(
///     "bifrost_requests_total", help: "Requests by status.", labels: ["status"])
/// requests.record(1, labels: ["200"])
/// ```
public struct PluginMetric: @unchecked Sendable {
    // The host's table and the family live for the life of the process.
    private let api: UnsafePointer<bifrost_host_api>?
    private let handle: OpaquePointer?
    /// The metric's name.
    ///
    /// ```swift
    /// requests.name  // "bifrost_requests_total"
    /// ```
    public let name: String
    /// The label names, in order.
    ///
    /// ```swift
    /// requests.labelNames  // ["status"]
    /// ```
    public let labelNames: [String]

    init(api: UnsafePointer<bifrost_host_api>?, handle: OpaquePointer?, name: String, labelNames: [String]) {
        self.api = api
        self.handle = handle
        self.name = name
        self.labelNames = labelNames
    }

    /// Adds to a counter (`value` ≥ 0) or a gauge, or observes a histogram value. Does
    /// nothing for a plugin created outside a host. A wrong label count is refused by the
    /// host (a fault when inside a hook).
    ///
    /// ```swift
    /// latency.record(0.012, labels: ["openai", "gpt-4o"])
    /// ```
    public func record(_ value: Double, labels: [String] = []) {
        guard let api, let record = try? newerHostFunction(api, \.metric_record, "metric_record") else { return }
        withHostStringArray(labels) { pointer, count in _ = record(handle, pointer, count, value) }
    }

    /// Sets a gauge.
    ///
    /// ```swift
    /// queueDepth.set(3, labels: [])
    /// ```
    public func set(_ value: Double, labels: [String] = []) {
        guard let api, let set = try? newerHostFunction(api, \.metric_set, "metric_set") else { return }
        withHostStringArray(labels) { pointer, count in _ = set(handle, pointer, count, value) }
    }
}

extension PluginMetric {
    /// The series of one label combination (ABI 1.2). Recording into it skips the host's
    /// label lookup: keep series for labels that come back often.
    ///
    /// ```swift
    /// let ok = requests.series(labels: ["openai", "gpt-4o", "200"])
    /// ok.record(1)
    /// ```
    public func series(labels: [String] = []) -> PluginMetricSeries {
        guard let api, let get = try? newerHostFunction(api, \.metric_series, "metric_series") else {
            return PluginMetricSeries(api: nil, handle: nil)
        }
        var series: OpaquePointer?
        let status = withHostStringArray(labels) { pointer, count in get(handle, pointer, count, &series) }
        return PluginMetricSeries(api: status == BIFROST_OK ? api : nil, handle: series)
    }
}

/// One label combination of a ``PluginMetric``: lock-free recording, from any thread.
///
/// ```swift
/// let hits = cacheHits.series(labels: ["openai", "gpt-4o"])
/// hits.record(1)
/// ```
public struct PluginMetricSeries: @unchecked Sendable {
    // The host's table and the series live for the life of the process.
    private let api: UnsafePointer<bifrost_host_api>?
    private let handle: OpaquePointer?

    init(api: UnsafePointer<bifrost_host_api>?, handle: OpaquePointer?) {
        self.api = api
        self.handle = handle
    }

    /// Adds to a counter or gauge, or observes a histogram value.
    ///
    /// ```swift
    /// latency.record(0.012)
    /// ```
    public func record(_ value: Double) {
        guard let api, let record = try? newerHostFunction(api, \.metric_series_record, "metric_series_record") else { return }
        _ = record(handle, value)
    }

    /// Sets a gauge.
    ///
    /// ```swift
    /// depth.set(3)
    /// ```
    public func set(_ value: Double) {
        guard let api, let set = try? newerHostFunction(api, \.metric_series_set, "metric_series_set") else { return }
        _ = set(handle, value)
    }
}

extension PluginHost {
    /// Defines a counter. Only while the plugin is being created.
    ///
    /// ```swift
    /// let hits = try configuration.host.defineCounter("bifrost_cache_hits_total", help: "Cache hits.")
    /// ```
    public func defineCounter(_ name: String, help: String, labels: [String] = []) throws -> PluginMetric {
        try defineMetric(kind: BIFROST_METRIC_COUNTER, name: name, help: help, labels: labels, buckets: [])
    }

    /// Defines a gauge. Only while the plugin is being created.
    ///
    /// ```swift
    /// let inFlight = try configuration.host.defineGauge("bifrost_in_flight_requests", help: "Requests in flight.")
    /// ```
    public func defineGauge(_ name: String, help: String, labels: [String] = []) throws -> PluginMetric {
        try defineMetric(kind: BIFROST_METRIC_GAUGE, name: name, help: help, labels: labels, buckets: [])
    }

    /// Defines a histogram; empty `buckets` gives latency buckets in seconds (100 µs to 60 s).
    /// Only while the plugin is being created.
    ///
    /// ```swift
    /// let latency = try configuration.host.defineHistogram(
    ///     "bifrost_request_duration_seconds", help: "End-to-end latency.", labels: ["provider"])
    /// ```
    public func defineHistogram(_ name: String, help: String, labels: [String] = [], buckets: [Double] = []) throws
        -> PluginMetric
    {
        try defineMetric(kind: BIFROST_METRIC_HISTOGRAM, name: name, help: help, labels: labels, buckets: buckets)
    }

    private func defineMetric(
        kind: bifrost_metric_kind, name: String, help: String, labels: [String], buckets: [Double]
    ) throws -> PluginMetric {
        guard let api else { return PluginMetric(api: nil, handle: nil, name: name, labelNames: labels) }
        let define = try newerHostFunction(api, \.metric_define, "metric_define")
        var metric: OpaquePointer?
        let status = withHostStrings(name, help) { name, help in
            withHostStringArray(labels) { labelPointer, labelCount in
                buckets.withUnsafeBufferPointer { bucketBuffer in
                    var spec = bifrost_metric_spec(
                        struct_size: UInt32(MemoryLayout<bifrost_metric_spec>.size), kind: kind, name: name, help: help,
                        label_names: labelPointer, label_count: labelCount,
                        buckets: buckets.isEmpty ? nil : bucketBuffer.baseAddress, bucket_count: buckets.count)
                    return define(token, &spec, &metric)
                }
            }
        }
        try check(status, "metric_define")
        return PluginMetric(api: api, handle: metric, name: name, labelNames: labels)
    }
}
