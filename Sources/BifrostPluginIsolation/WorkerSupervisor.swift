import BifrostCore
import BifrostNativePlugins
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Keeps one isolated plugin's worker process running: hands its channels to hook calls,
/// notices when it ends (a crash, an `exit`, a kill for overrunning a deadline), fails the
/// calls it held, and starts it again with exponential backoff, until it ends too often and
/// the plugin is marked failed.
///
/// One thread per worker waits for its end (`waitpid` on its own process id, so other children
/// of the process are never reaped here). A channel belongs to exactly one side at a time: the
/// idle list, or the call holding it; every close and shutdown happens under the lock, so a
/// descriptor number is never reused while something may still touch it.
final class WorkerSupervisor: @unchecked Sendable {
    // Safe: every mutable field is guarded by `lock`.
    private struct Worker {
        var processID: pid_t
        var generation: Int
        var open: [Int32: WorkerChannel]
    }

    /// A channel lent to one hook call, and the worker it leads to.
    struct Lease {
        var channel: WorkerChannel
        var generation: Int
    }

    private let launch: WorkerLaunch
    private let logger: Logger
    private let instruments: WorkerInstruments?
    private let lock = ConditionLock()
    /// The plugin's name, as its first worker created it.
    let pluginName: String

    private var state = PluginSupervision.State.running
    private var worker: Worker?
    private var idle: [WorkerChannel] = []
    private var nextGeneration = 1
    private var recentEnds: [UInt64] = []
    private var crashes = 0
    private var restarts = 0
    private var lastCrash: String?
    private var lastCrashTime: UInt64?
    /// Why the gateway killed a worker, by generation, so its end is reported as that.
    private var killReasons: [Int: String] = [:]
    /// How recent workers ended, by generation, for the calls they held.
    private var endings: [Int: String] = [:]

    /// Starts the first worker and its supervision; a refusal leaves nothing running.
    static func start(
        _ launch: WorkerLaunch, logger: Logger, metrics: MetricsRegistry
    ) throws(PluginLoadError) -> (WorkerSupervisor, WorkerCreation) {
        let started = try launch.start()
        // A restarted worker starts afresh: the state handed to the first was its predecessor's.
        var restart = launch
        restart.handedState = nil
        let supervisor = WorkerSupervisor(
            launch: restart, name: started.creation.name, logger: logger,
            instruments: WorkerInstruments(plugin: started.creation.name, metrics: metrics, logger: logger))
        supervisor.install(started)
        return (supervisor, started.creation)
    }

    private init(launch: WorkerLaunch, name: String, logger: Logger, instruments: WorkerInstruments?) {
        self.launch = launch
        self.pluginName = name
        self.logger = logger
        self.instruments = instruments
    }

    /// The worker's state now.
    var supervision: PluginSupervision {
        lock.withLock {
            PluginSupervision(
                state: state, processID: worker?.processID, crashes: crashes, restarts: restarts, lastCrash: lastCrash,
                lastCrashTimeNanoseconds: lastCrashTime)
        }
    }

    // MARK: Calls

    /// Sends one hook call and returns the worker's reply, within `deadline` in all (waiting for
    /// a free channel or a restart included). A worker that ends, or overruns and is killed,
    /// fails the call with a fault that says so.
    func call(_ message: [UInt8], hook: PluginFault.Hook, deadline: Duration) throws(PluginFault) -> [UInt8] {
        let end = ContinuousClock.now + deadline
        let lease = try acquire(hook: hook, deadline: deadline, end: end)
        do throws(WorkerChannelError) {
            try lease.channel.send(message, deadline: end)
            let reply = try lease.channel.receive(deadline: end)
            give(back: lease, healthy: true)
            return reply
        } catch {
            give(back: lease, healthy: false)
            if error.code == .timedOut {
                let reason = "overran its \(deadline.wholeMilliseconds) ms hook deadline in its \(hook.rawValue)"
                replace(generation: lease.generation, because: reason)
                throw fault(
                    hook,
                    "did not answer within its hook deadline of \(deadline.wholeMilliseconds) ms; its worker process is being replaced"
                )
            }
            // A worker that closed its sockets but lives on is as good as dead.
            replace(generation: lease.generation, because: "closed its connection to the gateway")
            let ending = ending(of: lease.generation, waitingUpTo: .milliseconds(500)) ?? "ended"
            throw fault(hook, "crashed: its worker process \(ending) during the call; the worker is being restarted")
        }
    }

    private func acquire(hook: PluginFault.Hook, deadline: Duration, end: ContinuousClock.Instant) throws(PluginFault) -> Lease {
        let limit = Self.monotonicDeadline(after: deadline)
        let result: Result<Lease, PluginFault> = lock.withLock {
            while true {
                switch state {
                case .running:
                    if let channel = idle.popLast(), let worker {
                        return .success(Lease(channel: channel, generation: worker.generation))
                    }
                case .restarting:
                    break
                case .failed:
                    return .failure(
                        fault(
                            hook,
                            "is marked failed after \(recentEnds.count) crashes within \(launch.settings.crashWindow.wholeMilliseconds / 1000) s (last: its worker process \(lastCrash ?? "ended")); it is not called until the plugins are reloaded"
                        ))
                case .stopped:
                    return .failure(fault(hook, "was retired; its worker process has stopped"))
                }
                guard lock.wait(untilMonotonicNanoseconds: limit) else {
                    let why =
                        state == .restarting
                        ? "its worker process is restarting after it \(lastCrash ?? "ended") and was not back within \(deadline.wholeMilliseconds) ms"
                        : "all \(launch.settings.concurrency) of its worker's channels stayed busy for \(deadline.wholeMilliseconds) ms"
                    return .failure(fault(hook, why))
                }
            }
        }
        return try result.get()
    }

    private func give(back lease: Lease, healthy: Bool) {
        lock.withLock {
            if healthy, state == .running, worker?.generation == lease.generation {
                idle.append(lease.channel)
                lock.broadcast()
                return
            }
            if worker?.generation == lease.generation { worker?.open[lease.channel.descriptor] = nil }
            lease.channel.close()
        }
    }

    /// Kills the worker of `generation` if it still runs; its end is then reported as `reason`.
    private func replace(generation: Int, because reason: String) {
        lock.withLock {
            guard let worker, worker.generation == generation, killReasons[generation] == nil,
                endings[generation] == nil
            else { return }
            killReasons[generation] = reason
            // Not reaped yet (reaping clears `worker` under this lock), so the id is still this worker's.
            kill(worker.processID, SIGKILL)
        }
    }

    private func ending(of generation: Int, waitingUpTo limit: Duration) -> String? {
        let deadline = Self.monotonicDeadline(after: limit)
        return lock.withLock {
            while endings[generation] == nil {
                guard lock.wait(untilMonotonicNanoseconds: deadline) else { break }
            }
            return endings[generation]
        }
    }

    // MARK: Supervision

    private func install(_ started: WorkerLaunch.Started) {
        let generation = lock.withLock {
            let generation = nextGeneration
            nextGeneration += 1
            worker = Worker(
                processID: started.processID, generation: generation,
                open: Dictionary(uniqueKeysWithValues: started.channels.map { ($0.descriptor, $0) }))
            idle = started.channels
            state = .running
            lock.broadcast()
            return generation
        }
        instruments?.up.set(1)
        startDetachedThread { [self] in supervise(processID: started.processID, generation: generation) }
    }

    /// Waits for the worker to end, then restarts it (after its backoff) until the plugin is
    /// stopped or failed.
    private func supervise(processID: pid_t, generation: Int) {
        let exit = WorkerExit.wait(for: processID)
        guard var delay = noteEnd(of: generation, exit: exit) else { return }
        while true {
            Self.sleep(delay)
            do throws(PluginLoadError) {
                let started = try launch.start()
                guard started.creation.name == pluginName else {
                    kill(started.processID, SIGKILL)
                    _ = WorkerExit.wait(for: started.processID)
                    for channel in started.channels { channel.close() }
                    throw PluginLoadError(
                        file: launch.file, kind: .invalidName,
                        reason: "the restarted worker created a plugin named '\(started.creation.name)'")
                }
                let keep = lock.withLock { () -> Bool in
                    guard state == .restarting else { return false }
                    restarts += 1
                    return true
                }
                guard keep else {
                    kill(started.processID, SIGKILL)
                    _ = WorkerExit.wait(for: started.processID)
                    for channel in started.channels { channel.close() }
                    return
                }
                instruments?.restarts.add(1)
                logger.notice("plugin '\(pluginName)': worker process \(started.processID) started again")
                install(started)
                return
            } catch {
                guard let next = noteFailedRestart(error) else { return }
                delay = next
            }
        }
    }

    /// Records a worker's end; the backoff before the restart, or `nil` when none follows.
    private func noteEnd(of generation: Int, exit: WorkerExit) -> Duration? {
        lock.withLock { () -> Duration? in
            let killed = exit.signal == SIGKILL ? killReasons[generation] : nil
            let reason = killed ?? exit.description
            endings[generation] = reason
            endings = endings.filter { $0.key > generation - 64 }
            killReasons[generation] = nil
            if let ended = worker, ended.generation == generation {
                for channel in idle { channel.close() }
                for channel in ended.open.values where !idle.contains(where: { $0.descriptor == channel.descriptor }) {
                    channel.shutDown()
                }
                idle = []
                worker = nil
            }
            lock.broadcast()
            guard state != .stopped else { return nil }
            instruments?.up.set(0)
            return noteCrash(reason)
        }
    }

    private func noteFailedRestart(_ error: PluginLoadError) -> Duration? {
        lock.withLock { () -> Duration? in
            guard state != .stopped else { return nil }
            return noteCrash("could not be started again: \(error.reason)")
        }
    }

    /// Counts an unasked end (with the lock held) and decides between a restart and `failed`.
    private func noteCrash(_ reason: String) -> Duration? {
        crashes += 1
        lastCrash = reason
        lastCrashTime = RequestContext.wallClockNanoseconds()
        instruments?.crashes.add(1)
        let now = RequestContext.monotonicNanoseconds()
        let window = UInt64(launch.settings.crashWindow.wholeMilliseconds) * 1_000_000
        recentEnds = recentEnds.filter { now - $0 < window } + [now]
        lock.broadcast()
        if recentEnds.count >= launch.settings.maximumCrashes {
            state = .failed
            logger.error(
                "plugin '\(pluginName)': its worker process \(reason); \(recentEnds.count) crashes within \(launch.settings.crashWindow.wholeMilliseconds / 1000) s, so the plugin is marked failed and its failure policy applies without calling it until the plugins are reloaded"
            )
            return nil
        }
        state = .restarting
        let delay = launch.settings.backoff(afterRecentCrashes: recentEnds.count)
        logger.warning(
            "plugin '\(pluginName)': its worker process \(reason); the calls it held failed by the plugin's policy; restarting in \(delay.wholeMilliseconds) ms"
        )
        return delay
    }

    /// The metrics the plugin defined in its worker, in Prometheus's text format; empty when no
    /// worker answers within a second (restarting, failed, busy).
    func renderMetrics() -> String {
        // One exchange as a hook call makes, so a worker that hangs on it is replaced like one.
        guard let reply = try? call(WorkerWriter(.metrics).finished(), hook: .postHook, deadline: .seconds(1)),
            reply.first == WorkerMessageKind.metricsText.rawValue
        else { return "" }
        var reader = WorkerReader(reply, from: 1)
        return (try? reader.readString()) ?? ""
    }

    /// Asks the worker for the plugin's state (a reload hands it to the successor): the bytes,
    /// `nil` for none, or an error saying why not.
    func exportState() throws(PluginFault) -> [UInt8]? {
        let deadline = Duration.seconds(10)
        let reply = try call(WorkerWriter(.exportState).finished(), hook: .postHook, deadline: deadline)
        let exported: Bool
        let state: [UInt8]?
        let reason: String
        do throws(WorkerProtocolError) {
            guard reply.first == WorkerMessageKind.exportedState.rawValue else { throw .unknownTag }
            var reader = WorkerReader(reply, from: 1)
            exported = try reader.readBool()
            let present = exported ? try reader.readBool() : false
            state = present ? try reader.readBytes() : nil
            reason = exported ? "" : try reader.readString()
        } catch {
            throw PluginFault(plugin: pluginName, hook: .postHook, message: "its worker answered export_state out of protocol")
        }
        guard exported else {
            throw PluginFault(plugin: pluginName, hook: .postHook, message: "export_state failed: \(reason)")
        }
        return state
    }

    // MARK: Stopping

    /// Retires the plugin: the worker runs the plugin's `destroy` and exits (killed if it does
    /// not within five seconds). Calls after this fail.
    func stop() {
        let (lease, processID) = lock.withLock { () -> (Lease?, pid_t?) in
            guard state != .stopped else { return (nil, nil) }
            state = .stopped
            lock.broadcast()
            guard let worker else { return (nil, nil) }
            let lease = idle.popLast().map { Lease(channel: $0, generation: worker.generation) }
            return (lease, worker.processID)
        }
        guard let processID else { return }
        var destroyed = false
        if let lease {
            let deadline = ContinuousClock.now + .seconds(5)
            do throws(WorkerChannelError) {
                try lease.channel.send(WorkerWriter(.destroy).finished(), deadline: deadline)
                destroyed = try lease.channel.receive(deadline: deadline).first == WorkerMessageKind.destroyed.rawValue
            } catch {
                destroyed = false
            }
            give(back: lease, healthy: false)
        }
        if !destroyed {
            lock.withLock {
                if worker?.processID == processID { kill(processID, SIGKILL) }
            }
        }
    }

    // MARK: Helpers

    private func fault(_ hook: PluginFault.Hook, _ message: String) -> PluginFault {
        PluginFault(plugin: pluginName, hook: hook, message: message)
    }

    private static func monotonicDeadline(after duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return RequestContext.monotonicNanoseconds() + UInt64(max(seconds, 0)) * 1_000_000_000
            + UInt64(max(attoseconds, 0) / 1_000_000_000)
    }

    private static func sleep(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&request, &remaining) != 0, errno == EINTR { request = remaining }
    }
}

/// An isolated plugin's worker metrics: crashes, restarts and whether a worker is up.
struct WorkerInstruments: Sendable {
    let crashes: MetricSeries
    let restarts: MetricSeries
    let up: MetricSeries

    init?(plugin: String, metrics: MetricsRegistry, logger: Logger) {
        do {
            crashes = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: "bifrost_plugin_worker_crashes_total",
                    help: "Isolated plugins' worker processes that ended unasked (crash, exit, killed past a hook deadline).",
                    labelNames: ["plugin"])
            ).series([plugin])
            restarts = try metrics.define(
                MetricDefinition(
                    kind: .counter, name: "bifrost_plugin_worker_restarts_total",
                    help: "Isolated plugins' worker processes started again after one ended.", labelNames: ["plugin"])
            ).series([plugin])
            up = try metrics.define(
                MetricDefinition(
                    kind: .gauge, name: "bifrost_plugin_worker_up",
                    help: "Whether an isolated plugin's worker process is serving (1) or not (0).", labelNames: ["plugin"])
            ).series([plugin])
        } catch {
            logger.error("isolated plugin metrics are off: \(error)")
            return nil
        }
    }
}
