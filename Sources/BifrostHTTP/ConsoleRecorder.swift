import BifrostCore
import BifrostLibrary

/// What the console shows of live traffic: a bounded ring of the latest requests (the live
/// tail) and periodic samples of the metrics registry (per-plugin hook latency and faults,
/// requests by status), from which `/api/stats` derives rates and quantiles over the last
/// minutes. Memory is bounded by ``tailCapacity`` and ``sampleCount``.
///
/// A request costs one clock read, one lock and three references kept (its context, model
/// and provider; the id, route, latency and plugins are read from them only when the tail
/// is), measured at about 0.3 µs in a release build; the sampling runs at most once per
/// ``sampleInterval``, on whichever request or `/api/stats` read finds it due, so no timer
/// outlives the server.
final class ConsoleRecorder: Sendable {
    /// One request as the live tail shows it: its context gives the id, route, arrival and
    /// the plugins entered. Never message content, never a key.
    struct TailEntry: Sendable {
        var sequence: UInt64
        var context: RequestContext
        var model: String
        var provider: String
        var status: Int
        var finishedAt: ContinuousClock.Instant

        /// From arrival to the answer (for a stream, to its head).
        var latencyMilliseconds: Double {
            let elapsed = finishedAt - context.arrivalInstant
            return Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        }
    }

    /// The metrics at one moment.
    struct Sample: Sendable {
        var at: ContinuousClock.Instant
        var atNanoseconds: UInt64
        var requests: UInt64
        var errors: UInt64
        /// Requests by HTTP status, indexed by the status.
        var byStatus: [UInt64]
        /// Per plugin, its hooks' cumulative bucket counts added up.
        var hookCounts: [String: [UInt64]]
        var faults: [String: Double]
    }

    static let tailCapacity = 200
    static let sampleCount = 60
    /// Statuses are counted in an array indexed by the status, cheaper than a dictionary.
    static let statusSlots = 600

    private struct State {
        var tail: [TailEntry] = []
        var nextSlot = 0
        var sequence: UInt64 = 0
        var requests: UInt64 = 0
        var errors: UInt64 = 0
        var byStatus = [UInt64](repeating: 0, count: ConsoleRecorder.statusSlots)
        var samples: [Sample] = []
        var lastSampleAt: ContinuousClock.Instant
    }

    let sampleInterval: Duration
    private let metrics: MetricsRegistry
    private let state: LockedValue<State>

    init(metrics: MetricsRegistry, sampleInterval: Duration = .seconds(5)) {
        self.metrics = metrics
        self.sampleInterval = sampleInterval
        var initial = State(lastSampleAt: .now)
        initial.tail.reserveCapacity(Self.tailCapacity)
        state = LockedValue(initial)
        let first = takeSample(requests: 0, errors: 0, byStatus: initial.byStatus)
        state.withLock { $0.samples.append(first) }
    }

    /// Records a finished (or, for a stream, started) request.
    func record(context: RequestContext, status: Int, provider: String, model: String) {
        let now = ContinuousClock.now
        let due = state.withLock { state -> (UInt64, UInt64, [UInt64])? in
            state.sequence += 1
            state.requests += 1
            if status >= 400 { state.errors += 1 }
            state.byStatus[min(max(status, 0), Self.statusSlots - 1)] += 1
            let entry = TailEntry(
                sequence: state.sequence, context: context, model: model, provider: provider, status: status, finishedAt: now)
            if state.tail.count < Self.tailCapacity {
                state.tail.append(entry)
            } else {
                state.tail[state.nextSlot] = entry
            }
            state.nextSlot = (state.nextSlot + 1) % Self.tailCapacity
            guard now - state.lastSampleAt >= sampleInterval else { return nil }
            state.lastSampleAt = now
            return (state.requests, state.errors, state.byStatus)
        }
        if let (requests, errors, byStatus) = due {
            appendSample(takeSample(requests: requests, errors: errors, byStatus: byStatus))
        }
    }

    /// The tail entries after `sequence`, oldest first.
    func tail(after sequence: UInt64 = 0) -> [TailEntry] {
        state.withLock { state in
            let ordered =
                state.tail.count < Self.tailCapacity
                ? state.tail : Array(state.tail[state.nextSlot...] + state.tail[..<state.nextSlot])
            return ordered.filter { $0.sequence > sequence }
        }
    }

    /// The stored samples, oldest first, and one taken now (not stored unless due).
    func samples() -> [Sample] {
        let now = ContinuousClock.now
        let (stored, counts, due) = state.withLock { state in
            let due = now - state.lastSampleAt >= sampleInterval
            if due { state.lastSampleAt = now }
            return (state.samples, (state.requests, state.errors, state.byStatus), due)
        }
        let current = takeSample(requests: counts.0, errors: counts.1, byStatus: counts.2)
        if due { appendSample(current) }
        return stored + [current]
    }

    /// The bounds of the hook duration histogram, seconds (`+Inf` after the last).
    var hookBucketBounds: [Double] {
        metrics.family(named: MetricsRegistry.hookDurationMetric)?.definition.buckets ?? []
    }

    private func appendSample(_ sample: Sample) {
        state.withLock { state in
            if state.samples.count >= Self.sampleCount { state.samples.removeFirst(state.samples.count - Self.sampleCount + 1) }
            state.samples.append(sample)
        }
    }

    private func takeSample(requests: UInt64, errors: UInt64, byStatus: [UInt64]) -> Sample {
        var hookCounts: [String: [UInt64]] = [:]
        for series in metrics.family(named: MetricsRegistry.hookDurationMetric)?.snapshot() ?? [] {
            guard let plugin = series.labels.first else { continue }
            if let earlier = hookCounts[plugin], earlier.count == series.cumulativeCounts.count {
                hookCounts[plugin] = zip(earlier, series.cumulativeCounts).map { $0 + $1 }
            } else {
                hookCounts[plugin] = series.cumulativeCounts
            }
        }
        var faults: [String: Double] = [:]
        for series in metrics.family(named: MetricsRegistry.pluginFaultsMetric)?.snapshot() ?? [] {
            guard let plugin = series.labels.first else { continue }
            faults[plugin, default: 0] += series.value
        }
        return Sample(
            at: .now, atNanoseconds: RequestContext.wallClockNanoseconds(), requests: requests, errors: errors,
            byStatus: byStatus, hookCounts: hookCounts, faults: faults)
    }

    /// The `q` quantile (0…1) of the observations between two cumulative bucket counts,
    /// interpolated within its bucket; `nil` without observations.
    static func quantile(_ q: Double, from older: [UInt64], to newer: [UInt64], bounds: [Double]) -> Double? {
        guard newer.count == bounds.count + 1 else { return nil }
        let base = older.count == newer.count ? older : Array(repeating: 0, count: newer.count)
        let deltas = zip(newer, base).map { $0 &- $1 }
        guard let total = deltas.last, total > 0 else { return nil }
        let target = q * Double(total)
        for index in deltas.indices where Double(deltas[index]) >= target {
            guard index < bounds.count else { return bounds.last }
            let lower = index == 0 ? 0 : bounds[index - 1]
            let below = index == 0 ? 0 : Double(deltas[index - 1])
            let inBucket = Double(deltas[index]) - below
            guard inBucket > 0 else { return bounds[index] }
            return lower + (bounds[index] - lower) * (target - below) / inBucket
        }
        return bounds.last
    }
}
