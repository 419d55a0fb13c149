public import BifrostPluginSDK

/// Prometheus metrics for every request, exposed on the gateway's `/metrics` through the
/// host's metrics service: requests by provider, model and status, end-to-end and upstream
/// latency, time to first token on streams, input and output tokens, cache hits and misses
/// (from the caching plugin's `caching.status`), rejections by plugin, requests in flight.
///
/// Put it early in the chain: its PostHook then sees every answer, rejections by later
/// plugins and cache hits included. Fail-open by default.
///
/// ```swift
/// let monitor = try Monitor(configuration: PluginConfiguration(text: #"{"include_model_label": true}"#))
/// ```
public struct Monitor: PreHookPlugin, PostHookPlugin, ChunkHookPlugin {
    /// `monitoring`.
    ///
    /// ```swift
    /// Monitor.name  // "monitoring"
    /// ```
    public static let name = "monitoring"

    /// The plugin's version.
    ///
    /// ```swift
    /// Monitor.version  // "1.0.0"
    /// ```
    public static let version = "1.0.0"

    /// A metrics plugin must never fail a request.
    ///
    /// ```swift
    /// Monitor.failOpenByDefault  // true
    /// ```
    public static var failOpenByDefault: Bool { true }

    static let startKey = "monitoring.start_ns"
    static let targetKey = "monitoring.target"
    static let firstTokenKey = "monitoring.first_token"
    /// The caching plugin's status key.
    static let cacheStatusKey = "caching.status"

    /// The checked configuration.
    ///
    /// ```swift
    /// monitor.configuration.includeModelLabel  // true
    /// ```
    public let configuration: MonitorConfiguration
    private let host: PluginHost
    private let requests: PluginMetric
    private let duration: PluginMetric
    private let upstream: PluginMetric
    private let firstToken: PluginMetric
    private let tokens: PluginMetric
    private let cacheHits: PluginMetric
    private let cacheMisses: PluginMetric
    private let rejections: PluginMetric
    private let inFlight: PluginMetricSeries
    /// Series per provider and model (and status), resolved once: a request then records
    /// without a label lookup in the host.
    private let seriesCache = PluginLock(SeriesCache())

    /// The series one provider and model record into.
    struct TargetSeries: Sendable {
        var duration: PluginMetricSeries
        var upstream: PluginMetricSeries
        var firstToken: PluginMetricSeries
        var inputTokens: PluginMetricSeries
        var outputTokens: PluginMetricSeries
        var cacheHits: PluginMetricSeries
        var cacheMisses: PluginMetricSeries
    }

    /// A provider and model as label values: compared as they are, never joined into one text.
    struct TargetKey: Hashable, Sendable {
        var provider: String
        var model: String
    }

    /// A target and the HTTP status its request counter is labelled with.
    struct RequestKey: Hashable, Sendable {
        var target: TargetKey
        var status: Int
    }

    struct SeriesCache: Sendable {
        var targets: [TargetKey: TargetSeries] = [:]
        var requests: [RequestKey: (target: TargetSeries, count: PluginMetricSeries)] = [:]
    }

    /// Reads the configuration and defines the metrics.
    ///
    /// ```swift
    /// let monitor = try Monitor(configuration: PluginConfiguration(text: "{}"))
    /// ```
    public init(configuration: PluginConfiguration) throws {
        self.configuration = try MonitorConfiguration(configuration)
        host = configuration.host
        let target = ["provider", "model"]
        let buckets = self.configuration.latencyBuckets
        requests = try host.defineCounter(
            "bifrost_requests_total", help: "Chat requests answered, by provider, model and HTTP status.",
            labels: target + ["status"])
        duration = try host.defineHistogram(
            "bifrost_request_duration_seconds", help: "Time from the monitoring PreHook to its PostHook (a stream's end).",
            labels: target, buckets: buckets)
        upstream = try host.defineHistogram(
            "bifrost_upstream_duration_seconds",
            help: "Time the provider took, retries and fallbacks included (a stream: until it opened).", labels: target,
            buckets: buckets)
        firstToken = try host.defineHistogram(
            "bifrost_time_to_first_token_seconds", help: "Time to the first chunk of a streamed answer.", labels: target,
            buckets: buckets)
        tokens = try host.defineCounter(
            "bifrost_tokens_total", help: "Tokens used, by provider, model and type (input or output).",
            labels: target + ["type"])
        cacheHits = try host.defineCounter(
            "bifrost_cache_hits_total", help: "Requests answered from the cache.", labels: target)
        cacheMisses = try host.defineCounter(
            "bifrost_cache_misses_total", help: "Requests the cache could not answer.", labels: target)
        rejections = try host.defineCounter(
            "bifrost_plugin_rejections_total", help: "Requests a plugin rejected, by plugin and HTTP status.",
            labels: ["plugin", "status"])
        inFlight = try host.defineGauge("bifrost_requests_in_flight", help: "Chat requests inside the gateway now.").series()
    }

    /// Notes when the request started and what it asked for.
    ///
    /// ```swift
    /// _ = try monitor.preHook(request: request, context: context)
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        try context.set(Self.startKey, .number(Double(host.monotonicNanoseconds())))
        try context.set(Self.targetKey, .string(try request.provider + "/" + request.model))
        inFlight.record(1)
        return .continue
    }

    /// Records the time to the first chunk of a stream.
    ///
    /// ```swift
    /// _ = try monitor.chunkHook(chunk: chunk, context: context)
    /// ```
    public func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision {
        guard try context[Self.firstTokenKey] == nil, let start = try context[Self.startKey]?.doubleValue else {
            return .continue
        }
        let now = host.monotonicNanoseconds()
        try context.set(Self.firstTokenKey, .bool(true))
        let (provider, model) = labels(try context[Self.targetKey]?.stringValue ?? "/")
        series(provider, model).firstToken.record(Self.seconds(from: start, to: now))
        return .continue
    }

    /// Records the request's outcome.
    ///
    /// ```swift
    /// try monitor.postHook(outcome: outcome, context: context)
    /// ```
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        inFlight.record(-1)
        let now = host.monotonicNanoseconds()
        let provider: String
        let model: String
        let status: Int
        var usage: HookUsage?
        if let response = try outcome.response {
            status = 200
            let servedProvider = try response.provider
            // The PreHook's target is read only when the response does not name who served it.
            (provider, model) =
                servedProvider.isEmpty
                ? try requestedTarget(context) : try labels(provider: servedProvider, model: try response.model)
            usage = try response.usage
        } else if let error = try outcome.error {
            status = try error.status
            let source = try error.source
            if source.kind == "plugin", try error.code != "plugin_fault" {
                rejections.record(1, labels: [source.name, String(status)])
            }
            // A model the gateway does not serve must not grow a label value per typo.
            (provider, model) =
                source.kind == "gateway" && (status == 400 || status == 404)
                ? ("invalid", "invalid") : try requestedTarget(context)
        } else {
            return
        }
        let (target, requestCount) = series(provider, model, status: status)
        requestCount.record(1)
        if let usage {
            target.inputTokens.record(Double(usage.promptTokens))
            target.outputTokens.record(Double(usage.completionTokens))
        }
        if let start = try context[Self.startKey]?.doubleValue { target.duration.record(Self.seconds(from: start, to: now)) }
        if let upstreamNanoseconds = try context.upstreamNanoseconds { target.upstream.record(Double(upstreamNanoseconds) / 1e9) }
        switch try context[Self.cacheStatusKey]?.stringValue {
        case "hit": target.cacheHits.record(1)
        case "miss": target.cacheMisses.record(1)
        default: break
        }
    }

    /// The series of a provider and model, resolved on first use.
    private func series(_ provider: String, _ model: String) -> TargetSeries {
        let key = TargetKey(provider: provider, model: model)
        if let cached = seriesCache.withLock({ $0.targets[key] }) { return cached }
        let labels = [provider, model]
        let resolved = TargetSeries(
            duration: duration.series(labels: labels), upstream: upstream.series(labels: labels),
            firstToken: firstToken.series(labels: labels), inputTokens: tokens.series(labels: labels + ["input"]),
            outputTokens: tokens.series(labels: labels + ["output"]), cacheHits: cacheHits.series(labels: labels),
            cacheMisses: cacheMisses.series(labels: labels))
        seriesCache.withLock { $0.targets[key] = resolved }
        return resolved
    }

    /// The series of a provider and model and the request counter of its status, with one
    /// lock and one lookup when both are known.
    private func series(_ provider: String, _ model: String, status: Int) -> (TargetSeries, PluginMetricSeries) {
        let key = RequestKey(target: TargetKey(provider: provider, model: model), status: status)
        if let cached = seriesCache.withLock({ $0.requests[key] }) { return cached }
        let resolved = (target: series(provider, model), count: requests.series(labels: [provider, model, String(status)]))
        seriesCache.withLock { $0.requests[key] = resolved }
        return resolved
    }

    /// The label values of the provider and model the PreHook noted.
    private func requestedTarget(_ context: HookContext) throws -> (String, String) {
        labels(try context[Self.targetKey]?.stringValue ?? "/")
    }

    /// A served provider and model as label values, as ``labels(_:)`` gives for
    /// `provider/model`, without joining them first.
    private func labels(provider: String, model: @autoclosure () throws -> String) rethrows -> (String, String) {
        // A provider with a slash splits at it, as the joined text did.
        if provider.utf8.contains(UInt8(ascii: "/")) { return labels(provider + "/" + (try model())) }
        return (provider, configuration.includeModelLabel ? try model() : "")
    }

    /// `provider/model` as label values; the model is dropped when so configured.
    private func labels(_ target: String) -> (String, String) {
        guard let slash = target.firstIndex(of: "/") else { return (target, "") }
        let provider = String(target[..<slash])
        return (provider, configuration.includeModelLabel ? String(target[target.index(after: slash)...]) : "")
    }

    private static func seconds(from start: Double, to now: UInt64) -> Double {
        max(0, Double(now) - start) / 1e9
    }
}

/// The monitoring plugin's configuration.
///
/// ```json
/// {"include_model_label": true, "latency_buckets": [0.01, 0.05, 0.1, 0.5, 1, 5, 30]}
/// ```
public struct MonitorConfiguration: Sendable, Hashable {
    /// Whether metrics carry the model as a label (turn off when clients send many models).
    public var includeModelLabel: Bool
    /// Histogram bounds in seconds; empty for the host's latency buckets (100 µs to 60 s).
    public var latencyBuckets: [Double]

    /// Reads and checks `configuration`.
    ///
    /// ```swift
    /// let config = try MonitorConfiguration(PluginConfiguration(text: #"{"include_model_label": false}"#))
    /// ```
    public init(_ configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["include_model_label", "latency_buckets"])
        let file = try configuration.decode(File.self)
        includeModelLabel = file.includeModelLabel ?? true
        latencyBuckets = file.latencyBuckets ?? []
        guard latencyBuckets.allSatisfy({ $0.isFinite && $0 > 0 }),
            zip(latencyBuckets, latencyBuckets.dropFirst()).allSatisfy({ $0 < $1 })
        else {
            throw PluginConfigurationError(
                "invalid configuration: 'latency_buckets' must be positive seconds in strictly ascending order, got \(latencyBuckets)"
            )
        }
    }

    private struct File: Decodable {
        var includeModelLabel: Bool?
        var latencyBuckets: [Double]?

        enum CodingKeys: String, CodingKey {
            case includeModelLabel = "include_model_label"
            case latencyBuckets = "latency_buckets"
        }
    }
}
