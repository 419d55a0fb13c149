import BifrostCore
import BifrostGateway
import BifrostLibrary
import BifrostPluginIsolation
import BifrostTestSupport
import Foundation
import Testing

/// A gateway configuration whose plugins all run in worker processes of the built `bifrost`.
func isolatedConfiguration(
    _ plugins: [String], deadlineMilliseconds: Int = 1500, worker: String = "", extraPluginFields: String = "",
    providers: String = ""
) throws -> GatewayConfiguration {
    let entries = plugins.map { #"{"file": "\#($0)", "timeout_ms": \#(deadlineMilliseconds)\#(extraPluginFields)}"# }
    let json = """
        {"plugin_defaults": {"isolation": "process", "worker": {"executable": "\(productsDirectory)/bifrost"\(worker)}},
         "plugins": [\(entries.joined(separator: ", "))]\(providers.isEmpty ? "" : #", "providers": {\#(providers)}"#)}
        """
    return try GatewayConfiguration.parse(try JSONValue.parse(json), file: "isolated.json", environment: [:])
}

/// Whether the tests run under the thread sanitizer (`scripts/test` says so).
let sanitized = ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread"

/// The worker status `/api/plugins` reports for the plugin at `position`.
func workerStatus(_ client: HTTPTestClient, position: Int = 0) async throws -> JSONValue? {
    let listing = try await client.get("/api/plugins").json()
    return listing.objectField("plugins")?.arrayValue?[position].objectField("worker")
}

@Suite("an isolated plugin behaves exactly as in process", .timeLimit(.minutes(2)))
struct IsolationEquivalenceTests {
    static let upstreamAnswer = """
        {"id":"chatcmpl-up","object":"chat.completion","created":1700000000,"model":"gpt-x","system_fingerprint":"fp_1",\
        "choices":[{"index":0,"message":{"role":"assistant","content":"Hello there","annotations":[],\
        "reasoning_content":"thought"},"logprobs":null,"finish_reason":"stop"}],\
        "usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4}},\
        "service_tier":"default","x_unknown":{"kept":1.50}}
        """
    static let clientBody = """
        {"model":"up/gpt-x","messages":[{"role":"system","content":[{"type":"text","text":"Be nice"}]},\
        {"role":"user","content":"Hi","name":"ann"}],"temperature":1.0e0,"top_p":0.90,"x_vendor":{"deep":[1,2.50,"x"]},\
        "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}
        """
    static let streamChunks = [
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}],"x_extra":1.0}"#
            + "\n\n",
        #"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-x","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#
            + "\n\n",
        "data: [DONE]\n\n",
    ]

    /// What one gateway did with the request: what the upstream received and what the client got.
    struct Observed: Equatable {
        var upstreamBody: String
        var upstreamHeaders: [String: String]
        var status: Int
        var answer: String
        var headers: [String: String]
    }

    func observe(isolated: Bool, rewrite: Bool, stream: Bool) async throws -> Observed {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "rewriter.c", as: "10-rewriter.so", in: directory.path, defines: ["REWRITE": rewrite ? "1" : "0"])
        let upstream = try await FakeUpstream.start { _ in
            stream ? .sse(chunks: Self.streamChunks) : .json(body: Self.upstreamAnswer)
        }
        defer { Task { await upstream.stop() } }
        let providers =
            #""up": {"kind": "openai", "base_url": "http://127.0.0.1:\#(upstream.port)/v1", "keys": [{"value": "sk-up"}]}"#
        var configuration = try isolatedConfiguration([file], providers: providers)
        if !isolated { configuration.pluginDefaults.isolation = .inProcess }
        return try await withGateway(configuration) { client, _ in
            var body = Self.clientBody
            if stream { body = String(body.dropLast()) + #","stream":true}"# }
            let response = try await client.postJSON("/v1/chat/completions", body)
            let recorded = try #require(upstream.requests.first)
            var headers = response.headers
            for name in ["x-request-id", "date", "x-bifrost-gateway-ms", "server-timing"] { headers[name] = nil }
            var upstreamHeaders = recorded.headers
            for name in ["x-request-id", "host"] { upstreamHeaders[name] = nil }
            let answer = response.text.replacingOccurrences(
                of: #"req-[0-9a-f]{24}"#, with: "req-id", options: .regularExpression)
            return Observed(
                upstreamBody: recorded.text, upstreamHeaders: upstreamHeaders, status: response.status, answer: answer,
                headers: headers)
        }
    }

    @Test(
        "the upstream gets the same bytes and the client the same answer",
        arguments: [(false, false), (true, false), (false, true), (true, true)])
    func sameEffect(rewrite: Bool, stream: Bool) async throws {
        let inProcess = try await observe(isolated: false, rewrite: rewrite, stream: stream)
        let isolated = try await observe(isolated: true, rewrite: rewrite, stream: stream)
        #expect(isolated == inProcess)
        #expect(inProcess.status == 200)
        if rewrite {
            #expect(isolated.upstreamBody.contains(#""temperature":0.25"#), "\(isolated.upstreamBody)")
            #expect(isolated.upstreamBody.contains(#""content":"be brief""#))
            #expect(isolated.headers["x-rewriter"] == "pre")
            #expect(isolated.answer.contains(stream ? "Hel~" : "Hello there [rewritten]"), "\(isolated.answer)")
            if !stream { #expect(isolated.headers["x-rewriter-mark"] == "from-pre") }
        } else {
            // Nothing changed: the client's body went upstream as it came, but for the model (and
            // the usage a stream asks for).
            if !stream {
                #expect(isolated.upstreamBody == Self.clientBody.replacingOccurrences(of: "up/gpt-x", with: "gpt-x"))
            }
            #expect(isolated.answer.contains(stream ? #""x_extra":1.0"# : #""kept":1.50"#), "\(isolated.answer)")
        }
    }
}

@Suite("isolated plugin workers: supervision, limits, retirement", .timeLimit(.minutes(3)))
struct IsolationSupervisionTests {
    @Test("a worker inherits none of the gateway's other descriptors, and its own runtime's stay open (it idles)")
    func workerDescriptors() async throws {
        let directory = try PluginDirectory()
        // A descriptor the gateway's process holds without close-on-exec.
        let marker = directory.path + "/held-by-the-gateway"
        let held = open(marker, O_CREAT | O_RDWR, 0o600)
        try #require(held >= 0)
        defer { close(held) }
        let file = try await CPluginCompiler.compile(zoo: "noop.c", as: "10-noop.so", in: directory.path)
        try await withGateway(try isolatedConfiguration([file])) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).status == 200)
            let pid = try #require(try await workerStatus(client)?.objectField("pid")?.intValue)
            let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")
            let targets = descriptors.compactMap {
                try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")
            }
            #expect(!targets.contains(marker), "the worker holds the gateway's \(marker)")
            // Closing its runtime's descriptors (libdispatch's epoll) made a worker spin at full
            // speed while idle; an idle worker uses next to no CPU.
            func cpuSeconds() throws -> Double {
                let fields = try String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8).split(separator: ")").last!
                    .split(separator: " ")
                return (Double(fields[11])! + Double(fields[12])!) / Double(sysconf(Int32(_SC_CLK_TCK)))
            }
            let before = try cpuSeconds()
            try await Task.sleep(for: .seconds(2))
            #expect(try cpuSeconds() - before < 0.5, "an idle worker kept a core busy")
        }
    }

    @Test("calls beyond a worker's concurrency wait for a free channel, and all succeed")
    func callsQueueForChannels() async throws {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "sleeper.c", as: "10-sleeper.so", in: directory.path, defines: ["SLEEP_MS": "100"])
        let configuration = try isolatedConfiguration([file], worker: #", "concurrency": 2"#)
        try await withGateway(configuration) { client, _ in
            let started = ContinuousClock.now
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 { group.addTask { try await client.postJSON("/v1/chat/completions", chatJSON()).status } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses == Array(repeating: 200, count: 8))
            // Two channels, eight 100 ms calls: at least four rounds.
            #expect(ContinuousClock.now - started >= .milliseconds(400))
        }
    }

    @Test("a plugin whose worker keeps crashing is marked failed, fails by its policy uncalled, and a reload revives it")
    func crashLoopMarksFailedUntilReload() async throws {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path, defines: ["MISBEHAVE": "1"])
        let configuration = try isolatedConfiguration([file], worker: #", "max_crashes": 3"#)
        try await withGateway(configuration) { client, gateway in
            for _ in 0..<3 {
                let answer = try await client.postJSON("/v1/chat/completions", chatJSON("misbehave"))
                #expect(answer.status == 500)
                #expect(answer.text.contains("crashed"), "\(answer.text)")
            }
            try await Polling.eventually { (try? gatewayWorkerState(gateway)) == "failed" }
            let status = try await workerStatus(client)
            #expect(status?.objectField("state")?.stringValue == "failed")
            #expect(status?.objectField("crashes")?.intValue == 3)
            #expect(status?.objectField("last_crash")?.stringValue == "was killed by SIGSEGV")
            let refused = try await client.postJSON("/v1/chat/completions", chatJSON("harmless"))
            #expect(refused.status == 500)
            #expect(refused.text.contains("is marked failed after 3 crashes"), "\(refused.text)")
            let metrics = gateway.bifrost.metrics.render()
            #expect(metrics.contains(#"bifrost_plugin_worker_crashes_total{plugin="misbehaver"} 3"#), "\(metrics)")
            #expect(metrics.contains(#"bifrost_plugin_worker_up{plugin="misbehaver"} 0"#))

            #expect(gateway.reloadPlugins().succeeded)
            let revived = try await client.postJSON("/v1/chat/completions", chatJSON("harmless"))
            #expect(revived.status == 200, "\(revived.text)")
            #expect(try await workerStatus(client)?.objectField("state")?.stringValue == "running")
        }
    }

    @Test("a reload retires the old worker: destroy runs once after its last request, and the process exits")
    func reloadRetiresTheWorker() async throws {
        let directory = try PluginDirectory()
        let counts = directory.path + "/destroyed"
        let file = try await CPluginCompiler.compile(
            zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path,
            defines: ["VERSION": "\"1\"", "DESTROY_LOG": "\"\(counts)\""])
        let configuration = try isolatedConfiguration([file])
        try await withGateway(configuration) { client, gateway in
            let first = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(first.headers["x-misbehaver-version"] == "1")
            let oldWorker = try #require(try await workerStatus(client)?.objectField("pid")?.intValue)
            _ = try await CPluginCompiler.compile(
                zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path,
                defines: ["VERSION": "\"2\"", "DESTROY_LOG": "\"\(counts)\""])
            #expect(gateway.reloadPlugins().succeeded)
            let second = try await client.postJSON("/v1/chat/completions", chatJSON())
            #expect(second.headers["x-misbehaver-version"] == "2")
            try await Polling.eventually { kill(pid_t(oldWorker), 0) != 0 }
            #expect(kill(pid_t(oldWorker), 0) != 0, "the retired worker \(oldWorker) still runs")
            let destroyed = (try? String(contentsOfFile: counts, encoding: .utf8)) ?? ""
            #expect(destroyed == "destroyed 1\n", "\(destroyed)")
        }
    }

    @Test(
        "worker limits apply: a memory limit turns a huge allocation into a crash of the worker only",
        .disabled(if: sanitized, "the thread sanitizer's shadow memory does not fit an address-space limit"))
    func memoryLimitContainsAnAllocation() async throws {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path, defines: ["MISBEHAVE": "7"])
        let configuration = try isolatedConfiguration([file], worker: #", "memory_limit_mb": 512, "open_file_limit": 64"#)
        try await withGateway(configuration) { client, _ in
            let worker = try #require(try await workerStatus(client)?.objectField("pid")?.intValue)
            let limits = try String(contentsOfFile: "/proc/\(worker)/limits", encoding: .utf8)
            #expect(limits.contains("Max address space         536870912"), "\(limits)")
            #expect(limits.contains("Max open files            64"), "\(limits)")
            let answer = try await client.postJSON("/v1/chat/completions", chatJSON("misbehave"))
            #expect(answer.status == 500)
            #expect(answer.text.contains("crashed"), "\(answer.text)")
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).status == 200)
        }
    }

    @Test("a plugin that refuses its configuration in a worker is refused at load with its own message")
    func refusalCrossesBack() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias(configuration: #"{"aliases": 5}"#)
        let configuration = try isolatedConfiguration([file])
        let error = await #expect(throws: PluginStartupError.self) {
            try await withGateway(configuration) { _, _ in }
        }
        let refusal = try #require(error?.refusals.first)
        #expect(refusal.file == file)
        #expect(refusal.reason.contains("the plugin refused to load: aliases: expected an object"), "\(refusal.reason)")
    }

    @Test("an isolated plugin's worker enforces its capabilities, and the gateway shows them")
    func capabilitiesApplyInTheWorker() async throws {
        let directory = try PluginDirectory()
        let file = try await CPluginCompiler.compile(
            zoo: "capability_probe.c", as: "10-probe.so", in: directory.path,
            defines: ["CAPS": "BIFROST_CAPABILITY_TOOL_CALLS"])
        try await withGateway(try isolatedConfiguration([file])) { client, _ in
            let body = """
                {"model":"mock/echo","messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":null,\
                "tool_calls":[{"id":"call_0","type":"function","function":{"name":"get_weather","arguments":"{}"}}]}]}
                """
            let response = try await client.postJSON(
                "/v1/chat/completions", body, headers: ["authorization": "Bearer sk-client", "x-api-key": "sk-client"])
            #expect(response.status == 200, "\(response.text)")
            let reads = try #require(response.headers["x-pre-reads"])
            #expect(reads.hasPrefix("authorization=1 x-api-key=1 X-Goog-Api-Key=1 "), "\(reads)")
            #expect(reads.contains(" content=1 role=0:user json=1 canonical=1 calls=0:1 call=0:get_weather"), "\(reads)")
            let listing = try await client.get("/api/plugins").json()
            #expect(listing.objectField("plugins")?.arrayValue?.first?.objectField("capabilities") == ["tool_calls"])
        }
    }

    @Test("credentials an isolated plugin did not declare stay in the request for the plugins after it")
    func withheldCredentialsComeBack() async throws {
        let directory = try PluginDirectory()
        // The rewriter declares message content only and changes a request header in its worker,
        // which sends the whole header list back; the probe after it reads credentials in process.
        let rewriter = try await CPluginCompiler.compile(
            zoo: "rewriter.c", as: "10-rewriter.so", in: directory.path, defines: ["REWRITE": "1"])
        let probe = try await CPluginCompiler.compile(
            zoo: "capability_probe.c", as: "20-probe.so", in: directory.path,
            defines: ["CAPS": "BIFROST_CAPABILITY_CREDENTIALS"])
        let json = """
            {"plugins": [
              {"file": "\(rewriter)", "isolation": "process", "worker": {"executable": "\(productsDirectory)/bifrost"}},
              {"file": "\(probe)"}]}
            """
        let configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "mixed.json", environment: [:])
        try await withGateway(configuration) { client, _ in
            let body = """
                {"model":"mock/echo","messages":[{"role":"user","content":"Hello"},{"role":"assistant","content":"ok"}]}
                """
            let response = try await client.postJSON(
                "/v1/chat/completions", body, headers: ["authorization": "Bearer sk-client", "x-api-key": "sk-key"])
            #expect(response.status == 200, "\(response.text)")
            let reads = try #require(response.headers["x-pre-reads"])
            #expect(reads.hasPrefix("authorization=0:Bearer sk-client x-api-key=0:sk-key "), "\(reads)")
        }
    }

    @Test("a worker executable that cannot be started is a refusal at load that says so")
    func missingWorkerExecutable() async throws {
        let directory = try PluginDirectory()
        let file = try await directory.modelAlias()
        var configuration = try isolatedConfiguration([file])
        configuration.pluginDefaults.isolation = .process(
            IsolationSettings(workerExecutable: directory.path + "/no-such-bifrost"))
        let error = await #expect(throws: PluginStartupError.self) {
            try await withGateway(configuration) { _, _ in }
        }
        let reason = try #require(error?.refusals.first?.reason)
        #expect(reason.contains("cannot start a worker process from \(directory.path)/no-such-bifrost"), "\(reason)")
    }

    @Test(
        "the metrics an isolated Swift plugin defines reach the gateway's /metrics",
        .disabled(if: sanitized, "a sanitized executable does not export the sanitizer's runtime to the Swift plugins it opens"))
    func workerMetricsAreExposed() async throws {
        let directory = try PluginDirectory()
        let file = directory.path + "/20-monitoring.so"
        try FileManager.default.copyItem(atPath: productsDirectory + "/libMonitoringPlugin.so", toPath: file)
        let configuration = try isolatedConfiguration([file])
        try await withGateway(configuration) { client, _ in
            #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).status == 200)
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains(#"bifrost_requests_total{provider="mock",model="echo",status="200"} 1"#), "\(metrics)")
            #expect(metrics.contains(#"bifrost_plugin_worker_up{plugin="monitoring"} 1"#), "\(metrics)")
        }
    }
}

/// The first plugin's worker state, read from the library (no HTTP).
func gatewayWorkerState(_ gateway: Gateway) throws -> String? {
    (gateway.bifrost.loadedPlugins.first?.entry.plugin as? any SupervisedPlugin)?.supervision.state.rawValue
}
