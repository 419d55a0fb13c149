public import BifrostCore
public import BifrostNativePlugins
public import Logging

/// A native plugin whose hooks run in a supervised worker process: the same `.so`, loaded by
/// the `bifrost` executable in its worker mode, so a crash, a hang or a stray write in the
/// plugin ends or stalls only its worker and the calls it held, never the gateway.
///
/// Each hook call sends the worker a copy of what the hook may read (the request, outcome or
/// chunk, and the context), the worker runs the real host accessors against it, and only what
/// the hook changed comes back to be applied here. Calls block their thread (never a network
/// event loop: a chain with an isolated plugin runs requests on the blocking pool) for at most
/// the plugin's hook deadline; an overrun fails the call by the plugin's policy and replaces the
/// worker.
///
/// ```swift
/// let plugin = try IsolatedPlugin.launch(file: "plugins/20-guard.so", configuration: Array("{}".utf8))
/// let chain = PluginChain([ChainEntry(plugin)])
/// ```
public final class IsolatedPlugin: SupervisedPlugin {
    public let descriptor: PluginDescriptor
    /// The commands the plugin declared in its worker (ABI 1.5); see `IsolatedPlugin+Commands.swift`.
    public let commands: [PluginCommandDeclaration]
    let supervisor: WorkerSupervisor
    private let hookDeadline: Duration
    private let metrics: MetricsRegistry
    private let metricsSource: UInt64

    private init(
        descriptor: PluginDescriptor, commands: [PluginCommandDeclaration], supervisor: WorkerSupervisor, hookDeadline: Duration,
        metrics: MetricsRegistry
    ) {
        self.descriptor = descriptor
        self.commands = commands
        self.supervisor = supervisor
        self.hookDeadline = hookDeadline
        self.metrics = metrics
        // The plugin's own metrics live in its worker; /metrics asks for them when scraped.
        metricsSource = metrics.addExpositionSource { [weak supervisor] in supervisor?.renderMetrics() ?? "" }
    }

    /// Starts a worker for the plugin in `file` and creates the plugin there with `configuration`.
    ///
    /// - Parameters:
    ///   - handedState: the state the instance this one replaces exported (ABI 1.4), which the
    ///     first worker's create receives; a restarted worker starts without it.
    ///   - hookDeadline: how long one hook call may take, waiting for a free or restarted worker
    ///     included; the chain entry's ``BifrostCore/ChainEntry/hookDeadline``.
    ///   - metrics: where the worker metrics (`bifrost_plugin_worker_*`) are recorded, and whose
    ///     exposition includes the metrics the plugin defines in its worker.
    /// - Throws: the plugin's refusal, as an in-process load would report it, or why the worker
    ///   could not be started.
    public static func launch(
        file: String,
        configuration: [UInt8] = [],
        handedState: [UInt8]? = nil,
        settings: IsolationSettings = IsolationSettings(),
        hookDeadline: Duration = ChainEntry.defaultHookDeadline,
        logger: Logger = Logger(label: "bifrost.plugin"),
        metrics: MetricsRegistry = .shared
    ) throws(PluginLoadError) -> IsolatedPlugin {
        let contentHash = try PluginLoader.contentHash(of: file)
        let launch = WorkerLaunch(
            file: file, configuration: configuration, contentHash: contentHash, handedState: handedState, settings: settings)
        let (supervisor, creation) = try WorkerSupervisor.start(launch, logger: logger, metrics: metrics)
        var descriptor = PluginDescriptor(
            name: creation.name, version: creation.version, hooks: creation.hooks, kind: "native",
            abiVersion: creation.abiVersion, file: file,
            defaultFailurePolicy: creation.failsOpenByDefault ? .failOpen : .failClosed)
        descriptor.contentHash = contentHash
        descriptor.capabilities = creation.capabilities
        return IsolatedPlugin(
            descriptor: descriptor, commands: creation.commands, supervisor: supervisor, hookDeadline: hookDeadline,
            metrics: metrics)
    }

    public var supervision: PluginSupervision { supervisor.supervision }

    /// Whether the plugin declared capabilities (ABI 1.6) without credentials.
    private var hidesCredentials: Bool { descriptor.capabilities.map { !$0.contains(.credentials) } ?? false }

    /// Puts back the credential headers withheld from the worker, unless the hook set a header of
    /// that name itself (writing is never restricted); a hook that changed other headers sent its
    /// whole header list back without them.
    private static func restore(_ withheld: [HeaderFields.Field], into request: inout ChatRequest) {
        var restored: Set<String> = []
        for field in withheld where request.headers[field.name] == nil || restored.contains(field.name) {
            if restored.insert(field.name).inserted { request.headers[field.name] = nil }
            request.headers.add(name: field.name, value: field.value)
        }
    }

    public func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        guard descriptor.hooks.contains(.pre) else { return .continue }
        let snapshot = ContextSnapshot(context)
        var writer = WorkerWriter(.hook, capacity: 1024)
        writer.write(PluginFault.Hook.preHook.wireTag)
        snapshot.write(to: &writer)
        // Credentials the plugin did not declare never leave the gateway (the worker would
        // hide them anyway, PluginSDK/DESIGN.md §6); they are put back after the hook.
        let withheld = hidesCredentials ? PluginCapabilities.credentialHeaders(of: request.headers) : []
        if withheld.isEmpty {
            writer.write(request: request)
        } else {
            var shown = request
            for field in withheld { shown.headers[field.name] = nil }
            writer.write(request: shown)
        }
        var reader = try exchange(writer.finished(), .preHook)
        defer { Self.restore(withheld, into: &request) }
        return try decoding(.preHook) { () throws -> PreHookResult in
            try ContextChanges(reading: &reader).apply(to: context)
            let decision = try HookDecision(reading: &reader)
            switch decision {
            case .continue:
                try RequestChanges.read(&reader, into: &request)
                return .continue
            case .respond(let response):
                try RequestChanges.read(&reader, into: &request)
                return .respond(response)
            case .reject(let error):
                try RequestChanges.read(&reader, into: &request)
                return .reject(error)
            case .wait(let nanoseconds):
                try RequestChanges.read(&reader, into: &request)
                return .wait(.nanoseconds(nanoseconds))
            case .fault(let message): throw HookFailure(message: message)
            case .drop, .fail: throw WorkerProtocolError.unknownTag
            }
        }
    }

    public func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard descriptor.hooks.contains(.post) else { return }
        var writer = WorkerWriter(.hook, capacity: 1024)
        writer.write(PluginFault.Hook.postHook.wireTag)
        ContextSnapshot(context).write(to: &writer)
        writer.write(outcome)
        var reader = try exchange(writer.finished(), .postHook)
        try decoding(.postHook) { () throws in
            try ContextChanges(reading: &reader).apply(to: context)
            switch try HookDecision(reading: &reader) {
            case .continue:
                if try reader.readBool() { Self.apply(try reader.readOutcome(), to: &outcome) }
            case .fault(let message): throw HookFailure(message: message)
            default: throw WorkerProtocolError.unknownTag
            }
        }
    }

    public func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        guard descriptor.hooks.contains(.chunk) else { return .continue }
        var writer = WorkerWriter(.hook, capacity: 512)
        writer.write(PluginFault.Hook.chunkHook.wireTag)
        ContextSnapshot(context).write(to: &writer)
        writer.write(chunk)
        var reader = try exchange(writer.finished(), .chunkHook)
        return try decoding(.chunkHook) { () throws -> ChunkHookResult in
            try ContextChanges(reading: &reader).apply(to: context)
            switch try HookDecision(reading: &reader) {
            case .continue:
                if try reader.readBool() { Self.apply(try reader.readChunk(), to: &chunk) }
                return .continue
            case .drop: return .drop
            case .fail(let error): return .fail(error)
            case .fault(let message): throw HookFailure(message: message)
            default: throw WorkerProtocolError.unknownTag
            }
        }
    }

    /// The state the plugin's worker exports for its successor (ABI 1.4 `export_state`); none
    /// from a plugin marked failed, whose successor (an operator's reload) starts afresh.
    public func exportState() throws -> [UInt8]? {
        guard supervisor.supervision.state != .failed else { return nil }
        return try supervisor.exportState()
    }

    /// Stops the worker: it runs the plugin's `destroy` and exits.
    public func shutdown() {
        metrics.removeExpositionSource(metricsSource)
        supervisor.stop()
    }

    // MARK: Exchanging

    /// A fault the plugin's hook reported in the worker, passed on as the in-process adapter would.
    private struct HookFailure: Error {
        var message: String
    }

    private func exchange(_ message: [UInt8], _ hook: PluginFault.Hook) throws(PluginFault) -> WorkerReader {
        let reply = try supervisor.call(message, hook: hook, deadline: hookDeadline)
        guard reply.first == WorkerMessageKind.hookDone.rawValue else {
            throw PluginFault(plugin: descriptor.name, hook: hook, message: "its worker process answered out of protocol")
        }
        return WorkerReader(reply, from: 1)
    }

    private func decoding<Result>(
        _ hook: PluginFault.Hook, _ body: () throws -> Result
    ) throws(PluginFault) -> Result {
        do {
            return try body()
        } catch let failure as HookFailure {
            throw PluginFault(plugin: descriptor.name, hook: hook, message: failure.message)
        } catch {
            throw PluginFault(
                plugin: descriptor.name, hook: hook, message: "its worker process answered out of protocol: \(error)")
        }
    }

    // MARK: Applying changes

    /// Applies a hook's outcome onto the gateway's: field by field when both are responses (or
    /// both errors), so what the hook left alone, the body as the provider sent it included,
    /// stays as it was; whole when the hook turned one into the other.
    static func apply(_ changed: ChatOutcome, to outcome: inout ChatOutcome) {
        switch (outcome, changed) {
        case (.response(var response), .response(let new)):
            outcome = .failure(BifrostError(status: 500, type: "", message: ""))
            if response.id != new.id { response.id = new.id }
            if response.created != new.created { response.created = new.created }
            if response.provider != new.provider { response.provider = new.provider }
            if response.model != new.model { response.model = new.model }
            if response.choices != new.choices { response.choices = new.choices }
            if response.usage != new.usage { response.usage = new.usage }
            if response.extra != new.extra { response.extra = new.extra }
            if response.headers != new.headers { response.headers = new.headers }
            outcome = .response(response)
        case (.failure(var error), .failure(let new)):
            if error.status != new.status { error.status = new.status }
            if error.type != new.type { error.type = new.type }
            if error.code != new.code { error.code = new.code }
            if error.param != new.param { error.param = new.param }
            if error.message != new.message { error.message = new.message }
            if error.headers != new.headers { error.headers = new.headers }
            if error.source != new.source { error.source = new.source }
            if error.fallbacksTried != new.fallbacksTried { error.fallbacksTried = new.fallbacksTried }
            outcome = .failure(error)
        default:
            outcome = changed
        }
    }

    /// Applies a chunk hook's changes onto the gateway's chunk, field by field.
    static func apply(_ new: ChatChunk, to chunk: inout ChatChunk) {
        if chunk.id != new.id { chunk.id = new.id }
        if chunk.created != new.created { chunk.created = new.created }
        if chunk.provider != new.provider { chunk.provider = new.provider }
        if chunk.model != new.model { chunk.model = new.model }
        if chunk.choices != new.choices { chunk.choices = new.choices }
        if chunk.usage != new.usage { chunk.usage = new.usage }
        if chunk.extra != new.extra { chunk.extra = new.extra }
    }
}
