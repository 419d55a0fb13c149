import BifrostCore
import BifrostProviders

extension GatewayConfiguration {
    /// Reads the `providers` section into ``providers`` (and the mock's latency into ``mock``).
    ///
    /// Each provider is an object; `kind` (`openai`, `anthropic` or `mock`) defaults to the
    /// provider's name when that is one of them and is required otherwise. Secrets are
    /// written `env.NAME` and read from `environment`; a missing or empty variable is an
    /// error naming the variable and the field; a literal secret is accepted with a warning
    /// in ``warnings``. No error or warning ever contains a secret.
    ///
    /// ```json
    /// "providers": {
    ///   "mock": {"latency_ms": 0},
    ///   "openai": {"kind": "openai", "base_url": "https://api.openai.com/v1",
    ///              "keys": [{"value": "env.OPENAI_API_KEY", "weight": 2, "models": ["gpt-4o-mini"]}],
    ///              "models": ["gpt-4o-mini", "gpt-4o"],
    ///              "timeouts": {"connect_ms": 5000, "request_ms": 60000, "stream_idle_ms": 30000},
    ///              "retry": {"max_attempts": 3, "initial_backoff_ms": 250, "max_backoff_ms": 8000},
    ///              "concurrency": {"max_in_flight": 64, "max_queued": 256},
    ///              "fallbacks": {"gpt-4o": ["anthropic/claude-3-5-haiku-latest"]},
    ///              "headers": {"OpenAI-Organization": "org-…"}},
    ///   "anthropic": {"keys": [{"value": "env.ANTHROPIC_API_KEY"}]}
    /// }
    /// ```
    static func parseProviders(
        _ value: JSONValue, reader: ConfigurationReader, environment: [String: String],
        into configuration: inout GatewayConfiguration
    ) throws(ConfigurationError) {
        guard case .object(let entries) = value else {
            throw reader.fail("providers", "expected an object of providers by name, got \(value.kindDescription)")
        }
        var parser = ProvidersParser(reader: reader, environment: environment)
        var providers: [String: ProviderSettings] = ["mock": defaultMockSettings]
        for (name, entry) in entries.dictionary.sorted(by: { $0.key < $1.key }) {
            providers[name] = try parser.provider(name, entry, mock: &configuration.mock)
        }
        try parser.checkFallbacks(providers)
        configuration.providers = providers.sorted(by: { $0.key < $1.key }).map(\.value)
        configuration.warnings += parser.warnings
    }
}

/// Reads one provider after another, collecting warnings.
struct ProvidersParser {
    let reader: ConfigurationReader
    let environment: [String: String]
    var warnings: [String] = []

    static let officialBaseURLs: [ProviderSettings.Kind: String] = [
        .openai: "https://api.openai.com/v1", .anthropic: "https://api.anthropic.com/v1",
    ]
    static let networkFields: Set<String> = [
        "kind", "base_url", "keys", "models", "timeouts", "retry", "concurrency", "fallbacks", "headers",
    ]
    static let mockFields: Set<String> = ["kind", "latency_ms", "retry", "concurrency", "fallbacks"]

    mutating func provider(_ name: String, _ value: JSONValue, mock: inout GatewayConfiguration.MockSettings)
        throws(ConfigurationError) -> ProviderSettings
    {
        let path = "providers.\(name)"
        try checkName(name, at: path)
        guard case .object(let raw) = value else { throw reader.fail(path, "expected an object, got \(value.kindDescription)") }
        let kind = try self.kind(name, raw["kind"], at: path)
        if kind == .mock {
            guard name == "mock" else {
                throw reader.fail("\(path).kind", "kind \"mock\" is reserved for the built-in provider named mock")
            }
            let fields = try reader.object(value, at: path, allowed: Self.mockFields)
            if let latency = fields["latency_ms"] {
                mock.latencyMilliseconds = try reader.integer(latency, at: "\(path).latency_ms", in: 0...600_000)
            }
            var settings = GatewayConfiguration.defaultMockSettings
            try resilience(fields, at: path, into: &settings)
            return settings
        }
        let fields = try reader.object(value, at: path, allowed: Self.networkFields)
        let baseURL: String
        if let url = fields["base_url"] {
            baseURL = try self.baseURL(url, at: "\(path).base_url")
        } else if name == kind.rawValue, let official = Self.officialBaseURLs[kind] {
            baseURL = official
        } else {
            throw reader.fail("\(path).base_url", "required for a provider not named \(kind.rawValue): the API's base URL")
        }
        var settings = ProviderSettings(name: name, kind: kind, baseURL: baseURL)
        if let models = fields["models"] { settings.models = try modelList(models, at: "\(path).models") }
        if let keys = fields["keys"] {
            for (index, key) in try reader.array(keys, at: "\(path).keys").enumerated() {
                settings.keys.append(
                    try apiKey(key, provider: name, index: index, models: settings.models, at: "\(path).keys[\(index)]"))
            }
        }
        if let timeouts = fields["timeouts"] {
            let timeoutPath = "\(path).timeouts"
            let parts = try reader.object(timeouts, at: timeoutPath, allowed: ["connect_ms", "request_ms", "stream_idle_ms"])
            if let connect = parts["connect_ms"] {
                settings.timeouts.connect = .milliseconds(try milliseconds(connect, at: "\(timeoutPath).connect_ms"))
            }
            if let request = parts["request_ms"] {
                settings.timeouts.request = .milliseconds(try milliseconds(request, at: "\(timeoutPath).request_ms"))
            }
            if let idle = parts["stream_idle_ms"] {
                settings.timeouts.streamIdle = .milliseconds(try milliseconds(idle, at: "\(timeoutPath).stream_idle_ms"))
            }
        }
        try resilience(fields, at: path, into: &settings)
        if let headers = fields["headers"] {
            guard case .object(let pairs) = headers else {
                throw reader.fail(
                    "\(path).headers", "expected an object of header names to values, got \(headers.kindDescription)")
            }
            for (headerName, headerValue) in pairs.dictionary.sorted(by: { $0.key < $1.key }) {
                let headerPath = "\(path).headers.\(headerName)"
                guard HeaderFields.isValidName(headerName) else { throw reader.fail(headerPath, "not a valid HTTP header name") }
                settings.headers[headerName] = try secret(headerValue, at: headerPath, warnIfLiteral: false)
            }
        }
        return settings
    }

    /// `retry`, `concurrency` and `fallbacks`, shared by every kind.
    func resilience(_ fields: [String: JSONValue], at path: String, into settings: inout ProviderSettings)
        throws(ConfigurationError)
    {
        if let retry = fields["retry"] {
            let retryPath = "\(path).retry"
            let parts = try reader.object(
                retry, at: retryPath, allowed: ["max_attempts", "initial_backoff_ms", "max_backoff_ms"])
            if let attempts = parts["max_attempts"] {
                settings.retry.maxAttempts = try reader.integer(attempts, at: "\(retryPath).max_attempts", in: 1...20)
            }
            if let initial = parts["initial_backoff_ms"] {
                settings.retry.initialBackoff = .milliseconds(
                    try reader.integer(initial, at: "\(retryPath).initial_backoff_ms", in: 0...600_000))
            }
            if let maximum = parts["max_backoff_ms"] {
                settings.retry.maxBackoff = .milliseconds(
                    try reader.integer(maximum, at: "\(retryPath).max_backoff_ms", in: 0...600_000))
            }
            guard settings.retry.maxBackoff >= settings.retry.initialBackoff else {
                throw reader.fail(
                    "\(retryPath).max_backoff_ms",
                    "must be at least initial_backoff_ms (\(settings.retry.initialBackoff)), got \(settings.retry.maxBackoff)")
            }
        }
        if let concurrency = fields["concurrency"] {
            let concurrencyPath = "\(path).concurrency"
            let parts = try reader.object(concurrency, at: concurrencyPath, allowed: ["max_in_flight", "max_queued"])
            if let inFlight = parts["max_in_flight"] {
                settings.maxConcurrentRequests = try reader.integer(
                    inFlight, at: "\(concurrencyPath).max_in_flight", in: 1...100_000)
            }
            if let queued = parts["max_queued"] {
                settings.maxQueuedRequests = try reader.integer(queued, at: "\(concurrencyPath).max_queued", in: 0...1_000_000)
            }
        }
        if let fallbacks = fields["fallbacks"] {
            let fallbackPath = "\(path).fallbacks"
            guard case .object(let byModel) = fallbacks else {
                throw reader.fail(
                    fallbackPath, "expected an object of model → [\"provider/model\", …], got \(fallbacks.kindDescription)")
            }
            for (model, list) in byModel.dictionary.sorted(by: { $0.key < $1.key }) {
                let modelPath = "\(fallbackPath).\(model)"
                let served = settings.kind == .mock ? MockProvider().models : settings.models
                if !served.isEmpty && !served.contains(model) {
                    throw reader.fail(modelPath, "model '\(model)' is not in \(path).models")
                }
                var targets: [String] = []
                for (index, target) in try reader.array(list, at: modelPath).enumerated() {
                    let name = try reader.string(target, at: "\(modelPath)[\(index)]")
                    let (provider, targetModel) = ChatRequest.splitModel(name)
                    guard !provider.isEmpty, !targetModel.isEmpty else {
                        throw reader.fail("\(modelPath)[\(index)]", "expected \"provider/model\", got \"\(name)\"")
                    }
                    targets.append(name)
                }
                settings.fallbacks[model] = targets
            }
        }
    }

    /// Every fallback names a configured provider, and a model it serves when it lists them.
    func checkFallbacks(_ providers: [String: ProviderSettings]) throws(ConfigurationError) {
        let names = providers.keys.sorted()
        for name in names {
            let settings = providers[name]!
            for (model, targets) in settings.fallbacks.sorted(by: { $0.key < $1.key }) {
                for (index, target) in targets.enumerated() {
                    let path = "providers.\(name).fallbacks.\(model)[\(index)]"
                    let (provider, targetModel) = ChatRequest.splitModel(target)
                    guard let other = providers[String(provider)] else {
                        throw reader.fail(
                            path, "unknown provider '\(provider)'; configured providers: \(names.joined(separator: ", "))")
                    }
                    let served = other.kind == .mock ? MockProvider().models : other.models
                    if !served.isEmpty && !served.contains(String(targetModel)) {
                        throw reader.fail(path, "provider '\(provider)' has no model '\(targetModel)'")
                    }
                }
            }
        }
    }

    func kind(_ name: String, _ value: JSONValue?, at path: String) throws(ConfigurationError) -> ProviderSettings.Kind {
        let expected = ProviderKinds.names.map { "\"\($0)\"" }.joined(separator: ", ")
        guard let value else {
            let kind = ProviderSettings.Kind(rawValue: name)
            if ProviderKinds.factory(for: kind) != nil { return kind }
            throw reader.fail(
                "\(path).kind", "required for a provider not named openai, anthropic or mock; expected one of \(expected)")
        }
        let text = try reader.string(value, at: "\(path).kind")
        let kind = ProviderSettings.Kind(rawValue: text)
        guard ProviderKinds.factory(for: kind) != nil else {
            throw reader.fail("\(path).kind", "expected one of \(expected), got \"\(text)\"")
        }
        return kind
    }

    func checkName(_ name: String, at path: String) throws(ConfigurationError) {
        let simple = name.utf8.allSatisfy { Self.isVariableByte($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".") }
        guard !name.isEmpty, simple else {
            throw reader.fail(path, "a provider name must be non-empty and use only letters, digits, '-', '_' and '.'")
        }
    }

    func baseURL(_ value: JSONValue, at path: String) throws(ConfigurationError) -> String {
        var url = try reader.string(value, at: path)
        let expected = "expected an http:// or https:// URL, e.g. \"https://api.openai.com/v1\""
        guard !url.contains(" ") else { throw reader.fail(path, "\(expected); it contains a space") }
        // The same parser the upstream client uses, so start-up refuses what requests would.
        do {
            _ = try UpstreamEndpoint.parse(url)
        } catch {
            throw reader.fail(path, "\(expected); \(error.reason)")
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    func modelList(_ value: JSONValue, at path: String) throws(ConfigurationError) -> [String] {
        var models: [String] = []
        for (index, element) in try reader.array(value, at: path).enumerated() {
            let model = try reader.string(element, at: "\(path)[\(index)]")
            guard !models.contains(model) else { throw reader.fail("\(path)[\(index)]", "model '\(model)' is listed twice") }
            models.append(model)
        }
        return models
    }

    func milliseconds(_ value: JSONValue, at path: String) throws(ConfigurationError) -> Int {
        try reader.integer(value, at: path, in: 1...86_400_000)
    }

    mutating func apiKey(_ value: JSONValue, provider: String, index: Int, models: [String], at path: String)
        throws(ConfigurationError) -> APIKey
    {
        guard case .object(let fields) = value else {
            throw reader.fail(path, "expected an object like {\"value\": \"env.NAME\"}, got \(value.kindDescription)")
        }
        let allowed: Set<String> = ["value", "weight", "models"]
        if fields.keys.contains(where: { !allowed.contains($0) }) {
            // The field's name is not shown: a secret pasted in the wrong place must not be echoed.
            throw reader.fail(
                path, "unknown field (name not shown in case it is a secret); expected one of models, value, weight")
        }
        guard let secretValue = fields["value"] else {
            throw reader.fail("\(path).value", "required: the key, written \"env.NAME\" to read it from the environment")
        }
        var key = APIKey(id: "\(provider)#\(index)", secret: try secret(secretValue, at: "\(path).value", warnIfLiteral: true))
        if let weight = fields["weight"] {
            guard let number = weight.doubleValue, number > 0, number <= 1_000_000 else {
                throw reader.fail("\(path).weight", "expected a number greater than 0 and at most 1000000")
            }
            key.weight = number
        }
        if let allowedModels = fields["models"] {
            let list = try modelList(allowedModels, at: "\(path).models")
            for (modelIndex, model) in list.enumerated() where !models.isEmpty && !models.contains(model) {
                throw reader.fail("\(path).models[\(modelIndex)]", "model '\(model)' is not in providers.\(provider).models")
            }
            key.models = Set(list)
        }
        return key
    }

    /// A value that may be a secret: `env.NAME` is read from the environment; anything else is
    /// taken literally (with a warning for keys). Messages never include the value.
    mutating func secret(_ value: JSONValue, at path: String, warnIfLiteral: Bool) throws(ConfigurationError) -> String {
        guard case .string(let text) = value, !text.isEmpty else {
            throw reader.fail(path, "expected a non-empty string (\"env.NAME\" or the value), got \(value.kindDescription)")
        }
        guard text.hasPrefix("env.") else {
            if warnIfLiteral {
                warnings.append(
                    "\(reader.file): \(path): a literal secret in the configuration file; "
                        + "write \"env.NAME\" to read it from the environment instead")
            }
            return text
        }
        let variable = String(text.dropFirst(4))
        guard !variable.isEmpty, variable.utf8.allSatisfy({ Self.isVariableByte($0) }) else {
            throw reader.fail(path, "\"env.\" must be followed by an environment variable name (letters, digits, _)")
        }
        guard let secret = environment[variable] else {
            throw reader.fail(path, "environment variable \(variable) is not set")
        }
        guard !secret.isEmpty else { throw reader.fail(path, "environment variable \(variable) is empty") }
        return secret
    }

    static func isVariableByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x5F
    }
}
