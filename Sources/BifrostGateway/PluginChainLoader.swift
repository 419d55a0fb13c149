public import BifrostCore
public import BifrostNativePlugins
public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Loads the plugins a configuration names, then the rest of the plugin directory, into chain entries.
///
/// Order: the configuration's `plugins` list first, in its order; then every other `*.so`
/// in the plugin directory in lexical file-name order (hence the `10-name.so` convention).
/// A plugin's configuration is the `config` of its entry, else the sidecar `<stem>.json`
/// beside it, else `{}`. Files that are not `.so` are skipped.
///
/// ```swift
/// let entries = try PluginChainLoader(configuration: configuration, logger: logger).load()
/// ```
public struct PluginChainLoader: Sendable {
    /// One plugin to load, after resolving files and configuration.
    public struct PlannedPlugin: Sendable, Hashable {
        /// The `.so` file.
        public var file: String
        /// The plugin's configuration bytes (JSON).
        public var configuration: [UInt8]
        /// Whether a refusal may be skipped.
        public var optional: Bool
        /// Overrides the plugin's default policy.
        public var failurePolicy: FailurePolicy?
    }

    /// The configuration to load from.
    public let configuration: GatewayConfiguration
    private let logger: Logger
    private let metrics: MetricsRegistry

    /// Creates a loader; native plugins define their metrics in `metrics`.
    public init(configuration: GatewayConfiguration, logger: Logger, metrics: MetricsRegistry = .shared) {
        self.configuration = configuration
        self.logger = logger
        self.metrics = metrics
    }

    /// Resolves what to load, in order, without loading anything.
    public func plan() throws(PluginStartupError) -> [PlannedPlugin] {
        var planned: [PlannedPlugin] = []
        var seen: Set<String> = []
        var problems: [PluginLoadError] = []
        for entry in configuration.plugins {
            let file =
                entry.file.hasPrefix("/")
                ? entry.file : "\(configuration.pluginDirectory ?? configuration.baseDirectory)/\(entry.file)"
            seen.insert(Self.canonical(file))
            do throws(PluginLoadError) {
                var bytes = entry.configuration ?? []
                if entry.configuration == nil { bytes = try Self.sidecarConfiguration(forPlugin: file) }
                planned.append(
                    PlannedPlugin(file: file, configuration: bytes, optional: entry.optional, failurePolicy: entry.failurePolicy))
            } catch {
                if entry.optional { logger.warning("\(error); optional, skipped") } else { problems.append(error) }
            }
        }
        if let directory = configuration.pluginDirectory {
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
                guard !seen.contains(Self.canonical(file)) else { continue }
                do throws(PluginLoadError) {
                    planned.append(
                        PlannedPlugin(file: file, configuration: try Self.sidecarConfiguration(forPlugin: file), optional: false))
                } catch {
                    problems.append(error)
                }
            }
        }
        guard problems.isEmpty else { throw PluginStartupError(refusals: problems) }
        return planned
    }

    /// Loads every planned plugin. Refusals of optional plugins are logged and skipped; any
    /// other refusal is logged and, after every plugin was tried, thrown together, with the
    /// plugins already loaded shut down.
    public func load() throws(PluginStartupError) -> [ChainEntry] {
        var entries: [ChainEntry] = []
        var loadedFrom: [String: String] = [:]
        var refusals: [PluginLoadError] = []
        for plugin in try plan() {
            do throws(PluginLoadError) {
                let loaded = try PluginLoader.load(
                    file: plugin.file, configuration: plugin.configuration, logger: logger, metrics: metrics)
                let name = loaded.descriptor.name
                if let other = loadedFrom[name] {
                    loaded.shutdown()
                    throw PluginLoadError(
                        file: plugin.file, kind: .duplicateName,
                        reason: "duplicate plugin name '\(name)': already loaded from \(other)")
                }
                loadedFrom[name] = plugin.file
                let entry = ChainEntry(loaded, failurePolicy: plugin.failurePolicy)
                entries.append(entry)
                logger.info(
                    "loaded plugin \(name) \(loaded.descriptor.version) from \(plugin.file) (ABI \(loaded.descriptor.abiVersion ?? "?"), hooks: \(loaded.descriptor.hooks.names.joined(separator: ", ")), \(entry.failurePolicy.rawValue))"
                )
            } catch {
                if plugin.optional {
                    logger.warning("\(error) (optional plugin, skipped)")
                } else {
                    logger.error("\(error)")
                    refusals.append(error)
                }
            }
        }
        guard refusals.isEmpty else {
            for entry in entries.reversed() { entry.plugin.shutdown() }
            throw PluginStartupError(refusals: refusals)
        }
        return entries
    }

    /// The sidecar `<stem>.json` beside a `.so`, checked to be JSON; `{}` when absent.
    public static func sidecarConfiguration(forPlugin file: String) throws(PluginLoadError) -> [UInt8] {
        let sidecar = (file.hasSuffix(".so") ? String(file.dropLast(3)) : file) + ".json"
        guard access(sidecar, F_OK) == 0 else { return Array("{}".utf8) }
        return try configuration(fromFile: sidecar, forPlugin: file)
    }

    /// A plugin configuration file's bytes, checked to be JSON.
    public static func configuration(fromFile path: String, forPlugin file: String) throws(PluginLoadError) -> [UInt8] {
        guard let bytes = GatewayConfiguration.readFile(path) else {
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

/// Plugins that could not be loaded at start-up; the gateway does not start.
public struct PluginStartupError: Error, Sendable, CustomStringConvertible {
    /// Each refusal, one per plugin.
    public var refusals: [PluginLoadError]

    /// Creates an error.
    public init(refusals: [PluginLoadError]) { self.refusals = refusals }

    public var description: String { refusals.map(\.description).joined(separator: "\n") }
}
