import BifrostCore
import BifrostNativePlugins
import CBifrostHostSupport
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// The worker side of an isolated plugin: what `bifrost plugin-worker` runs.
///
/// The gateway starts the worker with its channels as descriptors 3, 4, …; the first message
/// on the first channel creates the plugin (its configuration never appears on a command
/// line). Then one thread per channel reads a hook call, runs the plugin's hook through the
/// real host accessors against the copy it was sent, and writes back what changed. The worker
/// exits when the gateway asks (after the plugin's `destroy`) or goes away.
///
/// ```swift
/// PluginWorker.run(file: "plugins/20-guard.so", channels: 8, limits: .init(), logger: logger)
/// ```
public enum PluginWorker {
    /// Resource limits a worker applies to itself before it loads the plugin.
    public struct Limits: Sendable, Hashable {
        /// The address-space limit in MiB (`RLIMIT_AS`), or none.
        public var memoryMegabytes: Int?
        /// The open-file limit (`RLIMIT_NOFILE`), or the inherited one.
        public var openFiles: Int?

        /// Creates limits.
        public init(memoryMegabytes: Int? = nil, openFiles: Int? = nil) {
            self.memoryMegabytes = memoryMegabytes
            self.openFiles = openFiles
        }
    }

    /// Serves the plugin in `file` on `channels` channels and never returns.
    public static func run(file: String, channels: Int, limits: Limits, logger: Logger) -> Never {
        guard (1...IsolationSettings.maximumConcurrency).contains(channels) else {
            logger.critical("plugin-worker: --channels must be from 1 to \(IsolationSettings.maximumConcurrency)")
            exit(2)
        }
        apply(limits, logger: logger)
        FatalSignalReport.install()
        let all = (0..<channels).map { WorkerChannel(descriptor: 3 + Int32($0)) }
        guard let plugin = create(on: all[0], logger: logger) else { exit(0) }
        let server = WorkerServer(plugin: plugin)
        for channel in all.dropFirst() {
            startDetachedThread { server.serve(channel) }
        }
        server.serve(all[0])
    }

    private static func apply(_ limits: Limits, logger: Logger) {
        if let megabytes = limits.memoryMegabytes {
            let bytes = rlim_t(megabytes) << 20
            var limit = rlimit(rlim_cur: bytes, rlim_max: bytes)
            if setrlimit(Int32(RLIMIT_AS.rawValue), &limit) != 0 {
                logger.warning("plugin-worker: cannot limit memory to \(megabytes) MiB: \(String(cString: strerror(errno)))")
            }
        }
        if let files = limits.openFiles {
            var limit = rlimit(rlim_cur: rlim_t(files), rlim_max: rlim_t(files))
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                logger.warning("plugin-worker: cannot limit open files to \(files): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// Reads the creation message and creates the plugin; `nil` when the gateway went away or
    /// the plugin refused (the refusal was sent).
    private static func create(on channel: WorkerChannel, logger: Logger) -> NativePlugin? {
        let message: [UInt8]
        do throws(WorkerChannelError) {
            message = try channel.receive()
        } catch {
            return nil
        }
        let file: String
        let expectedHash: String
        let configuration: [UInt8]
        let handedState: [UInt8]?
        do throws(WorkerProtocolError) {
            guard message[0] == WorkerMessageKind.create.rawValue else { throw .unknownTag }
            var reader = WorkerReader(message, from: 1)
            file = try reader.readString()
            expectedHash = try reader.readString()
            configuration = try reader.readBytes()
            handedState = try reader.readBool() ? try reader.readBytes() : nil
        } catch {
            logger.critical("plugin-worker: \(error)")
            exit(2)
        }
        var writer: WorkerWriter
        var plugin: NativePlugin?
        do throws(PluginLoadError) {
            let loaded = try PluginLoader.load(
                file: file, configuration: configuration, handedState: handedState, logger: logger)
            guard loaded.descriptor.contentHash == expectedHash else {
                loaded.shutdown()
                throw PluginLoadError(
                    file: file, kind: .notLoadable, reason: "the file changed while its worker process was starting")
            }
            writer = WorkerWriter(.created)
            WorkerCreation(loaded).write(to: &writer)
            plugin = loaded
        } catch {
            writer = WorkerWriter(.refused)
            writer.write(error.kind.rawValue)
            writer.write(error.reason)
        }
        do throws(WorkerChannelError) {
            try channel.send(writer.finished())
        } catch {
            return nil
        }
        return plugin
    }
}

/// Runs hook calls for one plugin, one channel per thread.
private struct WorkerServer: Sendable {
    let plugin: NativePlugin

    func serve(_ channel: WorkerChannel) -> Never {
        while true {
            let message: [UInt8]
            do throws(WorkerChannelError) {
                message = try channel.receive()
            } catch {
                // The gateway is gone (or retired this worker without waiting): nothing to serve.
                _exit(0)
            }
            switch WorkerMessageKind(rawValue: message[0]) {
            case .hook?:
                send(decoding { () throws(WorkerProtocolError) in try run(message) }, on: channel)
            case .metrics?:
                // The worker's registry holds only what its plugin defined.
                var writer = WorkerWriter(.metricsText)
                writer.write(MetricsRegistry.shared.render())
                send(writer.finished(), on: channel)
            case .exportState?:
                var writer = WorkerWriter(.exportedState)
                do {
                    let state = try plugin.exportState()
                    writer.write(true)
                    writer.write(state != nil)
                    if let state { writer.write(state) }
                } catch {
                    writer.write(false)
                    writer.write(String(describing: error))
                }
                send(writer.finished(), on: channel)
            case .command?:
                send(decoding { () throws(WorkerProtocolError) in try runCommand(message) }, on: channel)
            case .destroy?:
                plugin.shutdown()
                try? channel.send(WorkerWriter(.destroyed).finished())
                _exit(0)
            default:
                FileOutput.standardError("bifrost plugin-worker: \(WorkerProtocolError.unknownTag)\n")
                _exit(2)
            }
        }
    }

    /// Calls the command a `command` message names with its arguments; the `commandDone` reply.
    /// The reply `work` makes of a request; a request it cannot read ends the worker (the
    /// gateway and the worker no longer agree on the wire).
    private func decoding(_ work: () throws(WorkerProtocolError) -> [UInt8]) -> [UInt8] {
        do throws(WorkerProtocolError) {
            return try work()
        } catch {
            FileOutput.standardError("bifrost plugin-worker: \(error)\n")
            _exit(2)
        }
    }

    /// Sends `reply`; a gateway that is gone leaves nothing to serve.
    private func send(_ reply: [UInt8], on channel: WorkerChannel) {
        do throws(WorkerChannelError) {
            try channel.send(reply)
        } catch {
            _exit(0)
        }
    }

    private func runCommand(_ message: [UInt8]) throws(WorkerProtocolError) -> [UInt8] {
        var reader = WorkerReader(message, from: 1)
        let name = try reader.readString()
        let arguments = try reader.readArray { (reader) throws(WorkerProtocolError) in try reader.readCommandValue() }
        var writer = WorkerWriter(.commandDone)
        do throws(PluginCommandError) {
            let value = try plugin.callCommand(name, arguments: arguments)
            writer.write(true)
            writer.write(value)
        } catch {
            writer.write(false)
            writer.write(error.code.rawValue)
            writer.write(error.message)
        }
        return writer.finished()
    }

    /// Why a hook that used the host services fails in a worker: their operations would be
    /// performed in the worker's copy of the request, never by the gateway.
    static let hostOperationsUnavailable =
        "the hook used host services (state, callouts), which are not available to a plugin with isolation: process; run it in process"

    private func run(_ message: [UInt8]) throws(WorkerProtocolError) -> [UInt8] {
        var reader = WorkerReader(message, from: 1)
        let hook = try PluginFault.Hook(wireTag: try reader.readByte())
        let snapshot = try ContextSnapshot(reading: &reader)
        let context = snapshot.makeContext()
        var writer = WorkerWriter(.hookDone, capacity: 256)
        switch hook {
        case .preHook:
            let before = try reader.readRequest()
            var request = before
            var decision: HookDecision
            do {
                switch try plugin.preHook(&request, context: context) {
                case .continue: decision = .continue
                case .respond(let response): decision = .respond(response)
                case .reject(let error): decision = .reject(error)
                case .wait(let delay): decision = .wait(nanoseconds: Self.nanoseconds(delay))
                case .pending: decision = .fault(Self.hostOperationsUnavailable)
                }
                if !context.takeDeferredHostOperations().isEmpty { decision = .fault(Self.hostOperationsUnavailable) }
            } catch {
                decision = .fault(Self.message(of: error))
            }
            ContextChanges(before: snapshot.values, after: context).write(to: &writer)
            decision.write(to: &writer)
            if case .fault = decision { break }
            RequestChanges(from: before, to: request).write(request, to: &writer)
        case .postHook:
            let before = try reader.readOutcome()
            var outcome = before
            let decision: HookDecision
            do {
                try plugin.postHook(&outcome, context: context)
                decision = context.takeDeferredHostOperations().isEmpty ? .continue : .fault(Self.hostOperationsUnavailable)
            } catch {
                decision = .fault(Self.message(of: error))
            }
            ContextChanges(before: snapshot.values, after: context).write(to: &writer)
            decision.write(to: &writer)
            if case .fault = decision { break }
            writer.write(outcome != before)
            if outcome != before { writer.write(outcome) }
        case .chunkHook:
            let before = try reader.readChunk()
            var chunk = before
            var decision: HookDecision
            do {
                switch try plugin.chunkHook(&chunk, context: context) {
                case .continue: decision = .continue
                case .drop: decision = .drop
                case .fail(let error): decision = .fail(error)
                }
                if !context.takeDeferredHostOperations().isEmpty { decision = .fault(Self.hostOperationsUnavailable) }
            } catch {
                decision = .fault(Self.message(of: error))
            }
            ContextChanges(before: snapshot.values, after: context).write(to: &writer)
            decision.write(to: &writer)
            guard case .continue = decision else { break }
            writer.write(chunk != before)
            if chunk != before { writer.write(chunk) }
        }
        return writer.finished()
    }

    private static func message(of error: any Error) -> String {
        (error as? PluginFault)?.message ?? String(describing: error)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}

/// Writes to standard error without buffering, for the worker's last words.
enum FileOutput {
    static func standardError(_ text: String) {
        var text = text
        text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}
