import BifrostCore
import BifrostGateway
import BifrostTestSupport
import Foundation
import Testing

/// One broken plugin of the zoo: `misbehaver.c` built with one misbehaviour in one hook, and
/// what the gateway does about it, isolated and in process.
struct ZooCase: Sendable, CustomTestStringConvertible {
    /// What the request that triggers the misbehaviour gets from an isolated plugin.
    enum Isolated: Sendable {
        /// A 500 (or a stream's error event) naming the plugin and saying it crashed.
        case crashed
        /// A 500 (or error event) saying the plugin overran its hook deadline.
        case overran
        /// Either: what a huge allocation does depends on the kernel's overcommit.
        case crashedOrOverran
        /// A 500 with the host's fault message containing this text.
        case faulted(String)
        /// A normal answer: the misbehaviour hurts nothing.
        case served
    }

    /// What the gateway does when the same plugin runs in process.
    enum InProcess: Sendable {
        /// The process ends promptly by this signal, printing a stack and nothing of the request.
        case endsBySignal(Int32)
        /// The process ends promptly with this exit status.
        case exits(Int32)
        /// The request never gets an answer; every other request does.
        case hangsItsRequest
        /// The gateway stops answering anyone (its descriptors are gone).
        case stopsAnswering
        /// As isolated: the hook faults (this text in the 500) and nothing else is touched.
        case faulted(String)
        /// A normal answer.
        case served
    }

    let name: String
    let mode: Int
    /// 1 PreHook, 2 PostHook, 3 ChunkHook.
    let hook: Int
    let isolated: Isolated
    let inProcess: InProcess

    var testDescription: String { name }
    var streams: Bool { hook == 3 }

    static let all: [ZooCase] = [
        ZooCase(name: "NULL dereference in PreHook", mode: 1, hook: 1, isolated: .crashed, inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(name: "NULL dereference in PostHook", mode: 1, hook: 2, isolated: .crashed, inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(name: "NULL dereference in ChunkHook", mode: 1, hook: 3, isolated: .crashed, inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(name: "abort() in PreHook", mode: 2, hook: 1, isolated: .crashed, inProcess: .endsBySignal(SIGABRT)),
        ZooCase(name: "abort() in PostHook", mode: 2, hook: 2, isolated: .crashed, inProcess: .endsBySignal(SIGABRT)),
        ZooCase(name: "exit(3) in PreHook", mode: 3, hook: 1, isolated: .crashed, inProcess: .exits(3)),
        ZooCase(name: "exit(3) in ChunkHook", mode: 3, hook: 3, isolated: .crashed, inProcess: .exits(3)),
        ZooCase(name: "endless loop in PreHook", mode: 4, hook: 1, isolated: .overran, inProcess: .hangsItsRequest),
        ZooCase(name: "endless loop in PostHook", mode: 4, hook: 2, isolated: .overran, inProcess: .hangsItsRequest),
        ZooCase(name: "endless loop in ChunkHook", mode: 4, hook: 3, isolated: .overran, inProcess: .hangsItsRequest),
        ZooCase(name: "5 s blocking sleep in PreHook", mode: 5, hook: 1, isolated: .overran, inProcess: .hangsItsRequest),
        ZooCase(name: "5 s blocking sleep in PostHook", mode: 5, hook: 2, isolated: .overran, inProcess: .hangsItsRequest),
        ZooCase(name: "stack overflow in PreHook", mode: 6, hook: 1, isolated: .crashed, inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(name: "stack overflow in ChunkHook", mode: 6, hook: 3, isolated: .crashed, inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(
            name: "64 GiB allocation in PreHook", mode: 7, hook: 1, isolated: .crashedOrOverran,
            inProcess: .endsBySignal(SIGSEGV)),
        ZooCase(
            name: "garbage handle in PreHook", mode: 8, hook: 1, isolated: .faulted("not one of this hook's"),
            inProcess: .faulted("not one of this hook's")),
        ZooCase(
            name: "garbage handle in PostHook", mode: 8, hook: 2, isolated: .faulted("not one of this hook's"),
            inProcess: .faulted("not one of this hook's")),
        ZooCase(
            name: "stale handle in PreHook", mode: 9, hook: 1, isolated: .faulted("handle"), inProcess: .faulted("handle")),
        ZooCase(name: "handle used from its own thread in PreHook", mode: 10, hook: 1, isolated: .served, inProcess: .served),
        ZooCase(
            name: "SIZE_MAX index in PostHook", mode: 11, hook: 2, isolated: .faulted("out of range"),
            inProcess: .faulted("out of range")),
        ZooCase(
            name: "SIZE_MAX index in ChunkHook", mode: 11, hook: 3, isolated: .faulted("out of range"),
            inProcess: .faulted("out of range")),
        ZooCase(
            name: "closes descriptors 0-1023 in PreHook", mode: 12, hook: 1, isolated: .crashed, inProcess: .stopsAnswering),
        ZooCase(
            name: "its own SIGSEGV handler, then a NULL dereference, in PreHook", mode: 13, hook: 1, isolated: .overran,
            inProcess: .hangsItsRequest),
        ZooCase(name: "raise(SIGBUS) in PreHook", mode: 14, hook: 1, isolated: .crashed, inProcess: .endsBySignal(SIGBUS)),
        ZooCase(name: "chdir(\"/\") in create", mode: 15, hook: 1, isolated: .served, inProcess: .served),
        ZooCase(
            name: "SIGKILL (an out-of-memory kill) in PreHook", mode: 16, hook: 1, isolated: .crashed,
            inProcess: .endsBySignal(SIGKILL)),
    ]

    /// The request body: asking for the misbehaviour, or not.
    func body(misbehave: Bool) -> String {
        let content = misbehave ? "please misbehave" : "behave"
        return #"{"model":"mock/echo","stream":\#(streams),"messages":[{"role":"user","content":"\#(content)"}]}"#
    }

    func compile(in directory: PluginDirectory) async throws -> String {
        try await CPluginCompiler.compile(
            zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path,
            defines: ["MISBEHAVE": "\(mode)", "HOOK": "\(hook)"])
    }

    /// Whether an answer is an error (a status, or a stream's error event) naming the plugin.
    static func isPluginError(_ response: HTTPTestResponse) -> Bool {
        response.text.contains("plugin 'misbehaver' failed")
            && (response.status == 500 || response.text.contains("data: {\"error\""))
    }
}

@Suite(
    "the plugin zoo, isolated: every misbehaviour costs only the calls it held; other plugins and routes see no error",
    .timeLimit(.minutes(5)))
struct IsolatedZooTests {
    static let deadlineMilliseconds = 1500

    @Test(arguments: ZooCase.all)
    func isolated(_ zoo: ZooCase) async throws {
        let directory = try PluginDirectory()
        let file = try await zoo.compile(in: directory)
        // The misbehaver serves clients with a key; the neighbours (no key) pass it by and go
        // through an in-process model alias instead, on the same gateway at the same time.
        let alias = try await directory.modelAlias("20-model-alias.so")
        let json = """
            {"plugins": [
              {"file": "\(file)", "timeout_ms": \(Self.deadlineMilliseconds), "scope": {"clients": ["key:*"]},
               "isolation": "process", "worker": {"executable": "\(productsDirectory)/bifrost"}},
              {"file": "\(alias)"}]}
            """
        let configuration = try GatewayConfiguration.parse(try JSONValue.parse(json), file: "zoo.json", environment: [:])
        let keyed = ["authorization": "Bearer sk-zoo-client"]
        try await withGateway(configuration) { client, _ in
            let before = try await client.postJSON("/v1/chat/completions", zoo.body(misbehave: false), headers: keyed)
            #expect(before.status == 200 && before.headers["x-misbehaver"] == "served", "\(before.text)")

            // Other routes keep answering while the worker misbehaves.
            let neighbours = Task {
                var failures: [String] = []
                let started = ContinuousClock.now
                while ContinuousClock.now - started < .milliseconds(Self.deadlineMilliseconds + 500) {
                    for path in ["/health", "/v1/models", "/api/plugins"] {
                        let status = (try? await client.get(path).status) ?? 0
                        if status != 200 { failures.append("\(path): \(status)") }
                    }
                    let chat = try? await client.postJSON("/v1/chat/completions", chatJSON("neighbour", model: "fast"))
                    if chat?.status != 200 || chat?.headers["x-bifrost-model-alias"] != "fast"
                        || chat?.headers["x-misbehaver"] != nil
                    {
                        failures.append("chat: \(chat?.status ?? 0) \(chat?.text ?? "no answer")")
                    }
                    try? await Task.sleep(for: .milliseconds(50))
                }
                return failures
            }
            let asked = ContinuousClock.now
            let answer = try await client.postJSON("/v1/chat/completions", zoo.body(misbehave: true), headers: keyed)
            let took = ContinuousClock.now - asked
            #expect(took < .milliseconds(Self.deadlineMilliseconds + 1500), "answered after \(took)")
            switch zoo.isolated {
            case .crashed:
                #expect(ZooCase.isPluginError(answer) && answer.text.contains("crashed"), "\(answer.status) \(answer.text)")
            case .overran:
                #expect(ZooCase.isPluginError(answer) && answer.text.contains("hook deadline"), "\(answer.status) \(answer.text)")
            case .crashedOrOverran:
                #expect(
                    ZooCase.isPluginError(answer) && (answer.text.contains("crashed") || answer.text.contains("hook deadline")),
                    "\(answer.status) \(answer.text)")
            case .faulted(let fragment):
                #expect(ZooCase.isPluginError(answer) && answer.text.contains(fragment), "\(answer.status) \(answer.text)")
            case .served:
                #expect(answer.status == 200 && !answer.text.contains("error"), "\(answer.status) \(answer.text)")
            }
            #expect(await neighbours.value == [])

            // The worker is back (restarted if it ended) and serves as before.
            for _ in 0..<3 {
                let after = try await client.postJSON("/v1/chat/completions", zoo.body(misbehave: false), headers: keyed)
                #expect(after.status == 200 && after.headers["x-misbehaver"] == "served", "\(after.text)")
            }
            let worker = try await workerStatus(client)
            #expect(worker?.objectField("state")?.stringValue == "running")
            switch zoo.isolated {
            case .crashed, .overran, .crashedOrOverran:
                #expect((worker?.objectField("crashes")?.intValue ?? 0) >= 1, "\(String(describing: worker))")
            case .faulted, .served:
                #expect(worker?.objectField("crashes")?.intValue == 0, "\(String(describing: worker))")
            }
        }
    }
}

@Suite(
    "the plugin zoo, in process: what each misbehaviour does to the gateway itself",
    .disabled(if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread", "the sanitizer reports signals itself"),
    .timeLimit(.minutes(5)))
struct InProcessZooTests {
    static let secret = "sk-secret-zoo-5d1c0b9a8e7f"

    @Test(arguments: ZooCase.all)
    func inProcess(_ zoo: ZooCase) async throws {
        let directory = try PluginDirectory()
        _ = try await zoo.compile(in: directory)
        switch zoo.inProcess {
        case .faulted, .served:
            try await answersInTheGatewayItself(zoo, directory: directory)
        case .endsBySignal, .exits, .hangsItsRequest, .stopsAnswering:
            try await breaksItsOwnProcess(zoo, directory: directory)
        }
    }

    /// Faults and harmless cases run in this test's own gateway: the hook's fault fails only
    /// its request; concurrent requests are untouched.
    private func answersInTheGatewayItself(_ zoo: ZooCase, directory: PluginDirectory) async throws {
        var configuration = GatewayConfiguration()
        configuration.pluginDirectory = directory.path
        let workingDirectory = FileManager.default.currentDirectoryPath
        try await withGateway(configuration) { client, _ in
            #expect(FileManager.default.currentDirectoryPath == workingDirectory, "a plugin's chdir in create is undone")
            // A first call leaves a handle behind for the stale-handle case to misuse.
            #expect(try await client.postJSON("/v1/chat/completions", zoo.body(misbehave: false)).status == 200)
            try await withThrowingTaskGroup(of: (Bool, HTTPTestResponse).self) { group in
                for index in 0..<20 {
                    let misbehaves = index % 5 == 0
                    group.addTask {
                        (misbehaves, try await client.postJSON("/v1/chat/completions", zoo.body(misbehave: misbehaves)))
                    }
                }
                for try await (misbehaves, answer) in group {
                    if misbehaves, case .faulted(let fragment) = zoo.inProcess {
                        #expect(ZooCase.isPluginError(answer) && answer.text.contains(fragment), "\(answer.text)")
                    } else {
                        #expect(answer.status == 200 && !answer.text.contains("error"), "\(answer.text)")
                        #expect(answer.text.contains("Echo: ") || answer.text.contains(#""content":""#), "\(answer.text)")
                    }
                }
            }
        }
    }

    /// Crashes and hangs run in a `bifrost serve` of their own, since they take its process down.
    private func breaksItsOwnProcess(_ zoo: ZooCase, directory: PluginDirectory) async throws {
        try directory.write("bifrost.json", #"{"plugins": [{"file": "10-misbehaver.so", "blocking": true}]}"#)
        let (gateway, client) = try await ServedGateway.started(
            ["serve", "--config", directory.path + "/bifrost.json", "--plugin-dir", directory.path, "--no-watch"],
            clientTimeout: .seconds(3))
        let answer = try? await client.postJSON(
            "/v1/chat/completions", zoo.body(misbehave: true), headers: ["authorization": "Bearer \(Self.secret)"])
        switch zoo.inProcess {
        case .endsBySignal(let signal):
            let ending = try await gateway.exit(within: .seconds(15))
            let ended = try #require(ending, "the process did not end: \(gateway.printed)")
            #expect(ended.reason == .uncaughtSignal && ended.status == signal, "ended by \(ended)")
        case .exits(let status):
            let ending = try await gateway.exit(within: .seconds(15))
            let ended = try #require(ending, "the process did not end: \(gateway.printed)")
            #expect(ended.reason == .exit && ended.status == status, "ended by \(ended)")
        case .hangsItsRequest:
            #expect(answer == nil || zoo.streams, "the request got an answer: \(String(describing: answer?.text))")
            #expect((try? await client.get("/health").status) == 200, "other requests are still served")
            let other = try? await client.postJSON(
                "/v1/chat/completions", #"{"model":"mock/echo","messages":[{"role":"user","content":"behave"}]}"#)
            #expect(other?.status == 200, "a request through the same plugin is still served")
            _ = try await gateway.exit(within: .zero)
        case .stopsAnswering:
            #expect(answer == nil)
            #expect((try? await client.get("/health").status) == nil, "the gateway's listening socket is gone")
            _ = try await gateway.exit(within: .zero)
        case .faulted, .served:
            Issue.record("answered in the gateway itself")
        }
        #expect(!gateway.printed.contains(Self.secret), "the client's key is not printed")
    }
}

@Suite(
    "an isolated plugin's crash in a served gateway",
    .disabled(if: ProcessInfo.processInfo.environment["BIFROST_SANITIZER"] == "thread", "the sanitizer reports signals itself"),
    .timeLimit(.minutes(2)))
struct IsolatedCrashOutputTests {
    static let secret = "sk-secret-isolated-3e8d7c6b5a49"
    static let card = "4111 1111 1111 1111"

    @Test("the worker's report names the plugin's .so and prints nothing of the request; the gateway serves on")
    func crashOutputKeepsSecrets() async throws {
        let directory = try PluginDirectory()
        _ = try await CPluginCompiler.compile(
            zoo: "misbehaver.c", as: "10-misbehaver.so", in: directory.path, defines: ["MISBEHAVE": "1"])
        let (gateway, client) = try await ServedGateway.started([
            "serve", "--plugin-dir", directory.path, "--isolation", "process", "--no-watch",
        ])
        defer { _ = kill(gateway.processIdentifier, SIGKILL) }
        let answer = try await client.postJSON(
            "/v1/chat/completions", chatJSON("misbehave, my card is \(Self.card)"),
            headers: ["authorization": "Bearer \(Self.secret)"])
        #expect(answer.status == 500)
        #expect(answer.text.contains("plugin 'misbehaver' failed in PreHook: crashed"), "\(answer.text)")
        #expect(!answer.text.contains(Self.secret) && !answer.text.contains(Self.card))
        #expect(try await client.postJSON("/v1/chat/completions", chatJSON("fine")).status == 200)
        try await Polling.eventually { gateway.printed.contains("started again") }
        let output = gateway.printed
        #expect(output.contains("bifrost: fatal signal SIGSEGV"), "\(output)")
        #expect(output.contains("10-misbehaver.so"), "the worker's stack names the plugin's file: \(output)")
        #expect(output.contains("its worker process was killed by SIGSEGV"), "\(output)")
        #expect(!output.contains(Self.secret), "the client's key is not printed")
        #expect(!output.contains(Self.card), "the message is not printed")
        #expect(!output.contains("Registers"), "no register or memory dump")
    }
}
