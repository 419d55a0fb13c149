public import BifrostCore
import BifrostHTTP
import BifrostLibrary

#if canImport(Glibc)
    import Glibc
#endif

extension GatewayConfiguration {
    /// Reads a JSON configuration file; every unusable value is a ``ConfigurationError``
    /// naming the file, the field's path and what was expected. Unknown fields are refused,
    /// so a typo never silently falls back to a default.
    ///
    /// ```json
    /// {
    ///   "server": {"host": "127.0.0.1", "port": 8080, "max_body_bytes": 10485760, "max_plugin_wait_ms": 60000,
    ///              "keep_alive_idle_ms": 60000, "header_timeout_ms": 10000, "body_idle_timeout_ms": 30000,
    ///              "body_timeout_ms": 300000, "write_stall_timeout_ms": 30000, "stream_buffer_chunks": 16,
    ///              "max_connections": 10000, "max_header_bytes": 65536, "max_header_count": 100,
    ///              "client_id_secret": "env.BIFROST_CLIENT_ID_SECRET"},
    ///   "plugin_dir": "plugins",
    ///   "plugin_defaults": {"isolation": "in_process", "worker": {"concurrency": 8, "memory_limit_mb": 1024}},
    ///   "plugins": [{"file": "10-model-alias.so", "failure_policy": "fail_open", "timeout_ms": 1000, "blocking": false,
    ///                "isolation": "process", "config": {"fast": "mock/echo"},
    ///                "scope": {"routes": ["/v1/*"], "models": ["gpt-4o*"], "clients": ["key:*"]}}],
    ///   "admin": {"token": "env.BIFROST_ADMIN_TOKEN"}, "teams": {"research": ["key:9f86d081884c7d65"]},
    ///   "providers": {
    ///     "mock": {"latency_ms": 0},
    ///     "openai": {"base_url": "https://api.openai.com/v1", "keys": [{"value": "env.OPENAI_API_KEY"}]}
    ///   }
    /// }
    /// ```
    ///
    /// Secrets written `env.NAME` are read from `environment` (the process's environment when
    /// `nil`); see ``parseProviders(_:reader:environment:into:)`` for the `providers` section.
    public static func load(file: String, environment: [String: String]? = nil) throws(ConfigurationError)
        -> GatewayConfiguration
    {
        guard let bytes = readFile(file) else {
            throw ConfigurationError(file: file, path: "", message: "cannot read the file: \(String(cString: strerror(errno)))")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ConfigurationError(file: file, path: "", message: "not valid JSON: \(error)")
        }
        var configuration = try parse(value, file: file, environment: environment)
        configuration.file = file
        return configuration
    }

    /// Reads a configuration from a parsed JSON value; `file` names it in errors.
    ///
    /// ```swift
    /// let configuration = try GatewayConfiguration.parse(
    ///     try JSONValue.parse(#"{"providers": {"groq": {"kind": "openai", "base_url": "https://api.groq.com/openai/v1"}}}"#),
    ///     file: "inline", environment: [:])
    /// ```
    public static func parse(_ value: JSONValue, file: String, environment: [String: String]? = nil) throws(ConfigurationError)
        -> GatewayConfiguration
    {
        let reader = ConfigurationReader(file: file)
        let root = try reader.object(
            value, at: "",
            allowed: ["server", "plugin_dir", "plugins", "plugin_defaults", "providers", "admin", "teams", "state"])
        var configuration = GatewayConfiguration()
        configuration.baseDirectory = directoryOf(file)
        let teams = try root["teams"].map { value throws(ConfigurationError) in try parseTeams(value, reader: reader) } ?? [:]
        if let server = root["server"] {
            let fields = try reader.object(
                server, at: "server",
                allowed: [
                    "host", "port", "max_body_bytes", "max_plugin_wait_ms", "keep_alive_idle_ms", "header_timeout_ms",
                    "body_idle_timeout_ms", "body_timeout_ms", "write_stall_timeout_ms", "stream_buffer_chunks",
                    "max_connections", "max_header_bytes", "max_header_count", "client_id_secret",
                ])
            if let host = fields["host"] { configuration.server.host = try reader.string(host, at: "server.host") }
            if let port = fields["port"] {
                configuration.server.port = try reader.integer(port, at: "server.port", in: 0...65535)
            }
            if let limit = fields["max_body_bytes"] {
                configuration.server.maxBodyBytes = try reader.integer(limit, at: "server.max_body_bytes", in: 1...(1 << 31))
            }
            let durations: [(String, WritableKeyPath<HTTPServerConfiguration, Duration>)] = [
                ("keep_alive_idle_ms", \.keepAliveIdleTimeout), ("header_timeout_ms", \.headerTimeout),
                ("body_idle_timeout_ms", \.bodyIdleTimeout), ("body_timeout_ms", \.bodyTimeout),
                ("write_stall_timeout_ms", \.writeStallTimeout),
            ]
            for (name, field) in durations {
                if let value = fields[name] {
                    configuration.server[keyPath: field] = .milliseconds(
                        try reader.integer(value, at: "server.\(name)", in: 1...86_400_000))
                }
            }
            let counts: [(String, WritableKeyPath<HTTPServerConfiguration, Int>, ClosedRange<Int>)] = [
                ("max_connections", \.maxConnections, 1...1_000_000), ("max_header_bytes", \.maxHeaderBytes, 1024...(1 << 24)),
                ("max_header_count", \.maxHeaderCount, 8...10_000),
            ]
            for (name, field, range) in counts {
                if let value = fields[name] {
                    configuration.server[keyPath: field] = try reader.integer(value, at: "server.\(name)", in: range)
                }
            }
            if let chunks = fields["stream_buffer_chunks"] {
                configuration.streamBufferChunks = try reader.integer(chunks, at: "server.stream_buffer_chunks", in: 1...4096)
            }
            if let secret = fields["client_id_secret"] {
                var parser = ProvidersParser(reader: reader, environment: environment ?? ProcessEnvironment.variables())
                configuration.server.clientIDSecret = ClientIDSecret(
                    try parser.secret(secret, at: "server.client_id_secret", warnIfLiteral: true))
                configuration.warnings += parser.warnings
            }
            if let wait = fields["max_plugin_wait_ms"] {
                configuration.maximumPluginWait = .milliseconds(
                    try reader.integer(wait, at: "server.max_plugin_wait_ms", in: 1...3_600_000))
            }
        }
        if let directory = root["plugin_dir"] {
            let path = try reader.string(directory, at: "plugin_dir")
            configuration.pluginDirectory = resolve(path, relativeTo: directoryOf(file))
        }
        if let defaults = root["plugin_defaults"] {
            let fields = try reader.object(defaults, at: "plugin_defaults", allowed: isolationFields)
            let parsed = try parseIsolation(
                fields, at: "plugin_defaults", base: configuration.pluginDefaults.workerSettings, reader: reader)
            configuration.pluginDefaults.isolation = parsed.isolation
            configuration.pluginDefaults.workerSettings = parsed.settings
        }
        if let plugins = root["plugins"] {
            for (index, entry) in try reader.array(plugins, at: "plugins").enumerated() {
                let path = "plugins[\(index)]"
                let fields = try reader.object(
                    entry, at: path,
                    allowed: isolationFields.union([
                        "file", "optional", "failure_policy", "config", "timeout_ms", "blocking", "scope", "state_policy",
                    ]))
                guard let fileValue = fields["file"] else {
                    throw ConfigurationError(file: file, path: "\(path).file", message: "required: the plugin's .so file")
                }
                var plugin = PluginEntry(file: try reader.string(fileValue, at: "\(path).file"))
                if let optional = fields["optional"] { plugin.optional = try reader.bool(optional, at: "\(path).optional") }
                if let blocking = fields["blocking"] { plugin.blocking = try reader.bool(blocking, at: "\(path).blocking") }
                let isolation = try parseIsolation(
                    fields, at: path, base: configuration.pluginDefaults.workerSettings, reader: reader)
                if fields["worker"] != nil, isolation.isolation == nil, configuration.pluginDefaults.isolation == nil {
                    throw ConfigurationError(
                        file: file, path: "\(path).worker",
                        message: "worker settings apply only to a plugin with \"isolation\": \"process\"")
                }
                plugin.isolation = isolation.isolation ?? (fields["worker"] != nil ? .process(isolation.settings) : nil)
                if let timeout = fields["timeout_ms"] {
                    plugin.hookDeadline = .milliseconds(try reader.integer(timeout, at: "\(path).timeout_ms", in: 1...3_600_000))
                }
                if let policy = fields["failure_policy"] {
                    plugin.failurePolicy = try reader.choice(policy, at: "\(path).failure_policy", of: FailurePolicy.self)
                }
                if let policy = fields["state_policy"] {
                    plugin.statePolicy = try reader.choice(policy, at: "\(path).state_policy", of: StatePolicy.self)
                }
                if let scope = fields["scope"] {
                    plugin.scope = try parseScope(scope, at: "\(path).scope", teams: teams, reader: reader)
                }
                if let config = fields["config"] {
                    var writer = JSONWriter()
                    writer.value(config)
                    plugin.configuration = writer.bytes
                }
                configuration.plugins.append(plugin)
            }
        }
        if let state = root["state"] {
            let (settings, warnings) = try parseState(
                state, reader: reader, environment: environment ?? ProcessEnvironment.variables())
            configuration.state = settings
            configuration.warnings += warnings
        }
        if let admin = root["admin"] {
            try parseAdmin(
                admin, reader: reader, environment: environment ?? ProcessEnvironment.variables(), into: &configuration)
        }
        if let providers = root["providers"] {
            try parseProviders(
                providers, reader: reader, environment: environment ?? ProcessEnvironment.variables(), into: &configuration)
        }
        return configuration
    }

    static func readFile(_ path: String) -> [UInt8]? { FileBytes.read(path) }

    static func directoryOf(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func resolve(_ path: String, relativeTo directory: String) -> String {
        path.hasPrefix("/") ? path : "\(directory)/\(path)"
    }
}

/// Checks the shape of JSON configuration values, naming the field in every error.
struct ConfigurationReader {
    let file: String

    func fail(_ path: String, _ message: String) -> ConfigurationError {
        ConfigurationError(file: file, path: path, message: message)
    }

    func object(_ value: JSONValue, at path: String, allowed: Set<String>) throws(ConfigurationError) -> [String: JSONValue] {
        guard case .object(let fields) = value else { throw fail(path, "expected an object, got \(value.kindDescription)") }
        for key in fields.keys.sorted() where !allowed.contains(key) {
            let field = path.isEmpty ? key : "\(path).\(key)"
            throw fail(field, "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
        }
        return fields.dictionary
    }

    /// One of `Choice`'s cases by its raw value; the error lists them all.
    func choice<Choice: RawRepresentable & CaseIterable>(_ value: JSONValue, at path: String, of _: Choice.Type)
        throws(ConfigurationError) -> Choice where Choice.RawValue == String
    {
        let name = try string(value, at: path)
        guard let parsed = Choice(rawValue: name) else {
            let names = Choice.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: " or ")
            throw fail(path, "expected \(names), got \"\(name)\"")
        }
        return parsed
    }

    func array(_ value: JSONValue, at path: String) throws(ConfigurationError) -> [JSONValue] {
        guard case .array(let elements) = value else { throw fail(path, "expected an array, got \(value.kindDescription)") }
        return elements
    }

    func string(_ value: JSONValue, at path: String) throws(ConfigurationError) -> String {
        guard case .string(let text) = value, !text.isEmpty else {
            throw fail(path, "expected a non-empty string, got \(value.kindDescription)")
        }
        return text
    }

    func bool(_ value: JSONValue, at path: String) throws(ConfigurationError) -> Bool {
        guard case .bool(let flag) = value else { throw fail(path, "expected true or false, got \(value.kindDescription)") }
        return flag
    }

    func integer(_ value: JSONValue, at path: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        guard let number = value.intValue else { throw fail(path, "expected an integer, got \(value.kindDescription)") }
        guard range.contains(number) else {
            throw fail(path, "expected an integer from \(range.lowerBound) to \(range.upperBound), got \(number)")
        }
        return number
    }
}
