import BifrostCore
import BifrostGateway
import BifrostNativePlugins
import BifrostTestSupport
import Foundation
import Testing

@Suite("End to end: real .so plugins behind real HTTP on 127.0.0.1")
struct GatewayEndToEndTests {
    @Test func aCPluginBuiltFromTheHeaderAloneIsObservedThroughHTTP() async throws {
        let directory = try PluginDirectory()
        try await directory.modelAlias()
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON("Hello", model: "fast"))
            #expect(response.status == 200)
            #expect(response.headers["x-bifrost-model-alias"] == "fast")
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "echo")
            #expect(
                try response.json().objectField("choices") == [
                    ["index": 0, "message": ["role": "assistant", "content": "Echo: Hello"], "finish_reason": "stop"]
                ])
        }
    }

    @Test func hookOrderIsVisibleInTheResponse() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("10-a.so", name: "a")
        try await directory.tracer("20-b.so", name: "b")
        try await directory.tracer("30-c.so", name: "c")
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.headers["x-trace"] == "pre:a,pre:b,pre:c,post:c,post:b,post:a")
        }
    }

    @Test func aRejectionsStatusMessageAndRetryAfterReachTheClientAndServiceContinues() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("10-a.so", name: "a")
        try await directory.tracer("20-limiter.so", name: "limiter", ["REJECT_STATUS": "429"])
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            for _ in 0..<3 {
                let response = try await client.postJSON("/v1/chat/completions", chatJSON())
                #expect(response.status == 429)
                #expect(response.headers["retry-after"] == "7")
                #expect(response.headers["x-trace"] == "pre:a,pre:limiter,post:limiter,post:a")
                let error = try #require(try response.json().objectField("error"))
                #expect(error.objectField("message") == "rejected by limiter: slow down")
                #expect(error.objectField("type") == "rate_limit_exceeded")
            }
            #expect(try await client.get("/health").status == 200)
        }
    }

    @Test func aFaultingNativePluginGives500NamingItAndOthersKeepWorking() async throws {
        let directory = try PluginDirectory()
        try await directory.tracer("10-faulty.so", name: "faulty", ["FAULT_IN_PRE": "2"])
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 500)
            let message = try #require(try response.json().objectField("error")?.objectField("message")?.stringValue)
            #expect(message == "plugin 'faulty' failed in PreHook: the PreHook returned unknown action 7")
            #expect(try await client.get("/v1/models").status == 200)
        }
        let tolerant = GatewayConfiguration(
            pluginDirectory: directory.path, plugins: [.init(file: "10-faulty.so", failurePolicy: .failOpen)])
        try await withGateway(tolerant) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 200)
        }
    }

    @Test func theChainIsListedOnApiPlugins() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias()
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let listing = PluginListing.normalized(try await client.get("/api/plugins").text)
            let plugins = try JSONValue.parse(listing).objectField("plugins")
            #expect(
                plugins == [
                    [
                        "name": "model-alias", "version": "1.0.0", "kind": "native", "abi_version": "1.7", "file": .string(file),
                        "content_hash": .string(try PluginLoader.contentHash(of: file)), "generation": 1, "loaded_at": "<time>",
                        "hooks": ["pre_hook", "post_hook"], "capabilities": [], "failure_policy": "fail_closed",
                        "hook_deadline_ms": 1000, "isolation": "in_process",
                        "state_store": [
                            "policy": "fail_open", "backend": "memory", "backend_up": true, "operations": 0, "fallbacks": 0,
                            "failures": 0,
                        ],
                        "position": 0, "state": "enabled", "scope": .null, "commands": [],
                    ]
                ])
        }
    }

    @Test func thousandsOfConcurrentHTTPRequestsCountExactlyInTwoNativePlugins() async throws {
        let directory = try PluginDirectory()
        let fileA = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "10-http-a.so", in: directory.path, defines: ["PLUGIN_NAME": "\"http-a\""])
        let fileB = try await CPluginCompiler.compile(
            zoo: "counter.c", as: "20-http-b.so", in: directory.path, defines: ["PLUGIN_NAME": "\"http-b\""])
        let total = 2000
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let ok = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<total {
                    group.addTask {
                        let response = try await client.postJSON("/v1/chat/completions", chatJSON("n\(index)"))
                        return response.status == 200 && response.text.contains("Echo: n\(index)\"")
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(ok == total)
        }
        for file in [fileA, fileB] {
            let probe = try CounterProbe(file: file)
            #expect(probe.preCalls() == UInt64(total))
            #expect(probe.postCalls() == UInt64(total))
            #expect(probe.destroyCalls() == 1)
        }
    }

    // A sanitized Swift .so needs the TSan runtime exported by the host; the test binary keeps it private.
    @Test(.disabled(if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread", "Swift .so under TSan"))
    func theSwiftExamplePluginLoadsFromItsSharedObject() async throws {
        let built = productsDirectory + "/libTimingHeadersPlugin.so"
        let directory = try PluginDirectory()
        // A copy at a fresh path: dlopen of a path already loaded would return the old library.
        try FileManager.default.copyItem(atPath: built, toPath: directory.path + "/90-timing-headers.so")
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { client, _ in
            let response = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(response.status == 200)
            #expect(response.headers["server-timing"]?.hasPrefix("gateway;dur=") == true)
        }
    }
}

@Suite("The bifrost executable")
struct CommandLineTests {
    @Test func pluginsCheckPrintsAGoodPluginAndExitsZero() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias()
        let (status, output) = try await runBifrost(["plugins", "check", file])
        #expect(status == 0)
        #expect(output.contains("model-alias 1.0.0"))
        #expect(output.contains("abi: 1.7"))
        #expect(output.contains("capabilities: none"))
        #expect(output.contains("sha256: \(try PluginLoader.contentHash(of: file))"))
        #expect(output.contains("hooks: pre_hook, post_hook"))
    }

    @Test func pluginsListPrintsEachPluginsVersionAndContentHash() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias()
        let (status, output) = try await runBifrost(["plugins", "list", "--plugin-dir", directory.path])
        #expect(status == 0)
        let hash = try PluginLoader.contentHash(of: file)
        #expect(output.contains("0\tmodel-alias\t1.0.0\t\(hash)\tABI 1.7\t"), "\(output)")
        #expect(output.contains("\tfail_closed\tnone\t\(file)"), "\(output)")
    }

    @Test func pluginsListAsksARunningGatewayForItsGenerationsAndLoadTimes() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias()
        try await withGateway(GatewayConfiguration(pluginDirectory: directory.path)) { _, gateway in
            gateway.reloadPlugins()
            let (status, output) = try await runBifrost(["plugins", "list", "--gateway", "127.0.0.1:\(gateway.port)"])
            #expect(status == 0, "\(output)")
            #expect(output.hasPrefix("generation 2\n"), "\(output)")
            let line = try #require(output.split(separator: "\n").dropFirst().first).split(separator: "\t")
            #expect(line.count == 8, "\(line)")
            #expect(line[6] == "none", "the capabilities: \(line[6])")
            #expect(
                Array(line.prefix(5)) == ["0", "model-alias", "1.0.0", Substring(try PluginLoader.contentHash(of: file)), "1"])
            #expect(line[5].hasSuffix("Z"), "a load time: \(line[5])")
        }
        let (status, output) = try await runBifrost(["plugins", "list", "--gateway", "127.0.0.1:1"])
        #expect(status == 1)
        #expect(output.contains("cannot read http://127.0.0.1:1/api/plugins"), "\(output)")
    }

    @Test func pluginsCheckPrintsTheRefusalAndExitsOne() async throws {
        let file = try await CPluginCompiler.compile(zoo: "broken.c", as: "broken.so", defines: ["BROKEN": "4"])
        let (status, output) = try await runBifrost(["plugins", "check", file])
        #expect(status == 1)
        #expect(output.contains("\(file): refused: built for plugin ABI 2.3, but this host speaks ABI 1.7"))
    }

    @Test func serveRefusesToStartWithABrokenPlugin() async throws {
        let directory = try PluginDirectory()
        let broken = try await CPluginCompiler.compile(
            zoo: "broken.c", as: "10-broken.so", in: directory.path, defines: ["BROKEN": "1"])
        let (status, output) = try await runBifrost(["serve", "--plugin-dir", directory.path, "--port", "0"])
        #expect(status == 1)
        #expect(output.contains("\(broken): refused: no 'bifrost_plugin_create' symbol exported"))
        #expect(output.contains("not starting: 1 plugin(s) refused"))
    }

    @Test func serveReportsABadConfigurationFile() async throws {
        let directory = try PluginDirectory()
        try directory.write("bifrost.json", #"{"server": {"port": "eighty"}}"#)
        let (status, output) = try await runBifrost(["serve", "--config", directory.path + "/bifrost.json"])
        #expect(status == 1)
        #expect(output.contains("bifrost.json: server.port: expected an integer, got a string"))
    }

    @Test func helpIsAvailableEverywhere() async throws {
        for arguments in [["--help"], ["serve", "--help"], ["plugins", "--help"], ["plugins", "check", "--help"]] {
            let (status, output) = try await runBifrost(arguments)
            #expect(status == 0)
            #expect(output.contains("USAGE"))
        }
    }
}
