import Logging

/// The chain's own metrics: each hook's duration per plugin, faults, and hooks that overran
/// their deadline.
///
/// Series are resolved once, when the chain is built, so recording costs two relaxed atomic
/// additions and one clock read per hook (the end of one hook is the start of the next).
struct ChainInstruments: Sendable {
    /// The `hook` label of each ``PluginFault/Hook``, in the order ``index(_:)`` gives.
    private static let hookLabels = ["pre_hook", "post_hook", "chunk_hook"]

    /// At most one overrun warning per plugin in this many nanoseconds.
    private static let overrunWarningInterval: UInt64 = 10_000_000_000

    private let durations: [[MetricSeries]]
    private let faults: MetricFamily
    private let overruns: MetricFamily
    private let names: [String]
    private let deadlines: [UInt64]
    private let deadlineTexts: [String]
    private let lastOverrunWarning: LockedValue<[UInt64]>
    private let logger: Logger

    init?(entries: [ChainEntry], metrics: MetricsRegistry, logger: Logger) {
        do {
            let durationFamily = try metrics.define(
                MetricDefinition(
                    kind: .histogram, name: MetricsRegistry.hookDurationMetric,
                    help: "Time spent in each plugin hook, by plugin and hook.", labelNames: ["plugin", "hook"],
                    buckets: [
                        0.000_000_5, 0.000_001, 0.000_002_5, 0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1,
                        0.000_25, 0.000_5, 0.001, 0.005, 0.01, 0.1,
                    ]))
            faults = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: MetricsRegistry.pluginFaultsMetric,
                    help: "Plugin hooks that faulted, by plugin and hook.", labelNames: ["plugin", "hook"]))
            overruns = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: "bifrost_plugin_hook_overruns_total",
                    help: "Plugin hook calls that took longer than the plugin's hook deadline, by plugin and hook.",
                    labelNames: ["plugin", "hook"]))
            names = entries.map(\.plugin.descriptor.name)
            deadlines = entries.map { UInt64($0.hookDeadline.wholeMilliseconds) * 1_000_000 }
            deadlineTexts = entries.map { "\($0.hookDeadline.wholeMilliseconds) ms" }
            lastOverrunWarning = LockedValue(Array(repeating: 0, count: entries.count))
            self.logger = logger
            durations = names.map { name in
                Self.hookLabels.map { durationFamily.series([name, $0]) }
            }
        } catch {
            logger.error("plugin hook metrics are off: \(error)")
            return nil
        }
    }

    func startClock() -> UInt64 { RequestContext.monotonicNanoseconds() }

    @inline(__always)
    func record(_ hook: PluginFault.Hook, plugin index: Int, clock: inout UInt64?) {
        guard let started = clock else { return }
        let now = RequestContext.monotonicNanoseconds()
        let elapsed = now &- started
        durations[index][Self.index(hook)].observe(Double(elapsed) / 1e9)
        if elapsed > deadlines[index] { overran(hook, plugin: index, nanoseconds: elapsed, at: now) }
        clock = now
    }

    private func overran(_ hook: PluginFault.Hook, plugin index: Int, nanoseconds: UInt64, at now: UInt64) {
        overruns.series([names[index], Self.hookLabels[Self.index(hook)]]).add(1)
        let warn = lastOverrunWarning.withLock { last in
            guard last[index] == 0 || now &- last[index] >= Self.overrunWarningInterval else { return false }
            last[index] = now
            return true
        }
        guard warn else { return }
        logger.warning(
            "plugin '\(names[index])' took \(nanoseconds / 1_000_000) ms in its \(hook.rawValue), over its hook deadline of \(deadlineTexts[index]); an in-process hook cannot be stopped, so its requests waited (mark a plugin that blocks \"blocking\": true to keep it off the network threads)"
        )
    }

    func countFault(plugin index: Int, hook: PluginFault.Hook) {
        faults.series([names[index], Self.hookLabels[Self.index(hook)]]).add(1)
    }

    @inline(__always)
    private static func index(_ hook: PluginFault.Hook) -> Int {
        switch hook {
        case .preHook: 0
        case .postHook: 1
        case .chunkHook: 2
        }
    }
}
