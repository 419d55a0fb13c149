import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import Synchronization
import Testing

// Small plugins that exercise the SDK end to end through the host's real accessor table.
// (They live here until the SDK has a test target of its own.)

/// `{"mode": "..."}` for the scripted plugins below.
private struct Mode: Decodable {
    var mode: String
}

/// Edits every part of the request a PreHook may touch.
private struct Rewriter: PreHookPlugin {
    static let name = "rewriter"
    static let version = "0.1"
    static var capabilities: SensitiveData { [.messageContent] }
    init(configuration: PluginConfiguration) throws {}

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        guard try request.provider == "mock", try request.model == "big" else {
            throw PluginConfigurationError("unexpected model \(try request.provider)/\(try request.model)")
        }
        try request.setModel("echo")
        try request.messages.insert(role: "system", content: "Be brief.", at: 0)
        try request.messages.append(role: "user", content: "second")
        let (role, content) = try request.messages[1]
        try request.messages.set(1, role: role, content: content.uppercased())
        try request.messages.remove(at: try request.messages.count - 1)
        try request.setParam("temperature", 0.5)
        try request.setParam("max_tokens", 64)
        try request.setParam("seed", nil)
        try request.setHeader("x-tenant", try request.header("x-original") ?? "none")
        try request.removeHeader("x-original")
        try request.removeHeader("x-never-there")
        try request.setMetadata("route", try context.route)
        try request.setMetadata("tenant", try request.metadata("missing") ?? "default")
        try context.set("seen.request", .string(try context.requestID))
        try context.set("seen.client", .string(try context.clientID))
        try context.set("seen.arrival", .number(Double(try context.arrivalTimeNanoseconds)))
        try context.set("flag", true)
        try context.set("list", .json("[1,2]"))
        try context.set("gone", nil)
        if try request.param("temperature") != .number(0.5) { throw PluginConfigurationError("param did not round-trip") }
        if try request.param("nope") != nil { throw PluginConfigurationError("absent param not nil") }
        return .continue
    }
}

/// Answers from "cache" or rejects, depending on its configuration.
private struct Gatekeeper: PreHookPlugin, PostHookPlugin {
    static let name = "gatekeeper"
    static let version = "0.1"
    let mode: String
    init(configuration: PluginConfiguration) throws { mode = try configuration.decode(Mode.self).mode }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        switch mode {
        case "answer":
            return .respond(
                ShortCircuitResponse(
                    content: "cached", usage: HookUsage(promptTokens: 3, completionTokens: 1), model: "cache-model",
                    headers: ["x-cache": "hit"]))
        case "reject":
            return .reject(
                Rejection(
                    status: 429, type: "rate_limit_exceeded", message: "Slow down", code: "too_fast",
                    headers: ["retry-after": "7"]))
        default:
            return .continue
        }
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        // PostHook still runs after this plugin's own short-circuit.
        if let response = try outcome.response { try response.setHeader("x-gatekeeper-post", "ran") }
        if let error = try outcome.error { try error.setHeader("x-gatekeeper-post", "ran") }
    }
}

/// Changes, recovers or fails outcomes in its PostHook.
private struct Fixer: PostHookPlugin {
    static let name = "fixer"
    static let version = "0.1"
    static var capabilities: SensitiveData { [.messageContent] }
    init(configuration: PluginConfiguration) throws {}

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        if let error = try outcome.error {
            guard try error.status == 503, try error.code == "mock_failure" else { return }
            try outcome.recover(ShortCircuitResponse(content: "fallback after \(try error.type)", finishReason: "stop"))
            return
        }
        guard let response = try outcome.response else { throw PluginConfigurationError("empty outcome") }
        let text = try response.content(at: 0)
        if text.contains("fail-me") {
            let error = try outcome.fail(status: 502, type: "bad_response", message: "refused: \(text)")
            try error.setCode("fixer")
            try error.setHeader("x-fixer", "failed")
            return
        }
        try response.setContent(text + "!", at: 0)
        try response.appendChoice(content: "second choice", finishReason: "length")
        if try response.finishReason(at: 1) != "length" { throw PluginConfigurationError("finish reason lost") }
        var usage = try response.usage
        usage.completionTokens += 10
        usage.totalTokens += 10
        try response.setUsage(usage)
        try response.setModel(try response.provider + "-" + response.model)
        try response.setHeader("x-choices", String(try response.choiceCount))
        if case .json(let list)? = try context["list"] { try response.setHeader("x-list", list) }
    }
}

/// Breaks the rules in ways the SDK must turn into faults, never crashes.
private struct Faulty: PreHookPlugin, PostHookPlugin {
    struct Boom: Error, CustomStringConvertible {
        var description: String { "boom from the plugin" }
    }
    static let name = "faulty"
    static let version = "0.1"
    let mode: String
    init(configuration: PluginConfiguration) throws {
        mode = try configuration.decode(Mode.self).mode
        configuration.logger.info("faulty created in mode \(mode)")
    }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        switch mode {
        case "throw": throw Boom()
        case "negative-index": _ = try request.messages.get(-1)
        case "out-of-range": _ = try request.messages[99]
        default: break
        }
        return .continue
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        if mode == "post-throw" { throw Boom() }
    }
}

/// Has a name the ABI does not allow.
private struct BadName: PreHookPlugin {
    static let name = "Bad Name"
    static let version = "0.1"
    init(configuration: PluginConfiguration) throws {}
    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision { .continue }
}

/// Counts shutdowns.
private struct Counted: PostHookPlugin {
    static let shutdowns = Atomic<Int>(0)
    static let name = "counted"
    static let version = "0.1"
    init(configuration: PluginConfiguration) throws {}
    func postHook(outcome: HookOutcome, context: HookContext) throws {}
    func shutdown() { Self.shutdowns.add(1, ordering: .relaxed) }
}

/// Declares no capabilities and reads the first message: its role, then its content.
private struct RoleReader: PreHookPlugin {
    static let name = "role-reader"
    static let version = "0.1"
    init(configuration: PluginConfiguration) throws {}
    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        try context.set("role-reader.role", .string(try request.messages.role(at: 0)))
        do {
            _ = try request.messages.get(0)
        } catch let error as HostCallError {
            try context.set("role-reader.content_status", .number(Double(error.status)))
        }
        return .continue
    }
}

@Suite("BifrostPluginSDK through the host")
struct SDKThroughHostTests {
    @Test func withoutMessageContentTheRoleIsReadableAndTheContentIsNotFound() async throws {
        let harness = try PluginTestHarness(RoleReader.self)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.capabilities == [])
        let context = RequestContext()
        _ = try await harness.preHook(.test("secret text"), context: context)
        #expect(context["role-reader.role"] == .string("user"))
        #expect(context["role-reader.content_status"] == .number(Double(BIFROST_ERR_NOT_FOUND)))
    }

    @Test func preHookEditsReachTheProvider() async throws {
        let harness = try PluginTestHarness(Rewriter.self)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.hooks == [.pre], "a type without PostHook must export a NULL post_hook")
        let context = RequestContext(clientID: "client-7", route: "/v1/chat/completions")
        var original = ChatRequest.test("hi", model: "mock/big", headers: [("x-original", "acme")])
        original.parameters["seed"] = 42
        let (result, request) = try await harness.preHook(original, context: context)
        #expect(result == .continue)
        #expect(request.model == "echo")
        #expect(request.messages.map(\.role) == ["system", "user"])
        #expect(request.messages.map(\.content) == ["Be brief.", "HI"])
        #expect(request.parameters["temperature"] == .number(0.5))
        #expect(request.parameters["max_tokens"] == .number(64))
        #expect(request.parameters["seed"] == nil)
        #expect(request.headers["x-tenant"] == "acme")
        #expect(request.headers["x-original"] == nil)
        #expect(request.metadata == ["route": "/v1/chat/completions", "tenant": "default"])
        #expect(context["seen.request"] == .string(context.requestID))
        #expect(context["seen.client"] == .string("client-7"))
        #expect(context["seen.arrival"] == .number(Double(context.arrivalTimeNanoseconds)))
        #expect(context["flag"] == .bool(true))
        #expect(context["list"] == .json("[1,2]"))
        #expect(context["gone"] == nil)
    }

    @Test func shortCircuitAnswerSkipsTheProviderAndRunsOwnPostHook() async throws {
        let harness = try PluginTestHarness(Gatekeeper.self, configuration: #"{"mode": "answer"}"#)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("hi", model: "mock/fail"))
        let response = try #require(outcome.response, "\(outcome)")
        #expect(response.choices.map(\.content) == ["cached"])
        #expect(response.model == "cache-model")
        #expect(response.usage == TokenUsage(promptTokens: 3, completionTokens: 1))
        #expect(response.headers["x-cache"] == "hit")
        #expect(response.headers["x-gatekeeper-post"] == "ran")
    }

    @Test func rejectionReachesTheClientWithCodeAndHeaders() async throws {
        let harness = try PluginTestHarness(Gatekeeper.self, configuration: #"{"mode": "reject"}"#)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test())
        let error = try #require(outcome.error, "\(outcome)")
        #expect(error.status == 429)
        #expect(error.type == "rate_limit_exceeded")
        #expect(error.message == "Slow down")
        #expect(error.code == "too_fast")
        #expect(error.headers["retry-after"] == "7")
        #expect(error.headers["x-gatekeeper-post"] == "ran")
        #expect(error.source == .plugin("gatekeeper"))
    }

    @Test func postHookChangesRecoversAndFails() async throws {
        let harness = try PluginTestHarness(Fixer.self)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.hooks == [.post])

        let context = RequestContext()
        context["list"] = .json("[3]")
        let changed = try #require(await harness.run(.test("x"), context: context).response)
        #expect(changed.choices.map(\.content) == ["Echo: x!", "second choice"])
        #expect(changed.choices.map(\.finishReason) == ["stop", "length"])
        #expect(changed.usage.completionTokens == MockProviderTokens.completion("Echo: x") + 10)
        #expect(changed.model == "mock-echo")
        #expect(changed.headers["x-choices"] == "2")
        #expect(changed.headers["x-list"] == "[3]")

        let recovered = try #require(await harness.run(.test("x", model: "mock/fail")).response)
        #expect(recovered.choices.map(\.content) == ["fallback after provider_error"])

        let failed = try #require(await harness.run(.test("fail-me")).error)
        #expect(failed.status == 502)
        #expect(failed.type == "bad_response")
        #expect(failed.message == "refused: Echo: fail-me")
        #expect(failed.code == "fixer")
        #expect(failed.headers["x-fixer"] == "failed")
    }

    @Test(arguments: [
        ("throw", "boom from the plugin"),
        ("negative-index", "host function request_message_get failed: BIFROST_ERR_OUT_OF_RANGE (4): index -1 is negative"),
        ("out-of-range", "request_message_get: index 99 out of range"),
    ])
    func throwingHooksFaultWithTheirMessage(mode: String, message: String) async throws {
        let harness = try PluginTestHarness(Faulty.self, configuration: #"{"mode": "\#(mode)"}"#)
        defer { harness.shutdown() }
        await #expect {
            _ = try await harness.preHook(.test())
        } throws: { error in
            guard let fault = error as? PluginFault else { return false }
            return fault.plugin == "faulty" && fault.message.contains(message)
        }
        // Fail-closed by default: the chain answers 500 naming the plugin.
        let outcome = await harness.run(.test())
        let error = try #require(outcome.error)
        #expect(error.status == 500)
        #expect(error.message.contains("plugin 'faulty' failed in PreHook"), "\(error.message)")
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func failOpenSkipsAFaultyPostHook() async throws {
        let harness = try PluginTestHarness(Faulty.self, configuration: #"{"mode": "post-throw"}"#, failurePolicy: .failOpen)
        defer { harness.shutdown() }
        let outcome = await harness.run(.test("still fine"))
        #expect(outcome.response?.choices.first?.content == "Echo: still fine")
        #expect(harness.logs.lines.contains { $0.label == "bifrost.chain" && $0.message.contains("boom from the plugin") })
    }

    @Test func creationLogsAreAttributed() throws {
        let harness = try PluginTestHarness(Faulty.self, configuration: #"{"mode": "none"}"#)
        defer { harness.shutdown() }
        let line = try #require(harness.logs.lines.first)
        #expect(line.message == "faulty created in mode none")
        #expect(line.level == .info)
    }

    @Test func decodeFailuresNameTheFieldPath() throws {
        #expect(throws: PluginLoadError.self) { try PluginTestHarness(Faulty.self, configuration: "{}") }
        do {
            _ = try PluginTestHarness(Faulty.self, configuration: "{}")
        } catch {
            #expect(error.reason.contains("invalid configuration: missing required field 'mode'"), "\(error.reason)")
        }
        struct Nested: Decodable {
            struct Limit: Decodable { var rate: Double }
            var limits: [Limit]
        }
        let configuration = PluginConfiguration(text: #"{"limits": [{"rate": 1}, {"rate": "fast"}]}"#)
        #expect(throws: PluginConfigurationError("invalid configuration: field 'limits[1].rate' must be a number")) {
            _ = try configuration.decode(Nested.self)
        }
    }

    @Test func invalidNamesAreRefusedBeforeTheHostSeesThem() {
        do {
            _ = try PluginTestHarness(BadName.self)
            Issue.record("accepted")
        } catch {
            #expect(error.reason.contains("plugin name 'Bad Name' must start with a lowercase letter or digit"), "\(error)")
        }
    }

    @Test func destroyCallsShutdownOnce() throws {
        let before = Counted.shutdowns.load(ordering: .relaxed)
        let harness = try PluginTestHarness(Counted.self)
        harness.shutdown()
        harness.shutdown()
        #expect(Counted.shutdowns.load(ordering: .relaxed) == before + 1)
    }
}

/// The mock provider's token rule (one token per four UTF-8 bytes, rounded up).
private enum MockProviderTokens {
    static func completion(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
}
