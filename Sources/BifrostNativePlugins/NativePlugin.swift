public import BifrostCore
public import CBifrostPlugin
public import Logging
import Synchronization

/// Calls a plugin's `bifrost_plugin_create`: host table, token, config bytes (NUL-terminated), length.
///
/// The loader wraps the `dlsym`'d entry point in one; a test harness wraps a Swift plugin's
/// export function, so both reach ``NativePlugin/create(source:configuration:logger:factory:)``.
public typealias NativePluginFactory = (
    UnsafePointer<bifrost_host_api>, OpaquePointer, UnsafePointer<CChar>, Int
) -> UnsafePointer<bifrost_plugin>?

/// A plugin behind the C ABI, wrapped as a chain ``Plugin``.
///
/// Each hook moves the request or outcome into the request's native session, calls the C
/// function pointer with handles to it, and moves it back; no copies, no JSON.
///
/// ```swift
/// let plugin = try PluginLoader.load(file: "plugins/10-alias.so")
/// let chain = PluginChain([ChainEntry(plugin)])
/// ```
public final class NativePlugin: Plugin {
    public let descriptor: PluginDescriptor
    private let hooks: Hooks
    /// The commands the plugin exports (ABI 1.5), see `NativePlugin+Commands.swift`.
    let nativeCommands: [NativeCommand]
    let destroyed = Atomic<Bool>(false)

    private struct Hooks: @unchecked Sendable {
        // The instance belongs to the plugin, which promises thread-safe hooks (ABI rule).
        let instance: UnsafeMutableRawPointer?
        let pre: bifrost_pre_hook_fn?
        let post: bifrost_post_hook_fn?
        let destroy: bifrost_destroy_fn?
        let chunk: bifrost_chunk_hook_fn?
        let exportState: bifrost_export_state_fn?
        /// The `BIFROST_CAPABILITY_*` bits the accessors honour: the declared ones (ABI 1.6), or
        /// every bit for an older plugin, which keeps the access it had.
        let capabilities: UInt64
    }

    /// The size of a 1.0 plugin table; smaller tables are refused.
    public static let minimumTableSize = MemoryLayout<bifrost_plugin>.offset(of: \bifrost_plugin.chunk_hook)!

    /// Whether a table of `size` bytes reaches the field at `offset` (fields appended in later minors).
    static func tableCovers(size: Int, offset: Int?, width: Int) -> Bool {
        guard let offset else { return false }
        return size >= offset + width
    }

    private init(descriptor: PluginDescriptor, hooks: Hooks, commands: [NativeCommand]) {
        self.descriptor = descriptor
        self.hooks = hooks
        nativeCommands = commands
    }

    /// Creates a plugin through its factory, checking its table against the ABI rules.
    ///
    /// - Parameters:
    ///   - source: the file (or in-process name) the plugin comes from; names it in errors.
    ///   - configuration: the plugin's configuration, JSON bytes; empty means `{}`.
    ///   - logger: where the plugin's log lines go, attributed to it.
    ///   - metrics: where the plugin's metrics are defined (`metric_define`).
    ///   - contentHash: the SHA-256 of the library's file, recorded in the descriptor.
    ///   - library: an address inside the plugin's library (its `bifrost_plugin_create`): every
    ///     function of its table must then be code of that same library.
    ///   - handedState: the state the instance this one replaces exported, which create reads
    ///     with `get_handed_state`; `nil` when none.
    ///   - factory: calls the plugin's `bifrost_plugin_create`.
    public static func create(
        source: String,
        configuration: [UInt8],
        logger: Logger,
        metrics: MetricsRegistry = .shared,
        contentHash: String? = nil,
        library: UnsafeRawPointer? = nil,
        handedState: [UInt8]? = nil,
        factory: NativePluginFactory
    ) throws(PluginLoadError) -> NativePlugin {
        let config = configuration.isEmpty ? Array("{}".utf8) : configuration
        let identity = PluginIdentity(
            source: source, logger: logger, metrics: metrics, handedState: handedState, configuration: config)
        let result = WorkingDirectory.preserved(for: source, logger: logger) {
            (config + [0]).withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    factory(NativeHost.api, identity.makeToken(), chars.baseAddress!, config.count)
                }
            }
        }
        identity.finishCreating()
        guard let table = result else {
            if let message = identity.createError, !message.isEmpty {
                throw PluginLoadError(
                    file: source, kind: .refused, reason: "the plugin refused to load: \(message)", field: identity.refusedField)
            }
            throw PluginLoadError(
                file: source, kind: .refused,
                reason: "bifrost_plugin_create returned NULL without a message (call host->set_create_error to say why)")
        }
        let raw = UnsafeRawPointer(table)
        let memory = MemoryMap.current()
        if let memory, !memory.isReadable(UInt(bitPattern: raw), count: 8) {
            throw PluginLoadError(
                file: source, kind: .invalidTable,
                reason:
                    "bifrost_plugin_create returned \(raw), which is not readable memory; return a pointer to a static or allocated bifrost_plugin"
            )
        }
        let structSize = Int(raw.load(as: UInt32.self))
        guard structSize >= 8 else {
            throw PluginLoadError(
                file: source, kind: .tableTooSmall,
                reason: "plugin table struct_size is \(structSize) bytes; ABI 1.0 needs at least \(minimumTableSize)")
        }
        let major = raw.load(fromByteOffset: 4, as: UInt16.self)
        let minor = raw.load(fromByteOffset: 6, as: UInt16.self)
        guard major == BIFROST_ABI_VERSION_MAJOR else {
            throw PluginLoadError(
                file: source, kind: .abiMismatch,
                reason:
                    "built for plugin ABI \(major).\(minor), but this host speaks ABI \(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR); rebuild it against this host's bifrost_plugin.h"
            )
        }
        guard structSize >= minimumTableSize else {
            throw PluginLoadError(
                file: source, kind: .tableTooSmall,
                reason: "plugin table struct_size is \(structSize) bytes; ABI 1.0 needs at least \(minimumTableSize)")
        }
        if let memory, !memory.isReadable(UInt(bitPattern: raw), count: min(structSize, MemoryLayout<bifrost_plugin>.size)) {
            throw PluginLoadError(
                file: source, kind: .invalidTable,
                reason: "the plugin table's struct_size (\(structSize) bytes) runs past readable memory")
        }
        let plugin = table.pointee
        // Fields appended after 1.0 are read only when the plugin's table is large enough to hold them.
        let hasChunkHook = tableCovers(
            size: structSize, offset: MemoryLayout<bifrost_plugin>.offset(of: \bifrost_plugin.chunk_hook),
            width: MemoryLayout<bifrost_chunk_hook_fn?>.size)
        let hasExportState = tableCovers(
            size: structSize, offset: MemoryLayout<bifrost_plugin>.offset(of: \bifrost_plugin.export_state),
            width: MemoryLayout<bifrost_export_state_fn?>.size)
        let declared = Self.declaredCapabilities(of: plugin, minor: minor, structSize: structSize)
        let hooks = Hooks(
            instance: plugin.instance, pre: plugin.pre_hook, post: plugin.post_hook, destroy: plugin.destroy,
            chunk: hasChunkHook ? plugin.chunk_hook : nil, exportState: hasExportState ? plugin.export_state : nil,
            capabilities: declared?.rawValue ?? .max)
        let libraryFile = library.flatMap { memory?.file(of: UInt(bitPattern: $0)) }
        if let memory, let problem = Self.problem(withPointersOf: hooks, plugin: plugin, memory: memory, library: libraryFile) {
            throw PluginLoadError(file: source, kind: .invalidTable, reason: problem)
        }
        let name = plugin.name.map { String(cString: $0) }
        if let problem = Self.problem(withName: name) {
            hooks.destroy?(hooks.instance)
            throw PluginLoadError(file: source, kind: .invalidName, reason: problem)
        }
        identity.name = name
        let commands: [NativeCommand]
        do {
            commands = try NativeCommand.read(
                from: table, structSize: structSize, minor: minor,
                origin: NativeCommand.Origin(source: source, plugin: name!, memory: memory, library: libraryFile))
        } catch {
            hooks.destroy?(hooks.instance)
            throw error
        }
        var presentHooks: PluginHooks = []
        if hooks.pre != nil { presentHooks.insert(.pre) }
        if hooks.post != nil { presentHooks.insert(.post) }
        if hooks.chunk != nil { presentHooks.insert(.chunk) }
        let failOpen = plugin.flags & UInt64(BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT) != 0
        var descriptor = PluginDescriptor(
            name: name!,
            version: plugin.version.map { String(cString: $0) } ?? "",
            hooks: presentHooks,
            kind: "native",
            abiVersion: "\(major).\(minor)",
            file: source,
            defaultFailurePolicy: failOpen ? .failOpen : .failClosed)
        descriptor.contentHash = contentHash
        descriptor.capabilities = declared
        return NativePlugin(descriptor: descriptor, hooks: hooks, commands: commands)
    }

    /// The capabilities a plugin declared, or `nil` when it declares none because it was built
    /// for a minor before 1.6 or its table does not reach the field (it keeps full access).
    static func declaredCapabilities(of plugin: bifrost_plugin, minor: UInt16, structSize: Int) -> PluginCapabilities? {
        let covered = tableCovers(
            size: structSize, offset: MemoryLayout<bifrost_plugin>.offset(of: \bifrost_plugin.capabilities),
            width: MemoryLayout<UInt64>.size)
        guard minor >= 6, covered else { return nil }
        return PluginCapabilities(rawValue: plugin.capabilities)
    }

    /// Which pointer of the table points nowhere it should, or `nil`: hooks and `destroy` must
    /// be executable code, `name` and `version` readable strings. Checked before any is called or read.
    private static func problem(
        withPointersOf hooks: Hooks, plugin: bifrost_plugin, memory: MemoryMap, library: Substring?
    ) -> String? {
        let functions: [(String, UInt?)] = [
            ("pre_hook", hooks.pre.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) }),
            ("post_hook", hooks.post.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) }),
            ("chunk_hook", hooks.chunk.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) }),
            ("destroy", hooks.destroy.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) }),
            ("export_state", hooks.exportState.map { UInt(bitPattern: unsafeBitCast($0, to: UnsafeRawPointer.self)) }),
        ]
        for case (let field, let address?) in functions {
            guard memory.isCode(address) else {
                return
                    "the plugin table's \(field) (0x\(String(address, radix: 16))) does not point to code; set it to a function or NULL"
            }
            if let library, memory.file(of: address) != library {
                return
                    "the plugin table's \(field) (0x\(String(address, radix: 16))) points into \(memory.file(of: address).map(String.init) ?? "anonymous memory"), not the plugin's own code; set it to a function of the plugin or NULL"
            }
        }
        let strings: [(String, UInt?)] = [
            ("name", plugin.name.map { UInt(bitPattern: $0) }), ("version", plugin.version.map { UInt(bitPattern: $0) }),
        ]
        for case (let field, let address?) in strings where !memory.isReadableString(address) {
            return "the plugin table's \(field) (0x\(String(address, radix: 16))) is not a readable NUL-terminated string"
        }
        return nil
    }

    /// Why a name is not allowed, or `nil` if it is fine.
    static func problem(withName name: String?) -> String? {
        guard let name else { return "the plugin table's name is NULL" }
        guard !name.isEmpty else { return "the plugin's name is empty" }
        let allowed = name.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
        }
        let first = name.utf8.first!
        let startsWell =
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first)
        guard allowed, startsWell, name.utf8.count <= 64 else {
            return "invalid plugin name '\(name)': use 1-64 characters of [a-z0-9._-], starting with a letter or digit"
        }
        return nil
    }

    public func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        guard let pre = hooks.pre else { return .continue }
        let session = NativeSession.current
        session.open(.preHook, context: context, capabilities: hooks.capabilities, plugin: self)
        defer { session.close() }
        let base = session.baseHandle
        let action = withUnsafeMutablePointer(to: &request) { pointer in
            session.requestPointer = pointer
            return pre(
                hooks.instance, NativeSession.handle(base, .context), NativeSession.handle(base, .request),
                NativeSession.handle(base, .outcome))
        }
        if _slowPath(session.fault != nil) { throw makeFault(session.fault!) }
        if _slowPath(session.operations != nil) {
            if let pending = try takeOperations(session, action: action, context: context) { return pending }
        }
        switch action {
        case BIFROST_ACTION_CONTINUE:
            guard session.outcomeKind == .empty else {
                throw makeFault(
                    "the PreHook filled the outcome but returned BIFROST_ACTION_CONTINUE (return BIFROST_ACTION_SHORT_CIRCUIT to answer)"
                )
            }
            return .continue
        case BIFROST_ACTION_SHORT_CIRCUIT:
            switch session.giveOutcome() {
            case .response(let response)?: return .respond(response)
            case .failure(let error)?: return .reject(error)
            case nil:
                throw makeFault("the PreHook returned BIFROST_ACTION_SHORT_CIRCUIT without setting a response or an error")
            }
        case BIFROST_ACTION_WAIT:
            guard let delay = session.waitNanoseconds else {
                throw makeFault("the PreHook returned BIFROST_ACTION_WAIT without calling outcome_set_wait")
            }
            return .wait(.nanoseconds(Int64(clamping: delay)))
        case BIFROST_ACTION_PENDING:
            throw makeFault(
                "the PreHook returned BIFROST_ACTION_PENDING without starting a host operation that returned BIFROST_PENDING")
        case BIFROST_ACTION_FAULT:
            throw makeFault("the PreHook returned BIFROST_ACTION_FAULT without calling report_fault")
        default:
            throw makeFault("the PreHook returned unknown action \(action)")
        }
    }

    /// The host operations the hook started: `.pending` with them when a PreHook returned
    /// BIFROST_ACTION_PENDING after starting a read; otherwise they are queued to be performed
    /// once the hooks are done (writes, and reads no hook waits for), and `nil`.
    private func takeOperations(_ session: NativeSession, action: bifrost_hook_action, context: RequestContext) throws
        -> PreHookResult?
    {
        let cursor = session.operations!
        if action == BIFROST_ACTION_PENDING && session.phase == .preHook {
            guard cursor.startedRead else {
                throw makeFault(
                    "the PreHook returned BIFROST_ACTION_PENDING without starting a host operation that returned BIFROST_PENDING")
            }
            guard cursor.log.rounds < Int(BIFROST_PENDING_MAX_ROUNDS) else {
                throw makeFault(
                    "the PreHook returned BIFROST_ACTION_PENDING more than \(BIFROST_PENDING_MAX_ROUNDS) times for one request")
            }
            return .pending(cursor.started)
        }
        if !cursor.started.isEmpty { context.deferHostOperations(cursor.started, plugin: descriptor.name) }
        return nil
    }

    public func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard let post = hooks.post else { return }
        let session = NativeSession.current
        session.open(.postHook, context: context, capabilities: hooks.capabilities, plugin: self)
        defer { session.close() }
        let action = withUnsafeMutablePointer(to: &outcome) { pointer in
            session.outcomePointer = pointer
            session.outcomeIsInPlace()
            let base = session.baseHandle
            let action = post(hooks.instance, NativeSession.handle(base, .context), NativeSession.handle(base, .outcome))
            if session.outcomeWasLoaded, let changed = session.giveOutcome() { pointer.pointee = changed }
            return action
        }
        if _slowPath(session.fault != nil) { throw makeFault(session.fault!, in: .postHook) }
        if _slowPath(session.operations != nil) { _ = try takeOperations(session, action: action, context: context) }
        switch action {
        case BIFROST_ACTION_CONTINUE: return
        case BIFROST_ACTION_FAULT:
            throw makeFault("the PostHook returned BIFROST_ACTION_FAULT without calling report_fault", in: .postHook)
        case BIFROST_ACTION_SHORT_CIRCUIT:
            throw makeFault("the PostHook returned BIFROST_ACTION_SHORT_CIRCUIT, which only a PreHook may", in: .postHook)
        default: throw makeFault("the PostHook returned unknown action \(action)", in: .postHook)
        }
    }

    public func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        guard let hook = hooks.chunk else { return .continue }
        let session = NativeSession.current
        session.open(.chunkHook, context: context, capabilities: hooks.capabilities, plugin: self)
        defer { session.close() }
        let base = session.baseHandle
        let action = withUnsafeMutablePointer(to: &chunk) { pointer in
            session.chunkPointer = pointer
            return hook(
                hooks.instance, NativeSession.handle(base, .context), NativeSession.handle(base, .chunk),
                NativeSession.handle(base, .outcome))
        }
        if _slowPath(session.fault != nil) { throw makeFault(session.fault!, in: .chunkHook) }
        if _slowPath(session.operations != nil) { _ = try takeOperations(session, action: action, context: context) }
        switch action {
        case BIFROST_ACTION_CONTINUE:
            guard session.outcomeKind == .empty else {
                throw makeFault("the ChunkHook set an outcome but returned BIFROST_ACTION_CONTINUE", in: .chunkHook)
            }
            return .continue
        case BIFROST_ACTION_DROP:
            return .drop
        case BIFROST_ACTION_SHORT_CIRCUIT:
            guard case .failure(let error)? = session.giveOutcome() else {
                throw makeFault("the ChunkHook returned BIFROST_ACTION_SHORT_CIRCUIT without setting an error", in: .chunkHook)
            }
            return .fail(error)
        case BIFROST_ACTION_FAULT:
            throw makeFault("the ChunkHook returned BIFROST_ACTION_FAULT without calling report_fault", in: .chunkHook)
        default:
            throw makeFault("the ChunkHook returned unknown action \(action)", in: .chunkHook)
        }
    }

    /// Calls the plugin's `export_state` (ABI 1.4) and returns what it wrote; `nil` when the
    /// plugin has no `export_state` or wrote nothing. Throws a ``PluginLoadError`` of kind
    /// ``PluginLoadError/Kind/stateHandoff`` when it returned an error status or wrote more
    /// than `BIFROST_HANDED_STATE_MAX_BYTES`.
    public func exportState() throws -> [UInt8]? {
        guard let export = hooks.exportState else { return nil }
        let instance = hooks.instance
        let written = StateWriters.shared.collect { writer in export(instance, writer) }
        let problem: String? =
            if written.overflowed {
                "export_state wrote more than \(NativeHost.handedStateLimit) bytes (BIFROST_HANDED_STATE_MAX_BYTES, 64 MiB); keep the handed state smaller"
            } else if written.status != BIFROST_OK {
                "export_state returned status \(written.status)"
            } else {
                nil
            }
        if let problem {
            throw PluginLoadError(
                file: descriptor.file ?? descriptor.name, kind: .stateHandoff,
                reason: "plugin \(descriptor.name) did not hand its state on: \(problem)")
        }
        return written.bytes.isEmpty ? nil : written.bytes
    }

    /// Calls the plugin's `destroy`, once however often it is called.
    public func shutdown() {
        guard !destroyed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        hooks.destroy?(hooks.instance)
    }

    private func makeFault(_ message: String, in hook: PluginFault.Hook = .preHook) -> PluginFault {
        PluginFault(plugin: descriptor.name, hook: hook, message: message)
    }
}
