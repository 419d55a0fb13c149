import BifrostCore
public import BifrostLibrary
public import BifrostPluginIsolation

extension GatewayConfiguration {
    /// What applies to every plugin unless its own entry says otherwise (`plugin_defaults`).
    ///
    /// ```json
    /// "plugin_defaults": {"isolation": "process", "worker": {"concurrency": 8, "memory_limit_mb": 1024, "open_file_limit": 256}}
    /// ```
    public struct PluginDefaults: Sendable, Hashable {
        /// Where plugins' hooks run (`isolation`): `nil` is in process.
        public var isolation: PluginIsolation?
        /// The worker settings (`worker`) an entry's own `worker` fields start from.
        public var workerSettings = IsolationSettings()

        /// Creates defaults: in process, default worker settings.
        public init(isolation: PluginIsolation? = nil) { self.isolation = isolation }
    }

    /// The fields of a plugin entry and of `plugin_defaults` that choose isolation.
    static let isolationFields: Set<String> = ["isolation", "worker"]

    /// Reads `isolation` (`"in_process"` or `"process"`) and `worker` (`concurrency`,
    /// `memory_limit_mb`, `open_file_limit`, `max_crashes`, `crash_window_ms`, `executable`)
    /// from an object's fields, the worker settings starting from `base`.
    static func parseIsolation(
        _ fields: [String: JSONValue], at path: String, base: IsolationSettings, reader: ConfigurationReader
    ) throws(ConfigurationError) -> (isolation: PluginIsolation?, settings: IsolationSettings) {
        let prefix = path.isEmpty ? "" : "\(path)."
        var settings = base
        if let worker = fields["worker"] {
            let at = "\(prefix)worker"
            let values = try reader.object(
                worker, at: at,
                allowed: ["concurrency", "memory_limit_mb", "open_file_limit", "max_crashes", "crash_window_ms", "executable"])
            if let value = values["concurrency"] {
                settings.concurrency = try reader.integer(
                    value, at: "\(at).concurrency", in: 1...IsolationSettings.maximumConcurrency)
            }
            if let value = values["memory_limit_mb"] {
                settings.memoryLimitMegabytes = try reader.integer(value, at: "\(at).memory_limit_mb", in: 64...(1 << 20))
            }
            if let value = values["open_file_limit"] {
                settings.openFileLimit = try reader.integer(value, at: "\(at).open_file_limit", in: 16...(1 << 20))
            }
            if let value = values["max_crashes"] {
                settings.maximumCrashes = try reader.integer(value, at: "\(at).max_crashes", in: 1...1000)
            }
            if let value = values["crash_window_ms"] {
                settings.crashWindow = .milliseconds(try reader.integer(value, at: "\(at).crash_window_ms", in: 1...86_400_000))
            }
            if let value = values["executable"] { settings.workerExecutable = try reader.string(value, at: "\(at).executable") }
        }
        guard let value = fields["isolation"] else { return (nil, settings) }
        switch try reader.string(value, at: "\(prefix)isolation") {
        case "process": return (.process(settings), settings)
        case "in_process": return (.inProcess, settings)
        case let other:
            throw reader.fail("\(prefix)isolation", "expected \"in_process\" or \"process\", got \"\(other)\"")
        }
    }

    /// Whether any plugin's hooks run in a worker process: requests then run off the network
    /// event loops, since a call into a worker waits on its socket.
    public var usesProcessIsolation: Bool {
        pluginSpecs.contains { if case .process = $0.isolation { true } else { false } }
    }
}
