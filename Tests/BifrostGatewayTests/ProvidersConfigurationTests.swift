import BifrostCore
import BifrostGateway
import Testing

@Suite("Configuration file: the providers section")
struct ProvidersConfigurationTests {
    static let environment = [
        "OPENAI_API_KEY": "sk-openai-secret-0", "OPENAI_KEY_2": "sk-openai-secret-1", "GROQ_API_KEY": "gsk-groq-secret",
        "ANTHROPIC_API_KEY": "sk-ant-secret", "ORG": "org-123",
    ]
    static let secrets = ["sk-openai-secret-0", "sk-openai-secret-1", "gsk-groq-secret", "sk-ant-secret", "sk-literal-in-file"]

    func parse(_ json: String, environment: [String: String] = environment) throws -> GatewayConfiguration {
        try GatewayConfiguration.parse(try JSONValue.parse(json), file: "bifrost.json", environment: environment)
    }

    func failure(_ json: String, environment: [String: String] = environment) -> String? {
        do {
            _ = try parse(json, environment: environment)
            return nil
        } catch {
            return "\(error)"
        }
    }

    func provider(_ configuration: GatewayConfiguration, _ name: String) throws -> ProviderSettings {
        try #require(configuration.providers.first { $0.name == name })
    }

    @Test func everyFieldIsRead() throws {
        let configuration = try parse(
            #"""
            {"providers": {
              "mock": {"latency_ms": 7, "retry": {"max_attempts": 2}, "fallbacks": {"fail": ["mock/echo"]}},
              "openai": {"kind": "openai", "base_url": "https://api.openai.com/v1/",
                         "keys": [{"value": "env.OPENAI_API_KEY", "weight": 2, "models": ["gpt-4o-mini"]}, {"value": "env.OPENAI_KEY_2"}],
                         "models": ["gpt-4o-mini", "gpt-4o"],
                         "timeouts": {"connect_ms": 5000, "request_ms": 60000, "stream_idle_ms": 30000},
                         "retry": {"max_attempts": 3, "initial_backoff_ms": 250, "max_backoff_ms": 8000},
                         "concurrency": {"max_in_flight": 64, "max_queued": 256},
                         "fallbacks": {"gpt-4o": ["anthropic/claude-3-5-haiku-latest"]},
                         "headers": {"OpenAI-Organization": "env.ORG", "X-Extra": "literal"}},
              "groq": {"kind": "openai", "base_url": "https://api.groq.com/openai/v1", "keys": [{"value": "env.GROQ_API_KEY"}]},
              "anthropic": {"kind": "anthropic", "base_url": "https://api.anthropic.com/v1", "keys": [{"value": "env.ANTHROPIC_API_KEY"}]}
            }}
            """#)
        #expect(configuration.providers.map(\.name) == ["anthropic", "groq", "mock", "openai"])
        let openai = try provider(configuration, "openai")
        #expect(openai.kind == .openai)
        #expect(openai.baseURL == "https://api.openai.com/v1")
        #expect(
            openai.keys == [
                APIKey(id: "openai#0", secret: "sk-openai-secret-0", weight: 2, models: ["gpt-4o-mini"]),
                APIKey(id: "openai#1", secret: "sk-openai-secret-1"),
            ])
        #expect(openai.models == ["gpt-4o-mini", "gpt-4o"])
        #expect(
            openai.timeouts
                == ProviderSettings.Timeouts(connect: .milliseconds(5000), request: .seconds(60), streamIdle: .seconds(30)))
        #expect(
            openai.retry
                == ProviderSettings.RetryPolicy(maxAttempts: 3, initialBackoff: .milliseconds(250), maxBackoff: .seconds(8)))
        #expect(openai.maxConcurrentRequests == 64)
        #expect(openai.maxQueuedRequests == 256)
        #expect(openai.fallbacks == ["gpt-4o": ["anthropic/claude-3-5-haiku-latest"]])
        #expect(openai.headers == ["OpenAI-Organization": "org-123", "X-Extra": "literal"])
        let groq = try provider(configuration, "groq")
        #expect(groq.kind == .openai && groq.baseURL == "https://api.groq.com/openai/v1")
        #expect(groq.keys == [APIKey(id: "groq#0", secret: "gsk-groq-secret")])
        #expect(groq.models.isEmpty)
        #expect(groq.retry == ProviderSettings.RetryPolicy())
        let anthropic = try provider(configuration, "anthropic")
        #expect(anthropic.kind == .anthropic && anthropic.keys.map(\.id) == ["anthropic#0"])
        let mock = try provider(configuration, "mock")
        #expect(mock.kind == .mock && mock.retry.maxAttempts == 2 && mock.fallbacks == ["fail": ["mock/echo"]])
        #expect(configuration.mock.latencyMilliseconds == 7)
        #expect(configuration.warnings.isEmpty)
    }

    @Test func theMockIsAlwaysThereAndKindAndBaseURLDefaultFromTheName() throws {
        #expect(GatewayConfiguration().providers == [GatewayConfiguration.defaultMockSettings])
        let configuration = try parse(#"{"providers": {"anthropic": {"keys": [{"value": "env.ANTHROPIC_API_KEY"}]}}}"#)
        #expect(configuration.providers.map(\.name) == ["anthropic", "mock"])
        let anthropic = try provider(configuration, "anthropic")
        #expect(anthropic.kind == .anthropic && anthropic.baseURL == "https://api.anthropic.com/v1")
        #expect(try provider(configuration, "mock") == GatewayConfiguration.defaultMockSettings)
        let openai = try provider(try parse(#"{"providers": {"openai": {}}}"#), "openai")
        #expect(openai.baseURL == "https://api.openai.com/v1" && openai.keys.isEmpty)
    }

    @Test func aLiteralSecretIsAcceptedWithAWarningThatDoesNotShowIt() throws {
        let configuration = try parse(#"{"providers": {"openai": {"keys": [{"value": "sk-literal-in-file"}]}}}"#)
        #expect(try provider(configuration, "openai").keys.first?.secret == "sk-literal-in-file")
        #expect(configuration.warnings.count == 1)
        #expect(configuration.warnings.first?.contains("providers.openai.keys[0].value") == true)
        #expect(configuration.warnings.first?.contains("sk-literal") == false)
    }

    @Test func aMissingEnvironmentVariableIsNamedWithItsField() throws {
        let message = try #require(
            failure(#"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY"}, {"value": "env.NOT_SET_ANYWHERE"}]}}}"#)
        )
        #expect(message == "bifrost.json: providers.openai.keys[1].value: environment variable NOT_SET_ANYWHERE is not set")
        let empty = try #require(
            failure(#"{"providers": {"openai": {"keys": [{"value": "env.EMPTY"}]}}}"#, environment: ["EMPTY": ""]))
        #expect(empty.contains("providers.openai.keys[0].value: environment variable EMPTY is empty"))
    }

    @Test func theProcessEnvironmentIsTheDefault() throws {
        let path = try #require(ProcessEnvironment.variables()["PATH"])
        let configuration = try GatewayConfiguration.parse(
            try JSONValue.parse(#"{"providers": {"openai": {"keys": [{"value": "env.PATH"}]}}}"#), file: "f")
        #expect(try provider(configuration, "openai").keys.first?.secret == path)
    }

    @Test(arguments: [
        (#"{"providers": []}"#, "providers: expected an object of providers by name, got an array"),
        (#"{"providers": {"groq": {"base_url": "https://x"}}}"#, "providers.groq.kind: required for a provider not named"),
        (
            #"{"providers": {"groq": {"kind": "gemini"}}}"#,
            #"providers.groq.kind: expected one of "openai", "anthropic", "mock", got "gemini""#
        ),
        (#"{"providers": {"groq": {"kind": "openai"}}}"#, "providers.groq.base_url: required for a provider not named openai"),
        (#"{"providers": {"groq": {"kind": "mock"}}}"#, #"providers.groq.kind: kind "mock" is reserved"#),
        (#"{"providers": {"a/b": {"kind": "openai"}}}"#, "providers.a/b: a provider name must be"),
        (
            #"{"providers": {"openai": {"base_url": "ftp://x"}}}"#,
            "providers.openai.base_url: expected an http:// or https:// URL"
        ),
        (
            #"{"providers": {"openai": {"base_url": "http://user:pw@x/v1"}}}"#,
            "providers.openai.base_url: expected an http:// or https:// URL, e.g. \"https://api.openai.com/v1\"; credentials in the URL"
        ),
        (#"{"providers": {"openai": {"base_url": "http://x:99999/v1"}}}"#, "the port must be a number from 1 to 65535"),
        (#"{"providers": {"openai": {"bse_url": "https://x"}}}"#, "providers.openai.bse_url: unknown field; expected one of"),
        (#"{"providers": {"mock": {"base_url": "https://x"}}}"#, "providers.mock.base_url: unknown field"),
        (#"{"providers": {"openai": {"keys": {"value": "env.X"}}}}"#, "providers.openai.keys: expected an array, got an object"),
        (#"{"providers": {"openai": {"keys": ["env.X"]}}}"#, "providers.openai.keys[0]: expected an object like"),
        (#"{"providers": {"openai": {"keys": [{"weight": 1}]}}}"#, "providers.openai.keys[0].value: required"),
        (#"{"providers": {"openai": {"keys": [{"value": 12}]}}}"#, "providers.openai.keys[0].value: expected a non-empty string"),
        (
            #"{"providers": {"openai": {"keys": [{"value": "env."}]}}}"#,
            #"providers.openai.keys[0].value: "env." must be followed"#
        ),
        (
            #"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY", "weight": 0}]}}}"#,
            "providers.openai.keys[0].weight: expected a number greater than 0"
        ),
        (
            #"{"providers": {"openai": {"models": ["a"], "keys": [{"value": "env.OPENAI_API_KEY", "models": ["b"]}]}}}"#,
            "providers.openai.keys[0].models[0]: model 'b' is not in providers.openai.models"
        ),
        (#"{"providers": {"openai": {"models": ["a", "a"]}}}"#, "providers.openai.models[1]: model 'a' is listed twice"),
        (#"{"providers": {"openai": {"models": "a"}}}"#, "providers.openai.models: expected an array, got a string"),
        (
            #"{"providers": {"openai": {"timeouts": {"connect_ms": 0}}}}"#,
            "providers.openai.timeouts.connect_ms: expected an integer from 1"
        ),
        (#"{"providers": {"openai": {"timeouts": {"idle_ms": 5}}}}"#, "providers.openai.timeouts.idle_ms: unknown field"),
        (
            #"{"providers": {"openai": {"retry": {"max_attempts": 0}}}}"#,
            "providers.openai.retry.max_attempts: expected an integer from 1 to 20, got 0"
        ),
        (
            #"{"providers": {"openai": {"retry": {"initial_backoff_ms": 500, "max_backoff_ms": 100}}}}"#,
            "providers.openai.retry.max_backoff_ms: must be at least initial_backoff_ms"
        ),
        (
            #"{"providers": {"openai": {"concurrency": {"max_in_flight": 0}}}}"#,
            "providers.openai.concurrency.max_in_flight: expected an integer from 1"
        ),
        (
            #"{"providers": {"openai": {"concurrency": {"max_queued": -1}}}}"#,
            "providers.openai.concurrency.max_queued: expected an integer from 0"
        ),
        (#"{"providers": {"openai": {"fallbacks": ["mock/echo"]}}}"#, "providers.openai.fallbacks: expected an object of model"),
        (
            #"{"providers": {"openai": {"fallbacks": {"m": ["echo"]}}}}"#,
            #"providers.openai.fallbacks.m[0]: expected "provider/model", got "echo""#
        ),
        (
            #"{"providers": {"openai": {"fallbacks": {"m": ["nope/x"]}}}}"#,
            "providers.openai.fallbacks.m[0]: unknown provider 'nope'; configured providers: mock, openai"
        ),
        (
            #"{"providers": {"openai": {"fallbacks": {"m": ["mock/nope"]}}}}"#,
            "providers.openai.fallbacks.m[0]: provider 'mock' has no model 'nope'"
        ),
        (
            #"{"providers": {"openai": {"models": ["a"], "fallbacks": {"b": ["mock/echo"]}}}}"#,
            "providers.openai.fallbacks.b: model 'b' is not in providers.openai.models"
        ),
        (
            #"{"providers": {"openai": {"headers": {"Bad Name": "x"}}}}"#,
            "providers.openai.headers.Bad Name: not a valid HTTP header name"
        ),
        (#"{"providers": {"openai": {"headers": {"X-A": 1}}}}"#, "providers.openai.headers.X-A: expected a non-empty string"),
        (
            #"{"providers": {"openai": {"headers": {"X-A": "env.NOT_SET_ANYWHERE"}}}}"#,
            "providers.openai.headers.X-A: environment variable NOT_SET_ANYWHERE is not set"
        ),
        (
            #"{"providers": {"mock": {"latency_ms": -1}}}"#,
            "providers.mock.latency_ms: expected an integer from 0 to 600000, got -1"
        ),
    ])
    func badValuesAreRefusedPrecisely(json: String, expected: String) throws {
        let message = try #require(failure(json))
        #expect(message.hasPrefix("bifrost.json: "))
        #expect(message.contains(expected), "\(message)")
    }

    @Test(arguments: [
        #"{"providers": {"openai": {"keys": [{"value": "sk-literal-in-file", "weight": -1}]}}}"#,
        #"{"providers": {"openai": {"keys": [{"value": "sk-literal-in-file", "models": [1]}]}}}"#,
        #"{"providers": {"openai": {"keys": [{"sk-literal-in-file": "value"}]}}}"#,
        #"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY", "sk-openai-secret-0": 1}]}}}"#,
        #"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY"}], "fallbacks": {"m": ["nope/x"]}}}}"#,
        #"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY"}, {"value": "env.MISSING"}]}}}"#,
        #"{"providers": {"openai": {"keys": [{"value": ["sk-literal-in-file"]}]}}}"#,
    ])
    func noErrorEverContainsASecret(json: String) throws {
        let message = try #require(failure(json))
        for secret in Self.secrets { #expect(!message.contains(secret), "\(message)") }
    }

    @Test func keysPrintWithoutTheirSecrets() throws {
        let configuration = try parse(#"{"providers": {"openai": {"keys": [{"value": "env.OPENAI_API_KEY"}]}}}"#)
        let printed = "\(try provider(configuration, "openai").keys) \(try provider(configuration, "openai").keys[0].credentials)"
        #expect(!printed.contains("sk-openai-secret-0"))
        #expect(printed.contains("openai#0"))
    }
}
