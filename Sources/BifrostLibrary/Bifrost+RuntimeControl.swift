public import BifrostCore

/// Who changed the chain at run time, for the log line every change writes: how they proved
/// they are an administrator and from where. Never a credential.
///
/// ```swift
/// let actor = PluginControlActor(method: "token", peer: "127.0.0.1")
/// print(actor)  // token from 127.0.0.1
/// ```
public struct PluginControlActor: Sendable, Hashable, CustomStringConvertible {
    /// How the administrator was recognised: `token`, `cookie session` or `loopback`.
    public var method: String
    /// The peer address the change came from.
    public var peer: String

    /// Creates an actor.
    public init(method: String, peer: String) {
        self.method = method
        self.peer = peer
    }

    /// `token from 127.0.0.1`.
    public var description: String { "\(method) from \(peer)" }
}

/// Why a runtime control change was refused.
///
/// ```swift
/// do { try bifrost.setPlugin("nope", enabled: false, by: actor) } catch { print(error.code) }  // unknownPlugin
/// ```
public struct PluginControlError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// No plugin of the current chain has the name.
        case unknownPlugin = "unknown_plugin"
        /// Bifrost is shutting down.
        case shuttingDown = "shutting_down"
    }

    /// What went wrong.
    public var code: Code
    /// The plugin named.
    public var plugin: String

    public var description: String {
        switch code {
        case .unknownPlugin: "no plugin named '\(plugin)' in the chain"
        case .shuttingDown: "Bifrost is shutting down; '\(plugin)' is left as it is"
        }
    }
}

/// What an operator changed at run time on top of the configuration: plugins switched off,
/// failure policies overridden, by plugin name; and the scopes and state policies the
/// configuration gives, by canonical file path (native plugins) or name (in-process ones).
/// Survives reloads.
struct PluginControls: Sendable {
    var disabled: Set<String> = []
    var failurePolicies: [String: FailurePolicy] = [:]
    var scopes: [String: PluginScope] = [:]
    var statePolicies: [String: StatePolicy] = [:]

    /// The controls the configuration's `specs` give.
    init(specs: [PluginSpec]) {
        scopes = Self.settings(of: specs, \.scope)
        statePolicies = Self.settings(of: specs, \.statePolicy)
    }

    /// What `specs` set of one setting, keyed as ``setting(of:in:)`` looks it up.
    static func settings<Value>(of specs: [PluginSpec], _ setting: KeyPath<PluginSpec, Value?>) -> [String: Value] {
        var settings: [String: Value] = [:]
        for spec in specs {
            guard let value = spec[keyPath: setting] else { continue }
            switch spec.source {
            case .instance(let plugin): settings[plugin.descriptor.name] = value
            case .file(let file, _, _): settings[PluginChainLoader.canonical(file)] = value
            case .directory: continue
            }
        }
        return settings
    }

    /// The setting for `plugin`: by its file when it has one, else by its name.
    static func setting<Value>(of plugin: any Plugin, in settings: [String: Value]) -> Value? {
        guard !settings.isEmpty else { return nil }
        let descriptor = plugin.descriptor
        if let file = descriptor.file, let value = settings[PluginChainLoader.canonical(file)] { return value }
        return settings[descriptor.name]
    }

    /// The chain's entries for `leases`: the disabled ones left out (so they cost nothing),
    /// the others as ``entry(of:)`` makes them.
    func entries(_ leases: [PluginLease]) -> [ChainEntry] {
        leases.filter { !disabled.contains($0.descriptor.name) }.map(entry(of:))
    }

    /// A lease's entry under its overridden policy, with its scope.
    func entry(of lease: PluginLease) -> ChainEntry {
        var entry = lease.entry
        if let policy = failurePolicies[lease.descriptor.name] { entry.failurePolicy = policy }
        entry.scope = Self.setting(of: lease.base, in: scopes)
        entry.statePolicy = Self.setting(of: lease.base, in: statePolicies) ?? .failOpen
        return entry
    }

    /// A plugin's status as `/api/plugins` shows it.
    func status(of lease: PluginLease) -> LoadedPluginStatus {
        var shown = entry(of: lease)
        // The plugin itself, as before runtime control, rather than the lease around it.
        shown.plugin = lease.base
        var status = LoadedPluginStatus(
            entry: shown, generation: lease.generation, loadedAtNanoseconds: lease.loadedAtNanoseconds)
        status.isEnabled = !disabled.contains(lease.descriptor.name)
        return status
    }
}

extension Bifrost {
    /// Switches a plugin of the current chain on or off for new requests: a new chain
    /// generation without it (or with it again) takes over at once; requests in flight finish
    /// on the chain they began with. The change outlives reloads and is logged with `actor`.
    ///
    /// ```swift
    /// try bifrost.setPlugin("cache", enabled: false, by: PluginControlActor(method: "token", peer: "10.0.0.7"))
    /// ```
    @discardableResult
    public func setPlugin(_ name: String, enabled: Bool, by actor: PluginControlActor) throws(PluginControlError)
        -> UInt64
    {
        try changeControls(of: name, by: actor, "\(enabled ? "enabled" : "disabled") plugin \(name)") { controls in
            if enabled { controls.disabled.remove(name) } else { controls.disabled.insert(name) }
        }
    }

    /// Overrides a plugin's failure policy for new requests, as ``setPlugin(_:enabled:by:)``
    /// switches it: a new chain generation, logged with `actor`, kept across reloads.
    ///
    /// ```swift
    /// try bifrost.setFailurePolicy(of: "cache", to: .failOpen, by: actor)
    /// ```
    @discardableResult
    public func setFailurePolicy(of name: String, to policy: FailurePolicy, by actor: PluginControlActor)
        throws(PluginControlError) -> UInt64
    {
        try changeControls(of: name, by: actor, "set failure policy of plugin \(name) to \(policy.rawValue)") { controls in
            controls.failurePolicies[name] = policy
        }
    }

    private func changeControls(
        of name: String, by actor: PluginControlActor, _ what: String, _ change: (inout PluginControls) -> Void
    ) throws(PluginControlError) -> UInt64 {
        guard runningError == nil else { throw PluginControlError(code: .shuttingDown, plugin: name) }
        let number = try reloadLock.withLock { _ throws(PluginControlError) -> UInt64 in
            let current = currentGeneration
            guard current.leases.contains(where: { $0.descriptor.name == name }) else {
                throw PluginControlError(code: .unknownPlugin, plugin: name)
            }
            let controls = controls.withLock { controls in
                change(&controls)
                return controls
            }
            let next = generation(current.number + 1, leases: current.leases, controls: controls)
            generations.withLock { $0 = next }
            return next.number
        }
        logger.notice("admin: \(what) (by \(actor)); generation \(number) serves new requests")
        return number
    }
}

extension Bifrost {
    /// A chain of `entries` with this instance's logger, metrics and wait limit.
    /// Generation `number`: `leases`, their chain under `controls`.
    func generation(_ number: UInt64, leases: [PluginLease], controls: PluginControls) -> ChainGeneration {
        ChainGeneration(
            number: number, leases: leases, entries: controls.entries(leases), logger: chainSettings.logger,
            metrics: chainSettings.metrics, maximumTotalWait: chainSettings.maximumWait, services: chainSettings.services)
    }
}
