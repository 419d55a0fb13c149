import BifrostCore
import BifrostGateway
import BifrostLibrary
import BifrostTestSupport
import Foundation
import Testing

@Suite("Configuration file: every bad value names the file, the field and what was expected")
struct GatewayConfigurationTests {
    func load(_ json: String) throws -> GatewayConfiguration {
        let directory = try CPluginCompiler.temporaryDirectory("config")
        let file = directory + "/bifrost.json"
        try Data(json.utf8).write(to: URL(fileURLWithPath: file))
        return try GatewayConfiguration.load(file: file)
    }

    func failure(_ json: String) -> String? {
        do {
            _ = try load(json)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aCompleteFileIsRead() throws {
        let configuration = try load(
            #"{"server": {"host": "127.0.0.1", "port": 9000, "max_body_bytes": 1024}, "plugin_dir": "/opt/plugins", "plugins": [{"file": "a.so", "optional": true, "failure_policy": "fail_open", "config": {"x": 1}}], "providers": {"mock": {"latency_ms": 5}}}"#
        )
        #expect(configuration.server.port == 9000)
        #expect(configuration.server.maxBodyBytes == 1024)
        #expect(configuration.pluginDirectory == "/opt/plugins")
        #expect(
            configuration.plugins == [
                GatewayConfiguration.PluginEntry(
                    file: "a.so", optional: true, failurePolicy: .failOpen, configuration: Array(#"{"x":1}"#.utf8))
            ])
        #expect(configuration.mock.latencyMilliseconds == 5)
    }

    @Test func theClientSideLimitsAreRead() throws {
        let configuration = try load(
            #"{"server": {"keep_alive_idle_ms": 1500, "header_timeout_ms": 2000, "body_idle_timeout_ms": 3000, "body_timeout_ms": 4000, "max_connections": 50, "max_header_bytes": 4096, "max_header_count": 20, "max_plugin_wait_ms": 5000, "write_stall_timeout_ms": 6000, "stream_buffer_chunks": 64}}"#
        )
        #expect(configuration.server.keepAliveIdleTimeout == .milliseconds(1500))
        #expect(configuration.server.headerTimeout == .seconds(2))
        #expect(configuration.server.bodyIdleTimeout == .seconds(3))
        #expect(configuration.server.bodyTimeout == .seconds(4))
        #expect(configuration.server.maxConnections == 50)
        #expect(configuration.server.maxHeaderBytes == 4096)
        #expect(configuration.server.maxHeaderCount == 20)
        #expect(configuration.maximumPluginWait == .seconds(5))
        #expect(configuration.server.writeStallTimeout == .seconds(6))
        #expect(configuration.streamBufferChunks == 64)
    }

    @Test(arguments: [
        (
            #"{"plugins": [{"file": "a.so", "failure_policy": "maybe"}]}"#,
            #"plugins[0].failure_policy: expected "fail_closed" or "fail_open", got "maybe""#
        ),
        (#"{"server": {"port": 70000}}"#, "server.port: expected an integer from 0 to 65535, got 70000"),
        (
            #"{"server": {"prot": 1}}"#,
            "server.prot: unknown field; expected one of body_idle_timeout_ms, body_timeout_ms, client_id_secret, header_timeout_ms, host, keep_alive_idle_ms, max_body_bytes, max_connections, max_header_bytes, max_header_count, max_plugin_wait_ms, port, stream_buffer_chunks, write_stall_timeout_ms"
        ),
        (#"{"server": {"header_timeout_ms": 0}}"#, "server.header_timeout_ms: expected an integer from 1 to 86400000, got 0"),
        (#"{"server": {"max_connections": "many"}}"#, "server.max_connections: expected an integer"),
        (#"{"server": {"stream_buffer_chunks": 0}}"#, "server.stream_buffer_chunks: expected an integer from 1 to 4096, got 0"),
        (#"{"plugins": [{"optional": true}]}"#, "plugins[0].file: required"),
        (#"{"plugins": {"file": "a.so"}}"#, "plugins: expected an array, got an object"),
        (#"{"providers": {"mock": {"latency_ms": "slow"}}}"#, "providers.mock.latency_ms: expected an integer, got a string"),
        ("{", "not valid JSON"),
    ])
    func badValuesAreRefusedPrecisely(json: String, expected: String) throws {
        let message = try #require(failure(json))
        #expect(message.contains("bifrost.json: "))
        #expect(message.contains(expected))
    }

    @Test func aMissingFileIsAnError() {
        #expect(throws: ConfigurationError.self) { try GatewayConfiguration.load(file: "/nonexistent/bifrost.json") }
    }
}

@Suite("Loading a plugin directory")
struct PluginChainLoaderTests {
    func load(_ configuration: GatewayConfiguration) throws -> [ChainEntry] {
        try PluginChainLoader(configuration: configuration, logger: quietLogger()).load()
    }

    @Test func pluginsLoadInLexicalFileNameOrderAndOtherFilesAreSkipped() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("20-b.so", name: "b")
        try await directory.tracer("10-a.so", name: "a")
        try await directory.tracer("30-c.so", name: "c")
        try directory.write("README.txt", "not a plugin")
        let entries = try load(GatewayConfiguration(pluginDirectory: directory.path))
        #expect(entries.map(\.plugin.descriptor.name) == ["a", "b", "c"])
    }

    @Test func theConfigurationFileSetsTheOrderAndPolicies() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("10-a.so", name: "a")
        try await directory.tracer("20-b.so", name: "b")
        try await directory.tracer("30-c.so", name: "c")
        let entries = try load(
            GatewayConfiguration(
                pluginDirectory: directory.path,
                plugins: [.init(file: "30-c.so", failurePolicy: .failOpen), .init(file: "10-a.so")]))
        #expect(entries.map(\.plugin.descriptor.name) == ["c", "a", "b"])
        #expect(entries.map(\.failurePolicy) == [.failOpen, .failClosed, .failClosed])
    }

    @Test func aSidecarConfiguresItsPluginAndABadOneIsRefused() async throws {
        let directory = try PluginDirectory()
        try await directory.modelAlias(configuration: #"{"aliases": {"quick": "mock/echo"}}"#)
        #expect(try load(GatewayConfiguration(pluginDirectory: directory.path)).count == 1)

        try directory.write("10-model-alias.json", #"{"aliases": "#)
        #expect {
            _ = try load(GatewayConfiguration(pluginDirectory: directory.path))
        } throws: { error in
            "\(error)".contains("10-model-alias.so: refused: the plugin configuration")
                && "\(error)".contains("is not valid JSON")
        }
    }

    @Test func aDuplicateNameIsRefusedNamingBothFiles() async throws {
        let directory = try PluginDirectory()
        let first = try await directory.tracer("10-a.so", name: "same")
        let second = try await directory.tracer("20-a.so", name: "same")
        do {
            _ = try load(GatewayConfiguration(pluginDirectory: directory.path))
            Issue.record("duplicate accepted")
        } catch let error as PluginStartupError {
            #expect(error.refusals.map(\.kind) == [.duplicateName])
            #expect(error.description == "\(second): refused: duplicate plugin name 'same': already loaded from \(first)")
        }
    }

    @Test func anOptionalPluginThatIsRefusedIsSkipped() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("10-a.so", name: "a")
        let broken = try await CPluginCompiler.compile(
            zoo: "broken.c", as: "20-broken.so", in: directory.path, defines: ["BROKEN": "2"])
        let failing = GatewayConfiguration(pluginDirectory: directory.path)
        #expect(throws: PluginStartupError.self) { try load(failing) }
        let tolerant = GatewayConfiguration(pluginDirectory: directory.path, plugins: [.init(file: broken, optional: true)])
        #expect(try load(tolerant).map(\.plugin.descriptor.name) == ["a"])
    }
}

@Suite("README examples")
struct ReadmeConfigurationTests {
    /// The JSON code blocks of README.md, in order.
    static func jsonBlocks() throws -> [String] {
        let text = try String(contentsOfFile: CPluginCompiler.repositoryRoot + "/README.md", encoding: .utf8)
        return text.components(separatedBy: "```json\n").dropFirst().map { $0.components(separatedBy: "```")[0] }
    }

    @Test func everyConfigurationExampleInTheReadmeLoads() throws {
        let blocks = try Self.jsonBlocks()
        #expect(blocks.count >= 2)
        let environment = [
            "OPENAI_API_KEY": "sk-a", "OPENAI_KEY_2": "sk-b", "ANTHROPIC_API_KEY": "sk-c", "BIFROST_ADMIN_TOKEN": "admin-t",
            "REDIS_PASSWORD": "redis-p", "BIFROST_CLIENT_ID_SECRET": "client-id-s",
        ]
        for block in blocks {
            let configuration = try GatewayConfiguration.parse(
                try JSONValue.parse(block), file: "README.md", environment: environment)
            #expect(configuration.providers.contains { $0.name == "mock" })
        }
        let providers = try GatewayConfiguration.parse(
            try JSONValue.parse(blocks[0]), file: "README.md", environment: environment
        )
        .providers
        if blocks[0].contains("\"openai\"") {
            let openai = try #require(providers.first { $0.name == "openai" })
            #expect(openai.keys.map(\.id) == ["openai#0", "openai#1"])
            #expect(openai.keys.first?.models == ["gpt-4o-mini"])
            #expect(openai.retry.maxAttempts == 3)
            #expect(openai.maxQueuedRequests == 256)
        }
    }
}
