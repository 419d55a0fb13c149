import BifrostCore
import BifrostNativePlugins
import CBifrostHostSupport

#if canImport(Glibc)
    import Glibc
#endif

/// What a worker is started with, and the plugin it created.
struct WorkerLaunch: Sendable {
    var file: String
    var configuration: [UInt8]
    var contentHash: String
    /// The state the instance this one replaces exported, handed to the first worker's create.
    var handedState: [UInt8]?
    var settings: IsolationSettings

    /// A started worker: its process and the gateway's ends of its channels.
    struct Started {
        var processID: pid_t
        var channels: [WorkerChannel]
        var creation: WorkerCreation
    }

    /// Starts a worker process, hands it the configuration and waits for its plugin to be
    /// created. A refusal, or a worker that ends or stays silent, is a ``PluginLoadError``
    /// and leaves no process behind.
    func start() throws(PluginLoadError) -> Started {
        let count = min(max(settings.concurrency, 1), IsolationSettings.maximumConcurrency)
        var gatewayEnds: [WorkerChannel] = []
        var workerEnds: [WorkerChannel] = []
        defer { for channel in workerEnds { channel.close() } }
        do throws(WorkerChannelError) {
            for _ in 0..<count {
                let pair = try WorkerChannel.makePair()
                gatewayEnds.append(pair.gateway)
                workerEnds.append(pair.worker)
            }
        } catch {
            for channel in gatewayEnds { channel.close() }
            throw refusal(.notLoadable, "cannot create the worker's sockets: \(String(cString: strerror(errno)))")
        }
        let executable = settings.workerExecutable ?? Self.runningExecutable
        var arguments = [
            executable, "plugin-worker", "--file", file, "--channels", "\(count)", "--log-level", settings.logLevel.rawValue,
        ]
        if let limit = settings.memoryLimitMegabytes { arguments += ["--memory-limit-mb", "\(limit)"] }
        if let limit = settings.openFileLimit { arguments += ["--open-file-limit", "\(limit)"] }
        let processID = Self.spawn(executable, arguments, workerEnds.map(\.descriptor))
        guard processID > 0 else {
            let reason = String(cString: strerror(errno))
            for channel in gatewayEnds { channel.close() }
            throw refusal(.notLoadable, "cannot start a worker process from \(executable): \(reason)")
        }
        do throws(CreationFailure) {
            let creation = try create(on: gatewayEnds[0])
            return Started(processID: processID, channels: gatewayEnds, creation: creation)
        } catch {
            // Not reaped yet, so the id cannot have been reused: the kill reaches this worker.
            kill(processID, SIGKILL)
            let ending = WorkerExit.wait(for: processID)
            for channel in gatewayEnds { channel.close() }
            switch error {
            case .refused(let refusal): throw refusal
            case .ended:
                throw refusal(
                    .notLoadable,
                    "the worker process \(ending) before creating the plugin (is \(executable) a bifrost executable?)")
            }
        }
    }

    /// Why a worker created no plugin: a refusal to pass on, or a worker that ended first.
    private enum CreationFailure: Error {
        case refused(PluginLoadError)
        case ended
    }

    private func create(on channel: WorkerChannel) throws(CreationFailure) -> WorkerCreation {
        var writer = WorkerWriter(.create, capacity: configuration.count + (handedState?.count ?? 0) + file.utf8.count + 128)
        writer.write(file)
        writer.write(contentHash)
        writer.write(configuration)
        writer.write(handedState != nil)
        if let handedState { writer.write(handedState) }
        let reply: [UInt8]
        do throws(WorkerChannelError) {
            let deadline = ContinuousClock.now + settings.startTimeout
            try channel.send(writer.finished(), deadline: deadline)
            reply = try channel.receive(deadline: deadline)
        } catch {
            guard error.code == .timedOut else { throw .ended }
            throw .refused(
                refusal(
                    .notLoadable,
                    "the worker process did not create the plugin within \(settings.startTimeout.wholeMilliseconds) ms"))
        }
        let answer: Result<WorkerCreation, PluginLoadError>
        do throws(WorkerProtocolError) {
            var reader = WorkerReader(reply, from: 1)
            switch WorkerMessageKind(rawValue: reply[0]) {
            case .created?: answer = .success(try WorkerCreation(reading: &reader))
            case .refused?:
                let kind = PluginLoadError.Kind(rawValue: try reader.readString()) ?? .refused
                answer = .failure(refusal(kind, try reader.readString()))
            default: throw WorkerProtocolError.unknownTag
            }
        } catch {
            throw .refused(
                refusal(.notLoadable, "the worker process answered its creation with a malformed message: \(error)"))
        }
        switch answer {
        case .success(let creation): return creation
        case .failure(let refusal): throw .refused(refusal)
        }
    }

    private func refusal(_ kind: PluginLoadError.Kind, _ reason: String) -> PluginLoadError {
        PluginLoadError(file: file, kind: kind, reason: reason)
    }

    /// The running executable's path (what `/proc/self/exe` links to), so a worker's command line names it.
    static let runningExecutable: String = {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard count > 0 else { return "/proc/self/exe" }
        return String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }()

    private static func spawn(_ executable: String, _ arguments: [String], _ descriptors: [Int32]) -> pid_t {
        var pointers = arguments.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return descriptors.withUnsafeBufferPointer { fds in
            bifrost_host_spawn_worker(executable, pointers, fds.baseAddress, Int32(fds.count))
        }
    }
}

/// The plugin a worker created, as its `created` message describes it.
struct WorkerCreation: Sendable {
    var name: String
    var version: String
    var hooks: PluginHooks
    var abiVersion: String
    var failsOpenByDefault: Bool
    /// What the plugin declared it reads (ABI 1.6); `nil` for an older plugin. The worker's
    /// accessors enforce it; the gateway shows it.
    var capabilities: PluginCapabilities?
    var commands: [PluginCommandDeclaration]

    init(_ plugin: NativePlugin) {
        name = plugin.descriptor.name
        version = plugin.descriptor.version
        hooks = plugin.descriptor.hooks
        abiVersion = plugin.descriptor.abiVersion ?? ""
        failsOpenByDefault = plugin.descriptor.defaultFailurePolicy == .failOpen
        capabilities = plugin.descriptor.capabilities
        commands = plugin.commands
    }

    init(reading reader: inout WorkerReader) throws(WorkerProtocolError) {
        name = try reader.readString()
        version = try reader.readString()
        hooks = PluginHooks(rawValue: try reader.readByte())
        abiVersion = try reader.readString()
        failsOpenByDefault = try reader.readBool()
        capabilities = try reader.readBool() ? PluginCapabilities(rawValue: try reader.readUInt64()) : nil
        commands = try reader.readArray { (reader) throws(WorkerProtocolError) in try reader.readCommandDeclaration() }
    }

    func write(to writer: inout WorkerWriter) {
        writer.write(name)
        writer.write(version)
        writer.write(hooks.rawValue)
        writer.write(abiVersion)
        writer.write(failsOpenByDefault)
        writer.write(capabilities != nil)
        if let capabilities { writer.write(capabilities.rawValue) }
        writer.write(commands) { $0.write($1) }
    }
}

/// How a worker process ended, from its `waitpid` status.
struct WorkerExit: Sendable, CustomStringConvertible {
    var status: Int32

    /// Waits for the process to end and reaps it.
    static func wait(for processID: pid_t) -> WorkerExit {
        var status: Int32 = 0
        while waitpid(processID, &status, 0) < 0 {
            guard errno == EINTR else { return WorkerExit(status: 0) }
        }
        return WorkerExit(status: status)
    }

    /// The signal that ended the process, if one did.
    var signal: Int32? {
        let number = status & 0x7f
        return number != 0 && number != 0x7f ? number : nil
    }

    var description: String {
        if let signal { return "was killed by \(Self.name(ofSignal: signal))" }
        return "exited with status \((status >> 8) & 0xff)"
    }

    static func name(ofSignal signal: Int32) -> String {
        switch signal {
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGABRT: "SIGABRT"
        case SIGILL: "SIGILL"
        case SIGFPE: "SIGFPE"
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGTRAP: "SIGTRAP"
        case SIGSYS: "SIGSYS"
        case SIGPIPE: "SIGPIPE"
        default: "signal \(signal)"
        }
    }
}
