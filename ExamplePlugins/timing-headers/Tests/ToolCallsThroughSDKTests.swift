import BifrostCore
import BifrostNativePlugins
import BifrostPluginHarness
import BifrostPluginSDK
import Testing

// The ABI 1.3 views (tool calls, reasoning, refusals, usage details) through the SDK and the
// host's real table, and the SDK's refusal of them on an older host.

/// Answers like a reasoning model calling two tools (choice 0) beside a refusal (choice 1).
private struct ToolCallingProvider: Provider {
    let name = "tools"
    let models = ["calls"]

    static let usage = TokenUsage(promptTokens: 40, completionTokens: 25, cachedPromptTokens: 32, reasoningTokens: 12)
    static let weather = ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
    static let deletion = ToolCall(id: "call_2", name: "delete_file", arguments: #"{"path":"/etc"}"#)

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        ChatResponse(
            id: "chatcmpl-tools", provider: name, model: request.model,
            choices: [
                ChatChoice(
                    content: "", finishReason: "tool_calls",
                    extra: [
                        "content": .null, "reasoning_content": "Let me think.",
                        "tool_calls": [Self.weather.openAIObject, Self.deletion.openAIObject],
                    ]),
                ChatChoice(content: "", finishReason: "stop", extra: ["content": .null, "refusal": "Not that."]),
            ],
            usage: Self.usage)
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        func chunk(_ choice: ChunkChoice, usage: TokenUsage? = nil) -> ChatChunk {
            ChatChunk(id: "chatcmpl-tools", provider: name, model: request.model, choices: [choice], usage: usage)
        }
        let pieces = [
            ToolCallDelta(index: 0, id: "call_1", name: "get_weather"),
            ToolCallDelta(index: 0, arguments: #"{"city":"Paris"}"#),
            ToolCallDelta(index: 1, id: "call_2", name: "delete_file", arguments: #"{"path":"/etc"}"#),
        ]
        var chunks = [
            chunk(ChunkChoice(role: "assistant", extra: ["reasoning_content": "Let me "])),
            chunk(ChunkChoice(extra: ["reasoning_content": "think."])),
        ]
        for piece in pieces { chunks.append(chunk(ChunkChoice(extra: ["tool_calls": [piece.openAIObject]]))) }
        chunks.append(chunk(ChunkChoice(finishReason: "tool_calls"), usage: Self.usage))
        let stream = chunks
        return ChatStream { continuation throws(BifrostError) in
            for chunk in stream { await continuation.yield(chunk) }
        }
    }
}

/// A conversation after one tool round: a call (message 1) and its result (message 2).
private func toolConversation(stream: Bool = false) -> ChatRequest {
    var request = ChatRequest(
        provider: "tools", model: "calls",
        messages: [
            ChatMessage(role: "user", content: "Weather in Rome, then tidy up."),
            ChatMessage(
                role: "assistant", content: "",
                extra: [
                    "content": .null,
                    "tool_calls": [ToolCall(id: "call_0", name: "get_weather", arguments: #"{"city":"Rome"}"#).openAIObject],
                ]),
            ChatMessage(role: "tool", content: "sunny", extra: ["tool_call_id": "call_0"]),
            ChatMessage(role: "user", content: "And Paris?"),
        ])
    if stream { request.parameters["stream"] = true }
    return request
}

/// Refuses the tools its configuration denies; reports what it read in the context.
private struct ToolGuard: PreHookPlugin, PostHookPlugin, ChunkHookPlugin {
    struct Settings: Decodable { var deny: [String] }
    static let name = "tool-guard"
    static let version = "0.1"
    static var capabilities: SensitiveData { [.messageContent, .toolCalls] }
    let denied: Set<String>
    init(configuration: PluginConfiguration) throws { denied = Set(try configuration.decode(Settings.self).deny) }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        var seen: [String] = []
        for message in 0..<(try request.messages.count) {
            for call in try request.toolCalls(inMessage: message) { seen.append("m\(message):\(call.id):\(call.name)") }
            if let answered = try request.toolCallID(ofMessage: message) { seen.append("m\(message)<-\(answered)") }
        }
        try context.set("guard.request", .string(seen.joined(separator: ";")))
        return .continue
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard let response = try outcome.response else { return }
        var removed: [String] = []
        for choice in 0..<(try response.choiceCount) {
            removed += try response.removeToolCalls(at: choice) { denied.contains($0.name) }.map(\.id)
            if let refusal = try response.refusal(at: choice) { try context.set("guard.refusal", .string(refusal)) }
        }
        try context.set("guard.removed", .string(removed.joined(separator: ",")))
        try context.set("guard.left", .string(try response.toolCalls(at: 0).map(\.name).joined(separator: ",")))
        if let reasoning = try response.reasoning(at: 0) { try context.set("guard.reasoning", .string(reasoning)) }
        let details = try response.usageDetails
        try context.set("guard.cached", details.cachedPromptTokens.map { .number(Double($0)) })
        try context.set("guard.cache_creation", details.cacheCreationPromptTokens.map { .number(Double($0)) })
        try context.set("guard.reasoning_tokens", details.reasoningTokens.map { .number(Double($0)) })
    }

    func chunkHook(chunk: HookChunk, context: HookContext) throws -> ChunkDecision {
        for choice in 0..<(try chunk.choiceCount) {
            for piece in try chunk.toolCallDeltas(at: choice) {
                let count = try context["guard.pieces"]?.intValue ?? 0
                try context.set("guard.pieces", .number(Double(count + 1)))
                if let name = piece.name { try context.set("guard.piece.\(piece.index)", .string(name)) }
            }
            if let reasoning = try chunk.reasoning(at: choice) {
                let bytes = try context["guard.reasoning_bytes"]?.intValue ?? 0
                try context.set("guard.reasoning_bytes", .number(Double(bytes + reasoning.utf8.count)))
            }
        }
        if let details = try chunk.usageDetails {
            try context.set("guard.stream_reasoning_tokens", details.reasoningTokens.map { .number(Double($0)) })
        }
        return .continue
    }
}

/// Calls one 1.3 view wrongly, or on a host that may be older, as its configuration says.
private struct Prober: PreHookPlugin, PostHookPlugin {
    struct Settings: Decodable { var probe: String }
    static let name = "prober"
    static let version = "0.1"
    static var capabilities: SensitiveData { [.messageContent, .toolCalls] }
    let probe: String
    init(configuration: PluginConfiguration) throws { probe = try configuration.decode(Settings.self).probe }

    func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        switch probe {
        case "negative-message": _ = try request.toolCalls(inMessage: -1)
        case "message-out-of-range": _ = try request.toolCallID(ofMessage: 99)
        default: break
        }
        return .continue
    }

    func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard let response = try outcome.response else { return }
        switch probe {
        case "choice-out-of-range": _ = try response.toolCalls(at: 99)
        case "call-out-of-range": try response.removeToolCall(5, at: 0)
        case "fallback":
            // The pattern for a plugin that should still work on an older host.
            do {
                try context.set("prober.calls", .number(Double(try response.toolCalls(at: 0).count)))
            } catch let error as HostCallError where error.status == HostCallError.notProvided {
                try context.set("prober.unsupported", .string("\(error)"))
            }
        default:
            _ = try response.usageDetails
        }
    }
}

@Suite("ABI 1.3 tool calls through the SDK")
struct ToolCallsThroughSDKTests {
    @Test func aGuardrailRemovesDeniedCallsAndReadsReasoningRefusalAndUsageDetails() async throws {
        let harness = try PluginTestHarness(ToolGuard.self, configuration: #"{"deny": ["delete_file"]}"#)
        defer { harness.shutdown() }
        let context = RequestContext()
        let outcome = await harness.run(toolConversation(), context: context, provider: ToolCallingProvider())
        let response = try #require(outcome.response, "\(outcome)")
        #expect(response.choices[0].toolCalls == [ToolCallingProvider.weather])
        #expect(response.choices[0].finishReason == "tool_calls")
        #expect(context["guard.request"] == .string("m1:call_0:get_weather;m2<-call_0"))
        #expect(context["guard.removed"] == .string("call_2"))
        #expect(context["guard.left"] == .string("get_weather"))
        #expect(context["guard.refusal"] == .string("Not that."))
        #expect(context["guard.reasoning"] == .string("Let me think."))
        #expect(context["guard.cached"] == .number(32))
        #expect(context["guard.cache_creation"] == nil, "not reported, so nil")
        #expect(context["guard.reasoning_tokens"] == .number(12))
    }

    @Test func removingEveryCallLeavesAStop() async throws {
        let harness = try PluginTestHarness(ToolGuard.self, configuration: #"{"deny": ["delete_file", "get_weather"]}"#)
        defer { harness.shutdown() }
        let context = RequestContext()
        let response = try #require(
            await harness.run(toolConversation(), context: context, provider: ToolCallingProvider()).response)
        #expect(response.choices[0].toolCalls.isEmpty)
        #expect(response.choices[0].finishReason == "stop")
        #expect(context["guard.removed"] == .string("call_1,call_2"), "returned in their order")
        #expect(context["guard.left"] == .string(""))
    }

    @Test func theChunkHookSeesToolCallPiecesReasoningAndUsageDetails() async throws {
        let harness = try PluginTestHarness(ToolGuard.self, configuration: #"{"deny": []}"#)
        defer { harness.shutdown() }
        let context = RequestContext()
        let result = await harness.runStream(toolConversation(stream: true), context: context, provider: ToolCallingProvider())
        #expect(result.error == nil)
        #expect(context["guard.pieces"] == .number(3))
        #expect(context["guard.piece.0"] == .string("get_weather"))
        #expect(context["guard.piece.1"] == .string("delete_file"))
        #expect(context["guard.reasoning_bytes"] == .number(Double("Let me think.".utf8.count)))
        #expect(context["guard.stream_reasoning_tokens"] == .number(12))
        #expect(context["guard.left"] == .string("get_weather,delete_file"), "the PostHook saw the assembled calls")
    }

    @Test(arguments: [
        (
            "negative-message", "PreHook",
            "host function request_message_tool_call_count failed: BIFROST_ERR_OUT_OF_RANGE (4): index -1 is negative"
        ),
        ("message-out-of-range", "PreHook", "request_message_tool_call_id: index 99 out of range (4 messages)"),
        ("choice-out-of-range", "PostHook", "response_tool_call_count: index 99 out of range (2 choices)"),
        ("call-out-of-range", "PostHook", "response_remove_tool_call: index 5 out of range (2 tool calls)"),
    ])
    func misuseFaultsTheHookWithTheHostsReason(probe: String, hook: String, message: String) async throws {
        let harness = try PluginTestHarness(Prober.self, configuration: #"{"probe": "\#(probe)"}"#)
        defer { harness.shutdown() }
        let error = try #require(await harness.run(toolConversation(), provider: ToolCallingProvider()).error)
        #expect(error.status == 500)
        #expect(error.message.hasPrefix("plugin 'prober' failed in \(hook): "), "\(error.message)")
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test(arguments: [0, 1, 2])
    func onAnOlderHostTheViewsThrowNotProvided(minor: Int) async throws {
        let harness = try PluginTestHarness(Prober.self, configuration: #"{"probe": "usage"}"#, hostMinor: minor)
        defer { harness.shutdown() }
        #expect(harness.plugin.descriptor.abiVersion == "1.\(BIFROST_ABI_VERSION_MINOR)", "the plugin is built for this SDK")
        let error = try #require(await harness.run(toolConversation(), provider: ToolCallingProvider()).error)
        #expect(error.status == 500)
        #expect(
            error.message
                == "plugin 'prober' failed in PostHook: host function response_get_usage_details failed: not provided by this host (-1): added in ABI 1.3, the host speaks 1.\(minor)",
            "\(error.message)")
    }

    @Test func aPluginCanFallBackOnAnOlderHost() async throws {
        let old = try PluginTestHarness(Prober.self, configuration: #"{"probe": "fallback"}"#, hostMinor: 2)
        defer { old.shutdown() }
        let context = RequestContext()
        #expect(await old.run(toolConversation(), context: context, provider: ToolCallingProvider()).response != nil)
        #expect(context["prober.calls"] == nil)
        guard case .string(let unsupported)? = context["prober.unsupported"] else {
            Issue.record("no fallback recorded")
            return
        }
        #expect(unsupported.contains("host function response_tool_call_count failed: not provided by this host"))

        let current = try PluginTestHarness(Prober.self, configuration: #"{"probe": "fallback"}"#)
        defer { current.shutdown() }
        let seen = RequestContext()
        #expect(await current.run(toolConversation(), context: seen, provider: ToolCallingProvider()).response != nil)
        #expect(seen["prober.calls"] == .number(2))
        #expect(seen["prober.unsupported"] == nil)
    }

}
