#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Creates `type` for the host and returns its `bifrost_plugin` table: the whole body of
/// your library's `bifrost_plugin_create`.
///
/// Checks the host table (non-NULL, same ABI major, large enough), validates the plugin
/// name, decodes nothing itself and calls `init(configuration:)`. A refusal (a thrown
/// error, a version mismatch) is reported with `set_create_error` and returns `nil`.
/// The table's `pre_hook`/`post_hook` are NULL unless `type` conforms to
/// ``PreHookPlugin``/``PostHookPlugin``. Hooks that throw report the error with
/// `report_fault` and return `BIFROST_ACTION_FAULT`; they never crash the host.
///
/// ```swift
/// @_cdecl("bifrost_plugin_create")
/// public func bifrostPluginCreate(
///     _ host: UnsafePointer<bifrost_host_api>?, _ token: OpaquePointer?,
///     _ config: UnsafePointer<CChar>?, _ configLength: Int
/// ) -> UnsafePointer<bifrost_plugin>? {
///     exportPlugin(TimingHeaders.self, host: host, token: token, config: config, configLength: configLength)
/// }
/// ```
public func exportPlugin<P: BifrostPlugin>(
    _ type: P.Type,
    host: UnsafePointer<bifrost_host_api>?,
    token: OpaquePointer?,
    config: UnsafePointer<CChar>?,
    configLength: Int
) -> UnsafePointer<bifrost_plugin>? {
    guard let host else { return nil }
    let hostMajor = host.pointee.abi_major
    let hostMinor = host.pointee.abi_minor
    guard hostMajor == BIFROST_ABI_VERSION_MAJOR else {
        refuseCreation(
            host, token,
            "plugin '\(P.name)' was built for Bifrost plugin ABI \(BIFROST_ABI_VERSION_MAJOR).\(BIFROST_ABI_VERSION_MINOR) "
                + "but the host speaks ABI \(hostMajor).\(hostMinor); rebuild the plugin against the host's SDK")
        return nil
    }
    // A 1.0 host table suffices: services added later are used only from hooks a newer host calls.
    let minimumHostSize = MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.chunk_choice_count)!
    guard Int(host.pointee.struct_size) >= minimumHostSize else {
        refuseCreation(
            host, token,
            "plugin '\(P.name)' needs a host table of at least \(minimumHostSize) bytes "
                + "(ABI \(BIFROST_ABI_VERSION_MAJOR).0), the host's has \(host.pointee.struct_size)")
        return nil
    }
    if let problem = pluginNameProblem(P.name) {
        refuseCreation(host, token, problem)
        return nil
    }

    var bytes: [UInt8] = []
    if let config, configLength > 0 {
        bytes = Array(UnsafeRawBufferPointer(start: config, count: configLength))
    }
    let pluginHost = PluginHost(api: host, token: token)
    let plugin: P
    do {
        plugin = try P(
            configuration: PluginConfiguration(bytes: bytes, host: pluginHost, handedState: try handedState(host, token)))
    } catch {
        refuseCreation(host, token, "\(error)")
        return nil
    }
    let instance = PluginInstance(plugin: plugin, host: host, token: token, failOpenByDefault: P.failOpenByDefault)
    return UnsafePointer(instance.table)
}

/// What the predecessor handed on (`get_handed_state`, ABI 1.4); `nil` when nothing was, or
/// the host is older.
private func handedState(_ host: UnsafePointer<bifrost_host_api>, _ token: OpaquePointer?) throws -> [UInt8]? {
    guard let get = try? newerHostFunction(host, \.get_handed_state, "get_handed_state", since: 4) else { return nil }
    var state = bifrost_bytes()
    guard try checkFound(get(token, &state), "get_handed_state") else { return nil }
    guard let start = state.ptr, state.len > 0 else { return nil }
    return Array(UnsafeBufferPointer(start: start, count: state.len))
}

/// Reports a refusal through `set_create_error`, if the host table has it.
private func refuseCreation(_ host: UnsafePointer<bifrost_host_api>, _ token: OpaquePointer?, _ message: String) {
    // `set_create_error` directly follows the version fields; only call it if the host's
    // table is at least that long (a different major may lay out the rest differently).
    guard let offset = MemoryLayout<bifrost_host_api>.offset(of: \bifrost_host_api.set_create_error),
        Int(host.pointee.struct_size) >= offset + MemoryLayout<UnsafeRawPointer>.size,
        let setCreateError = host.pointee.set_create_error
    else { return }
    withHostString(message) { _ = setCreateError(token, $0) }
}

/// Why a plugin name breaks the ABI's rule (1–64 of `[a-z0-9._-]`, starting with a
/// letter or digit), or `nil` if it is fine.
func pluginNameProblem(_ name: String) -> String? {
    let bytes = Array(name.utf8)
    guard (1...64).contains(bytes.count) else {
        return "plugin name '\(name)' must be 1-64 characters long, it has \(bytes.count)"
    }
    func isLowerAlphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
    guard isLowerAlphanumeric(bytes[0]) else {
        return "plugin name '\(name)' must start with a lowercase letter or digit"
    }
    for byte in bytes where !(isLowerAlphanumeric(byte) || byte == 0x2E || byte == 0x5F || byte == 0x2D) {
        return "plugin name '\(name)' may only contain a-z, 0-9, '.', '_' and '-'; found '\(Character(Unicode.Scalar(byte)))'"
    }
    return nil
}

/// The object behind a plugin's `instance` pointer: the plugin, its hooks as existentials
/// (C function pointers cannot capture the generic type), the table and its C strings.
/// Retained once by the table; released by `destroy`.
final class PluginInstance {
    let plugin: any BifrostPlugin
    let preHook: (any PreHookPlugin)?
    let postHook: (any PostHookPlugin)?
    let chunkHook: (any ChunkHookPlugin)?
    let stateful: (any StatefulPlugin)?
    let host: UnsafePointer<bifrost_host_api>
    let token: OpaquePointer?
    let table: UnsafeMutablePointer<bifrost_plugin>
    /// The C declarations of a ``CommandProvidingPlugin``'s commands (ABI 1.5).
    private let commands: CommandTable?
    private let name: UnsafeMutablePointer<CChar>
    private let version: UnsafeMutablePointer<CChar>

    init(plugin: any BifrostPlugin, host: UnsafePointer<bifrost_host_api>, token: OpaquePointer?, failOpenByDefault: Bool) {
        self.plugin = plugin
        self.preHook = plugin as? any PreHookPlugin
        self.postHook = plugin as? any PostHookPlugin
        self.chunkHook = plugin as? any ChunkHookPlugin
        self.stateful = plugin as? any StatefulPlugin
        self.host = host
        self.token = token
        self.name = strdup(type(of: plugin).name)!
        self.version = strdup(type(of: plugin).version)!
        self.table = .allocate(capacity: 1)
        let declared = (type(of: plugin) as? any CommandProvidingPlugin.Type)?.commands ?? []
        commands = declared.isEmpty ? nil : CommandTable(declared)

        var table = bifrost_plugin()
        table.struct_size = UInt32(MemoryLayout<bifrost_plugin>.size)
        table.abi_major = UInt16(BIFROST_ABI_VERSION_MAJOR)
        table.abi_minor = UInt16(BIFROST_ABI_VERSION_MINOR)
        table.name = UnsafePointer(name)
        table.version = UnsafePointer(version)
        // The header's `((uint64_t)1 << 0)` imports into Swift as Int32, hence the conversion.
        table.flags = failOpenByDefault ? UInt64(BIFROST_PLUGIN_FLAG_FAIL_OPEN_BY_DEFAULT) : 0
        table.capabilities = type(of: plugin).capabilities.rawValue
        if preHook != nil {
            table.pre_hook = { instance, context, request, outcome in
                guard let instance else { return BIFROST_ACTION_FAULT }
                return Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
                    .runPreHook(context: context, request: request, outcome: outcome)
            }
        }
        if postHook != nil {
            table.post_hook = { instance, context, outcome in
                guard let instance else { return BIFROST_ACTION_FAULT }
                return Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
                    .runPostHook(context: context, outcome: outcome)
            }
        }
        if chunkHook != nil {
            table.chunk_hook = { instance, context, chunk, outcome in
                guard let instance else { return BIFROST_ACTION_FAULT }
                return Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue()
                    .runChunkHook(context: context, chunk: chunk, outcome: outcome)
            }
        }
        if stateful != nil {
            table.export_state = { instance, writer in
                guard let instance else { return BIFROST_ERR_INVALID_ARGUMENT }
                return Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue().exportState(to: writer)
            }
        }
        if let commands {
            table.commands = UnsafePointer(commands.commands)
            table.command_count = commands.count
        }
        table.destroy = { instance in
            guard let instance else { return }
            let unmanaged = Unmanaged<PluginInstance>.fromOpaque(instance)
            unmanaged.takeUnretainedValue().plugin.shutdown()
            unmanaged.release()
        }
        self.table.initialize(to: table)
        self.table.pointee.instance = Unmanaged.passRetained(self).toOpaque()
    }

    deinit {
        table.deinitialize(count: 1)
        table.deallocate()
        free(name)
        free(version)
    }

    func runPreHook(context: OpaquePointer?, request: OpaquePointer?, outcome: OpaquePointer?) -> bifrost_hook_action {
        guard let preHook else { return fault(context, "the plugin has no PreHook") }
        do {
            let decision = try preHook.preHook(
                request: HookRequest(handle: request, api: host),
                context: HookContext(handle: context, api: host, token: token))
            switch decision {
            case .continue:
                return BIFROST_ACTION_CONTINUE
            case .respond(let answer):
                try HookOutcome(handle: outcome, api: host).respond(answer)
                return BIFROST_ACTION_SHORT_CIRCUIT
            case .reject(let rejection):
                try HookOutcome(handle: outcome, api: host).fail(rejection)
                return BIFROST_ACTION_SHORT_CIRCUIT
            case .wait(let nanoseconds):
                let wait = try newerHostFunction(host, \.outcome_set_wait, "outcome_set_wait")
                try check(wait(outcome, nanoseconds), "outcome_set_wait")
                return BIFROST_ACTION_WAIT
            case .pending:
                return BIFROST_ACTION_PENDING
            }
        } catch {
            return fault(context, "\(error)")
        }
    }

    func runPostHook(context: OpaquePointer?, outcome: OpaquePointer?) -> bifrost_hook_action {
        guard let postHook else { return fault(context, "the plugin has no PostHook") }
        do {
            try postHook.postHook(
                outcome: HookOutcome(handle: outcome, api: host),
                context: HookContext(handle: context, api: host, token: token))
            return BIFROST_ACTION_CONTINUE
        } catch {
            return fault(context, "\(error)")
        }
    }

    func runChunkHook(context: OpaquePointer?, chunk: OpaquePointer?, outcome: OpaquePointer?) -> bifrost_hook_action {
        guard let chunkHook else { return fault(context, "the plugin has no chunk hook") }
        do {
            switch try chunkHook.chunkHook(
                chunk: HookChunk(handle: chunk, api: host), context: HookContext(handle: context, api: host, token: token))
            {
            case .continue: return BIFROST_ACTION_CONTINUE
            case .drop: return BIFROST_ACTION_DROP
            case .fail(let rejection):
                _ = try HookOutcome(handle: outcome, api: host).fail(rejection)
                return BIFROST_ACTION_SHORT_CIRCUIT
            }
        } catch {
            return fault(context, "\(error)")
        }
    }

    /// Hands the plugin's state to the host; an error is logged and refuses the reload.
    func exportState(to writer: OpaquePointer?) -> bifrost_status {
        guard let stateful else { return BIFROST_ERR_WRONG_STATE }
        do {
            let state = try stateful.exportState()
            guard !state.isEmpty else { return BIFROST_OK }
            let write = try newerHostFunction(host, \.state_write, "state_write", since: 4)
            try state.withUnsafeBufferPointer {
                try check(write(writer, bifrost_bytes(ptr: $0.baseAddress, len: $0.count)), "state_write")
            }
            return BIFROST_OK
        } catch {
            PluginLogger(host: host, token: token).error("export_state failed: \(error)")
            return BIFROST_ERR_WRONG_STATE
        }
    }

    /// Reports why the hook fails and returns FAULT.
    private func fault(_ context: OpaquePointer?, _ message: String) -> bifrost_hook_action {
        if let reportFault = host.pointee.report_fault {
            withHostString(message) { _ = reportFault(context, $0) }
        }
        return BIFROST_ACTION_FAULT
    }
}
