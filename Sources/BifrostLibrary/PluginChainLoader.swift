public import BifrostCore
public import BifrostNativePlugins
import BifrostPluginIsolation
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Turns plugin specs into chain entries: in-process plugins as given, `.so` files loaded
/// with `PluginLoader`, directories expanded to their `.so` files.
///
/// Order: the specs' order; a directory contributes every `*.so` file in lexical file-name
/// order (hence the `10-name.so` convention), skipping files that a `.native` spec names.
/// A native plugin's configuration is the spec's, else the sidecar `<stem>.json` beside it,
/// else `{}`. Files that are not `.so` are skipped.
///
/// ```swift
/// let entries = try PluginChainLoader([.native("/opt/plugins/10-alias.so"), .directory("/opt/plugins")], logger: logger).load()
/// ```
public struct PluginChainLoader: Sendable {
    /// One plugin to put in the chain, after resolving files and configuration.
    ///
    /// ```swift
    /// if case .native(let file, _, _, _, _, _) = planned { print("will load", file) }
    /// ```
    public enum PlannedPlugin: Sendable {
        /// An in-process plugin, used as given.
        case instance(ChainEntry)
        /// A `.so` file to load with its configuration bytes; an optional one may be skipped if refused.
        case native(
            file: String, configuration: [UInt8], optional: Bool, failurePolicy: FailurePolicy?, hookDeadline: Duration?,
            isolation: PluginIsolation)
    }

    /// The plugins to load, in chain order.
    ///
    /// ```swift
    /// print(loader.specs.count)
    /// ```
    public let specs: [PluginSpec]
    private let logger: Logger
    private let metrics: MetricsRegistry

    /// Creates a loader; native plugins define their metrics in `metrics`.
    ///
    /// ```swift
    /// let loader = PluginChainLoader([.directory("/opt/plugins")], logger: Logger(label: "bifrost"))
    /// ```
    public init(_ specs: [PluginSpec], logger: Logger, metrics: MetricsRegistry = .shared) {
        self.specs = specs
        self.logger = logger
        self.metrics = metrics
    }

    /// Resolves what to load, in order, without loading anything.
    ///
    /// ```swift
    /// for planned in try loader.plan() { print(planned) }
    /// ```
    public func plan() throws(PluginStartupError) -> [PlannedPlugin] {
        var planned: [PlannedPlugin] = []
        var seen: Set<String> = []
        for spec in specs {
            if case .file(let file, _, _) = spec.source { seen.insert(Self.canonical(file)) }
        }
        var problems: [PluginLoadError] = []
        for spec in specs {
            switch spec.source {
            case .instance(let plugin):
                planned.append(
                    .instance(ChainEntry(plugin, failurePolicy: spec.failurePolicy, hookDeadline: spec.hookDeadline)))
            case .file(let file, let configuration, let optional):
                do throws(PluginLoadError) {
                    var bytes = configuration ?? []
                    if configuration == nil { bytes = try Self.sidecarConfiguration(forPlugin: file) }
                    planned.append(
                        .native(
                            file: file, configuration: bytes, optional: optional, failurePolicy: spec.failurePolicy,
                            hookDeadline: spec.hookDeadline, isolation: spec.isolation))
                } catch {
                    if optional { logger.warning("\(error); optional, skipped") } else { problems.append(error) }
                }
            case .directory(let directory):
                guard let names = Self.listDirectory(directory) else {
                    throw PluginStartupError(refusals: [
                        PluginLoadError(
                            file: directory, kind: .fileNotFound,
                            reason: "cannot read the plugin directory: \(String(cString: strerror(errno)))")
                    ])
                }
                for name in names.sorted() {
                    let file = "\(directory)/\(name)"
                    guard name.hasSuffix(".so") else {
                        if !name.hasSuffix(".json") { logger.debug("skipping \(file): not a .so file") }
                        continue
                    }
                    guard seen.insert(Self.canonical(file)).inserted else { continue }
                    do throws(PluginLoadError) {
                        planned.append(
                            .native(
                                file: file, configuration: try Self.sidecarConfiguration(forPlugin: file), optional: false,
                                failurePolicy: spec.failurePolicy, hookDeadline: spec.hookDeadline, isolation: spec.isolation))
                    } catch {
                        problems.append(error)
                    }
                }
            }
        }
        guard problems.isEmpty else { throw PluginStartupError(refusals: problems) }
        return planned
    }

    /// Loads every planned plugin. Refusals of optional plugins are logged and skipped; any
    /// other refusal is logged and, after every plugin was tried, thrown together, with the
    /// native plugins already loaded shut down (in-process plugins are left to their owner).
    ///
    /// ```swift
    /// let chain = PluginChain(try loader.load(), logger: logger)
    /// ```
    public func load() throws(PluginStartupError) -> [ChainEntry] {
        try load(reusing: [:]).map(\.entry)
    }

    /// Loads every planned plugin as ``load()`` does, except that a plugin whose
    /// ``PluginOrigin`` is in `existing` (the same file content, configuration and settings; the
    /// same in-process instance) keeps that entry, instance and state included, and is not
    /// loaded again. A native plugin loaded anew from the file of an entry in `existing` is
    /// created with the state that entry exports (`Plugin.exportState()`, ABI 1.4); an export
    /// that fails, or a new instance with another name, is a refusal. On a refusal only the
    /// plugins this call loaded are shut down.
    ///
    /// ```swift
    /// let next = try loader.load(reusing: Dictionary(uniqueKeysWithValues: current.map { ($0.origin, $0.entry) }))
    /// ```
    public func load(reusing existing: [PluginOrigin: ChainEntry]) throws(PluginStartupError) -> [LoadedPlugin] {
        var result: [LoadedPlugin] = []
        var loaded: [ChainEntry] = []
        var loadedFrom: [String: String] = [:]
        var refusals: [PluginLoadError] = []
        for plugin in try plan() {
            switch plugin {
            case .instance(let entry):
                let name = entry.plugin.descriptor.name
                if let other = loadedFrom[name] {
                    refusals.append(
                        PluginLoadError(
                            file: "in-process plugin \(name)", kind: .duplicateName,
                            reason: "duplicate plugin name '\(name)': already loaded from \(other)"))
                    continue
                }
                loadedFrom[name] = "in-process plugin \(name)"
                let origin = PluginOrigin(instance: entry)
                result.append(LoadedPlugin(entry: existing[origin] ?? entry, origin: origin, isKept: existing[origin] != nil))
                if existing[origin] == nil {
                    logger.info(
                        "added in-process plugin \(name) \(entry.plugin.descriptor.version) (\(entry.failurePolicy.rawValue))")
                }
            case .native(let file, let configuration, let optional, let failurePolicy, let hookDeadline, let isolation):
                do throws(PluginLoadError) {
                    let hash = try PluginLoader.contentHash(of: file)
                    let origin = PluginOrigin(
                        file: file, contentHash: hash, configuration: configuration, failurePolicy: failurePolicy,
                        hookDeadline: hookDeadline, isolation: isolation)
                    // A plugin marked failed is started anew by a reload: that is how an operator revives it.
                    if let kept = existing[origin], (kept.plugin as? any SupervisedPlugin)?.supervision.state != .failed {
                        let name = kept.plugin.descriptor.name
                        if let other = loadedFrom[name] {
                            throw PluginLoadError(
                                file: file, kind: .duplicateName,
                                reason: "duplicate plugin name '\(name)': already loaded from \(other)")
                        }
                        loadedFrom[name] = file
                        result.append(LoadedPlugin(entry: kept, origin: origin, isKept: true))
                        continue
                    }
                    let predecessor = existing.first { $0.key.file == origin.file }?.value.plugin
                    let handed = try Self.handedState(of: predecessor, to: file)
                    let plugin = try Self.create(
                        file: file, configuration: configuration, handedState: handed, isolation: isolation,
                        hookDeadline: hookDeadline ?? ChainEntry.defaultHookDeadline, logger: logger, metrics: metrics)
                    let name = plugin.descriptor.name
                    if let handed, let predecessor {
                        let from = predecessor.descriptor
                        guard from.name == name else {
                            plugin.shutdown()
                            throw PluginLoadError(
                                file: file, kind: .stateHandoff,
                                reason:
                                    "the plugin is now named '\(name)' but was created with the state of '\(from.name)', its predecessor from this file; state is handed only to a plugin of the same name (remove the old file first to start afresh)"
                            )
                        }
                        logger.info(
                            "plugin \(name) \(from.version) handed \(handed.count) bytes of state to \(plugin.descriptor.version)"
                        )
                    }
                    if let other = loadedFrom[name] {
                        plugin.shutdown()
                        throw PluginLoadError(
                            file: file, kind: .duplicateName,
                            reason: "duplicate plugin name '\(name)': already loaded from \(other)")
                    }
                    loadedFrom[name] = file
                    let entry = ChainEntry(plugin, failurePolicy: failurePolicy, hookDeadline: hookDeadline)
                    result.append(LoadedPlugin(entry: entry, origin: origin, isKept: false))
                    loaded.append(entry)
                    logger.info(
                        "loaded plugin \(name) \(plugin.descriptor.version) from \(file) (ABI \(plugin.descriptor.abiVersion ?? "?"), hooks: \(plugin.descriptor.hooks.names.joined(separator: ", ")), \(entry.failurePolicy.rawValue), \(isolation.name), sha256 \(hash.prefix(16)))"
                    )
                } catch {
                    if optional {
                        logger.warning("\(error) (optional plugin, skipped)")
                    } else {
                        logger.error("\(error)")
                        refusals.append(error)
                    }
                }
            }
        }
        guard refusals.isEmpty else {
            for entry in loaded.reversed() { entry.plugin.shutdown() }
            throw PluginStartupError(refusals: refusals)
        }
        return result
    }

    private static func create(
        file: String, configuration: [UInt8], handedState: [UInt8]?, isolation: PluginIsolation, hookDeadline: Duration,
        logger: Logger, metrics: MetricsRegistry
    ) throws(PluginLoadError) -> any Plugin {
        switch isolation {
        case .inProcess:
            return try PluginLoader.load(
                file: file, configuration: configuration, handedState: handedState, logger: logger, metrics: metrics)
        case .process(let settings):
            return try IsolatedPlugin.launch(
                file: file, configuration: configuration, handedState: handedState, settings: settings,
                hookDeadline: hookDeadline, logger: logger, metrics: metrics)
        }
    }

    /// What `predecessor` (the instance a reload replaces with one from `file`) hands on.
    static func handedState(of predecessor: (any Plugin)?, to file: String) throws(PluginLoadError) -> [UInt8]? {
        do {
            return try predecessor?.exportState()
        } catch let error as PluginLoadError {
            throw error
        } catch {
            throw PluginLoadError(file: file, kind: .stateHandoff, reason: "the predecessor did not hand its state on: \(error)")
        }
    }

    /// The sidecar `<stem>.json` beside a `.so`, checked to be JSON; `{}` when absent.
    ///
    /// ```swift
    /// let bytes = try PluginChainLoader.sidecarConfiguration(forPlugin: "/opt/plugins/10-alias.so")
    /// ```
    public static func sidecarConfiguration(forPlugin file: String) throws(PluginLoadError) -> [UInt8] {
        let sidecar = (file.hasSuffix(".so") ? String(file.dropLast(3)) : file) + ".json"
        guard access(sidecar, F_OK) == 0 else { return Array("{}".utf8) }
        return try configuration(fromFile: sidecar, forPlugin: file)
    }

    /// A plugin configuration file's bytes, checked to be JSON.
    ///
    /// ```swift
    /// let bytes = try PluginChainLoader.configuration(fromFile: "alias.json", forPlugin: "alias.so")
    /// ```
    public static func configuration(fromFile path: String, forPlugin file: String) throws(PluginLoadError) -> [UInt8] {
        guard let bytes = FileBytes.read(path) else {
            throw PluginLoadError(
                file: file, kind: .invalidConfiguration,
                reason: "cannot read the plugin configuration \(path): \(String(cString: strerror(errno)))")
        }
        do {
            _ = try JSONValue.parse(bytes)
        } catch {
            throw PluginLoadError(
                file: file, kind: .invalidConfiguration, reason: "the plugin configuration \(path) is not valid JSON: \(error)")
        }
        return bytes
    }

    static func listDirectory(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    static func canonical(_ path: String) -> String {
        guard let resolved = realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}

/// Plugins that could not be loaded at start-up; Bifrost (and the gateway) does not start.
///
/// ```swift
/// do { _ = try await Bifrost(configuration: configuration) } catch let error as PluginStartupError { print(error) }
/// ```
public struct PluginStartupError: Error, Sendable, CustomStringConvertible {
    /// Each refusal, one per plugin.
    ///
    /// ```swift
    /// for refusal in error.refusals { print(refusal.file, refusal.reason) }
    /// ```
    public var refusals: [PluginLoadError]

    /// Creates an error.
    ///
    /// ```swift
    /// let error = PluginStartupError(refusals: [])
    /// ```
    public init(refusals: [PluginLoadError]) { self.refusals = refusals }

    /// Every refusal, one per line.
    public var description: String { refusals.map(\.description).joined(separator: "\n") }
}

/// Reads whole files with stdio, for configuration files.
package enum FileBytes {
    /// The file's bytes, or `nil` (with `errno` set) when it cannot be read.
    package static func read(_ path: String) -> [UInt8]? {
        guard let handle = fopen(path, "rb") else { return nil }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&buffer, 1, buffer.count, handle)
            if count > 0 { bytes.append(contentsOf: buffer[0..<count]) }
            if count < buffer.count { break }
        }
        return ferror(handle) == 0 ? bytes : nil
    }
}

/// What a plugin in a chain was made from: a reload keeps a plugin's instance when this is
/// unchanged, and loads it anew otherwise.
public struct PluginOrigin: Sendable, Hashable {
    private enum Source: Hashable {
        case instance(name: String)
        case native(file: String, contentHash: String, configuration: [UInt8])
    }

    private let source: Source
    private let failurePolicy: FailurePolicy?
    /// A native plugin's file, canonical: a reload hands the state of the instance it replaces
    /// to the new one from the same file.
    var file: String? {
        guard case .native(let file, _, _) = source else { return nil }
        return file
    }
    private let hookDeadline: Duration?
    private let isolation: PluginIsolation

    /// An in-process plugin, by its name (its instance cannot change while Bifrost runs).
    init(instance entry: ChainEntry) {
        source = .instance(name: entry.plugin.descriptor.name)
        failurePolicy = entry.failurePolicy
        hookDeadline = entry.hookDeadline
        isolation = .inProcess
    }

    /// A native plugin: its file, the SHA-256 of the file's content, its configuration bytes
    /// and its settings (isolation included: moving a plugin in or out of a worker loads it anew).
    init(
        file: String, contentHash: String, configuration: [UInt8], failurePolicy: FailurePolicy?, hookDeadline: Duration?,
        isolation: PluginIsolation
    ) {
        source = .native(file: PluginChainLoader.canonical(file), contentHash: contentHash, configuration: configuration)
        self.failurePolicy = failurePolicy
        self.hookDeadline = hookDeadline
        self.isolation = isolation
    }
}

/// A plugin ``PluginChainLoader/load(reusing:)`` put in the chain.
public struct LoadedPlugin: Sendable {
    /// The entry: a new instance, or the one kept.
    public var entry: ChainEntry
    /// What it was made from.
    public var origin: PluginOrigin
    /// Whether the entry was kept from `existing` rather than loaded.
    public var isKept: Bool
}
