import BifrostCore
import BifrostNativePlugins
import BifrostTestSupport
import CBifrostPlugin
import Foundation
import Testing

// ABI 1.3 through a real C plugin (Tests/PluginZoo/tool_guard.c): tool calls of request
// messages, response choices and chunk deltas; reasoning, refusals, usage details; misuse
// of every new accessor; a plugin built against the 1.2 header on this host.

/// Answers like a reasoning model calling two tools (choice 0) beside a refusal (choice 1);
/// streams the same answer in pieces, as OpenAI does.
private struct ToolCallingProvider: Provider {
    let name = "tools"
    let models = ["calls"]

    static let usage = TokenUsage(
        promptTokens: 40, completionTokens: 25, cachedPromptTokens: 32, cacheCreationPromptTokens: 6, reasoningTokens: 12)
    static let weather = ToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
    static let deletion = ToolCall(id: "call_2", name: "delete_file", arguments: #"{"path":"/etc"}"#)
    static let reasoning = "Let me think."
    static let refusal = "I can't help with that."

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        ChatResponse(
            id: "chatcmpl-tools", provider: name, model: request.model,
            choices: [
                ChatChoice(
                    content: "", finishReason: "tool_calls",
                    extra: [
                        "content": .null, "reasoning_content": .string(Self.reasoning),
                        "tool_calls": [Self.weather.openAIObject, Self.deletion.openAIObject],
                    ]),
                ChatChoice(content: "", finishReason: "stop", extra: ["content": .null, "refusal": .string(Self.refusal)]),
            ],
            usage: Self.usage)
    }

    /// The pieces: reasoning in two deltas, the first call named then its arguments in two
    /// pieces, the second call whole, then the finish reason with usage.
    static let pieces: [ToolCallDelta] = [
        ToolCallDelta(index: 0, id: weather.id, name: weather.name, arguments: ""),
        ToolCallDelta(index: 0, arguments: #"{"city":"#),
        ToolCallDelta(index: 0, arguments: #""Paris"}"#),
        ToolCallDelta(index: 1, id: deletion.id, name: deletion.name, arguments: deletion.arguments),
    ]

    static func chunks(model: String) -> [ChatChunk] {
        func chunk(_ choice: ChunkChoice, usage: TokenUsage? = nil) -> ChatChunk {
            ChatChunk(id: "chatcmpl-tools", provider: "tools", model: model, choices: [choice], usage: usage)
        }
        var chunks = [
            chunk(ChunkChoice(role: "assistant", extra: ["reasoning_content": "Let me "])),
            chunk(ChunkChoice(extra: ["reasoning_content": "think."])),
        ]
        for piece in pieces { chunks.append(chunk(ChunkChoice(extra: ["tool_calls": [piece.openAIObject]]))) }
        chunks.append(chunk(ChunkChoice(finishReason: "tool_calls"), usage: usage))
        return chunks
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        let chunks = Self.chunks(model: request.model)
        return ChatStream { continuation throws(BifrostError) in
            for chunk in chunks { await continuation.yield(chunk) }
        }
    }
}

/// A conversation that already went through one tool round: a call and its result.
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

/// tool_guard.c, compiled once for the whole suite.
private let toolGuardFile = Task { try await CPluginCompiler.compile(zoo: "tool_guard.c", as: "tool-guard.so") }

private func toolGuard(_ configuration: String = "{}") async throws -> NativePlugin {
    try PluginLoader.load(file: try await toolGuardFile.value, configuration: Array(configuration.utf8))
}

private func run(_ plugin: NativePlugin, _ request: ChatRequest = toolConversation(), context: RequestContext) async
    -> ChatOutcome
{
    await PluginChain([ChainEntry(plugin)]).run(
        request, context: context, through: Dispatcher(providers: [ToolCallingProvider(), MockProvider()]))
}

/// Streams through the plugin; returns the chunks received and the error that ended the stream.
private func stream(_ plugin: NativePlugin, context: RequestContext) async -> (chunks: [ChatChunk], error: BifrostError?) {
    let opened = await PluginChain([ChainEntry(plugin)]).runStream(
        toolConversation(stream: true), context: context, through: Dispatcher(providers: [ToolCallingProvider()]))
    guard case .success(let stream) = opened else {
        if case .failure(let error) = opened { return ([], error) }
        return ([], nil)
    }
    var chunks: [ChatChunk] = []
    do {
        for try await chunk in stream { chunks.append(chunk) }
    } catch {
        return (chunks, error)
    }
    return (chunks, nil)
}

@Suite("Tool calls, reasoning and usage details through a native guardrail (ABI 1.3)")
struct ToolCallAccessorTests {
    @Test func thePreHookReadsTheRequestsToolCallsAndToolResults() async throws {
        let context = RequestContext()
        let outcome = await run(try await toolGuard(), context: context)
        #expect(outcome.response != nil, "\(outcome)")
        #expect(context["tool_guard.request"] == .string(#"m1:call_0:get_weather:{"city":"Rome"};m2<-call_0;"#))
    }

    @Test func thePostHookRemovesADeniedCallAndReadsReasoningRefusalAndUsageDetails() async throws {
        let context = RequestContext()
        let outcome = await run(try await toolGuard(#"{"deny": ["delete_file"]}"#), context: context)
        let response = try #require(outcome.response, "\(outcome)")
        #expect(response.choices[0].toolCalls == [ToolCallingProvider.weather])
        #expect(response.choices[0].finishReason == "tool_calls", "a call remains, so the answer still calls a tool")
        #expect(response.choices[0].reasoning == ToolCallingProvider.reasoning)
        #expect(response.choices[1].refusal == ToolCallingProvider.refusal)
        #expect(response.typedViewChanged)
        #expect(context["tool_guard.removed"] == .string("c0:delete_file;"))
        #expect(context["tool_guard.remaining"] == .number(1))
        #expect(context["tool_guard.finish"] == .string("tool_calls"))
        #expect(context["tool_guard.reasoning"] == .string(ToolCallingProvider.reasoning))
        #expect(context["tool_guard.refusal"] == .string("c1:\(ToolCallingProvider.refusal)"))
        #expect(context["tool_guard.cached"] == .number(32))
        #expect(context["tool_guard.cache_creation"] == .number(6))
        #expect(context["tool_guard.reasoning_tokens"] == .number(12))
        #expect(context["tool_guard.partial_ok"] == .bool(true), "the host wrote past the struct_size the plugin gave")
    }

    @Test func removingTheLastCallEndsTheChoiceWithStop() async throws {
        let context = RequestContext()
        let outcome = await run(try await toolGuard(#"{"deny": ["delete_file", "get_weather"]}"#), context: context)
        let response = try #require(outcome.response, "\(outcome)")
        #expect(response.choices[0].toolCalls.isEmpty)
        #expect(response.choices[0].extra["tool_calls"] == nil, "no empty tool_calls array is left behind")
        #expect(response.choices[0].finishReason == "stop")
        #expect(response.choices[0].reasoning == ToolCallingProvider.reasoning, "the rest of the message stays")
        #expect(response.choices[1].finishReason == "stop")
        #expect(context["tool_guard.removed"] == .string("c0:delete_file;c0:get_weather;"))
        #expect(context["tool_guard.remaining"] == .number(0))
    }

    @Test func anAnswerWithoutToolCallsReasoningOrDetailsReadsAsAbsent() async throws {
        let context = RequestContext()
        let outcome = await run(try await toolGuard(#"{"deny": ["delete_file"]}"#), chatRequest(), context: context)
        #expect(outcome.response?.choices.first?.content == "Echo: Hello")
        #expect(context["tool_guard.request"] == .string(""))
        #expect(context["tool_guard.removed"] == .string(""))
        #expect(context["tool_guard.remaining"] == .number(0))
        #expect(context["tool_guard.reasoning"] == nil)
        #expect(context["tool_guard.refusal"] == nil)
        #expect(context["tool_guard.cached"] == .number(-1))
        #expect(context["tool_guard.cache_creation"] == .number(-1))
        #expect(context["tool_guard.reasoning_tokens"] == .number(-1))
    }

    @Test func theChunkHookCountsToolCallPiecesReasoningBytesAndReadsUsageDetails() async throws {
        let context = RequestContext()
        let (chunks, error) = await stream(try await toolGuard(#"{"deny": ["delete_file"]}"#), context: context)
        #expect(error == nil)
        #expect(chunks.count == ToolCallingProvider.chunks(model: "calls").count)
        let pieces = ToolCallingProvider.pieces
        #expect(context["tool_guard.pieces"] == .number(Double(pieces.count)))
        #expect(context["tool_guard.reasoning_bytes"] == .number(Double(ToolCallingProvider.reasoning.utf8.count)))
        #expect(context["tool_guard.stream_argument_bytes"] == .number(Double(pieces.reduce(0) { $0 + $1.arguments.utf8.count })))
        #expect(context["tool_guard.stream_calls"] == .string("i0:call_1:get_weather;i1:call_2:delete_file;"))
        #expect(context["tool_guard.stream_cached"] == .number(32))
        #expect(context["tool_guard.stream_reasoning_tokens"] == .number(12))
        // The PostHook saw the assembled answer: both calls, their arguments joined.
        #expect(context["tool_guard.removed"] == .string("c0:delete_file;"))
        #expect(context["tool_guard.remaining"] == .number(1))
        #expect(context["tool_guard.reasoning"] == .string(ToolCallingProvider.reasoning))
    }

    /// Each new accessor called wrongly: the host returns the status and faults the hook
    /// (fail-closed: a 500 naming the plugin and the reason); nothing crashes.
    @Test(arguments: [
        (
            "request_message_tool_call_count:range", "PreHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (4 messages)"
        ),
        ("request_message_tool_call_count:null", "PreHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "request_message_tool_call_get:range", "PreHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (4 messages)"
        ),
        ("request_message_tool_call_get:range2", "PreHook", BIFROST_ERR_OUT_OF_RANGE, "index 1 out of range (1 tool calls)"),
        ("request_message_tool_call_get:null", "PreHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "request_message_tool_call_id:range", "PreHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (4 messages)"
        ),
        ("request_message_tool_call_id:null", "PreHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "response_tool_call_count:range", "PostHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (2 choices)"
        ),
        ("response_tool_call_count:null", "PostHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "response_tool_call_get:range", "PostHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (2 choices)"
        ),
        ("response_tool_call_get:range2", "PostHook", BIFROST_ERR_OUT_OF_RANGE, "index 2 out of range (2 tool calls)"),
        ("response_tool_call_get:null", "PostHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "response_remove_tool_call:range", "PostHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (2 choices)"
        ),
        ("response_remove_tool_call:range2", "PostHook", BIFROST_ERR_OUT_OF_RANGE, "index 2 out of range (2 tool calls)"),
        (
            "response_get_reasoning:range", "PostHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (2 choices)"
        ),
        ("response_get_reasoning:null", "PostHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "response_get_refusal:range", "PostHook", BIFROST_ERR_OUT_OF_RANGE,
            "index 18446744073709551615 out of range (2 choices)"
        ),
        ("response_get_refusal:null", "PostHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        ("response_get_usage_details:null", "PostHook", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "response_get_usage_details:size", "PostHook", BIFROST_ERR_INVALID_ARGUMENT,
            "struct_size 0 covers no field; set it to sizeof(bifrost_usage_details) (32 in ABI 1.3)"
        ),
    ])
    func misusingARequestOrResponseAccessorFaultsTheHook(
        mode: String, hook: String, status: bifrost_status, fault: String
    ) async throws {
        let context = RequestContext()
        let outcome = await run(try await toolGuard(#"{"misuse": "\#(mode)"}"#), context: context)
        let error = try #require(outcome.error, "\(outcome)")
        let function = mode.prefix { $0 != ":" }
        #expect(error.status == 500)
        #expect(error.message == "plugin 'tool-guard' failed in \(hook): \(function): \(fault)", "\(error.message)")
        #expect(context["tool_guard.status"] == .number(Double(status)))
    }

    @Test(arguments: [
        ("chunk_tool_call_count:range", BIFROST_ERR_OUT_OF_RANGE, "index 18446744073709551615 out of range (1 choices)"),
        ("chunk_tool_call_count:null", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        ("chunk_tool_call_get:range", BIFROST_ERR_OUT_OF_RANGE, "index 18446744073709551615 out of range (1 choices)"),
        ("chunk_tool_call_get:range2", BIFROST_ERR_OUT_OF_RANGE, "index 1 out of range (1 tool-call pieces)"),
        ("chunk_tool_call_get:null", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        ("chunk_get_reasoning:range", BIFROST_ERR_OUT_OF_RANGE, "index 18446744073709551615 out of range (1 choices)"),
        ("chunk_get_reasoning:null", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        ("chunk_get_usage_details:null", BIFROST_ERR_INVALID_ARGUMENT, "output pointer is NULL"),
        (
            "chunk_get_usage_details:size", BIFROST_ERR_INVALID_ARGUMENT,
            "struct_size 0 covers no field; set it to sizeof(bifrost_usage_details) (32 in ABI 1.3)"
        ),
    ])
    func misusingAChunkAccessorEndsTheStreamWithTheFault(mode: String, status: bifrost_status, fault: String) async throws {
        let context = RequestContext()
        let (_, error) = await stream(try await toolGuard(#"{"misuse": "\#(mode)"}"#), context: context)
        let failure = try #require(error)
        let function = mode.prefix { $0 != ":" }
        #expect(failure.status == 500)
        #expect(failure.message == "plugin 'tool-guard' failed in ChunkHook: \(function): \(fault)", "\(failure.message)")
        #expect(context["tool_guard.status"] == .number(Double(status)))
    }

    @Test func theOneThreeFieldsAreAppendedAfterTheOneTwoTable() {
        func offset(_ field: PartialKeyPath<bifrost_host_api>) -> Int { MemoryLayout<bifrost_host_api>.offset(of: field)! }
        let pointer = MemoryLayout<UnsafeRawPointer>.size
        #expect(offset(\.request_message_tool_call_count) == offset(\.error_get_source) + pointer)
        #expect(offset(\.state_write) == offset(\.chunk_get_usage_details) + pointer, "the 1.4 block follows")
        #expect(Int(NativeHost.api.pointee.struct_size) == MemoryLayout<bifrost_host_api>.size)
        let slots: [UnsafeRawPointer?] = [
            unsafeBitCast(NativeHost.api.pointee.request_message_tool_call_count, to: UnsafeRawPointer?.self),
            unsafeBitCast(NativeHost.api.pointee.response_remove_tool_call, to: UnsafeRawPointer?.self),
            unsafeBitCast(NativeHost.api.pointee.chunk_get_usage_details, to: UnsafeRawPointer?.self),
        ]
        #expect(slots.allSatisfy { $0 != nil })
        #expect(MemoryLayout<bifrost_usage_details>.size == 32)
        #expect(MemoryLayout<bifrost_usage_details>.offset(of: \.cached_prompt_tokens) == 8)
    }

    /// A plugin compiled against the 1.2 header (declaring abi_minor 2, its 1.2-sized view of
    /// the host table) loads on this host and runs; the 1.2 table is a prefix of the 1.3 one.
    @Test func aPluginBuiltAgainstOneTwoLoadsAndRuns() async throws {
        let directory = try CPluginCompiler.temporaryDirectory("bifrost-abi-1.2")
        let header = try String(contentsOfFile: CPluginCompiler.headerDirectory + "/bifrost_plugin.h", encoding: .utf8)
        let oneTwo = try #require(Self.oneTwoHeader(from: header))
        #expect(!oneTwo.contains("request_message_tool_call_count"))
        try oneTwo.write(toFile: directory + "/bifrost_plugin.h", atomically: true, encoding: .utf8)

        let file = directory + "/tool-guard-1.2.so"
        let (status, output) = try await CPluginCompiler.run(
            "/usr/bin/cc",
            [
                "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-shared", "-fPIC", "-fvisibility=hidden", "-I", directory,
                "-o", file, CPluginCompiler.zooDirectory + "/tool_guard.c",
            ])
        #expect(status == 0, "\(output)")
        let plugin = try PluginLoader.load(file: file, configuration: Array(#"{"deny": ["delete_file"]}"#.utf8))
        #expect(plugin.descriptor.abiVersion == "1.2")
        #expect(plugin.descriptor.hooks == [.pre, .post, .chunk])

        let context = RequestContext()
        let response = try #require(await run(plugin, context: context).response)
        #expect(response.headers["x-tool-guard-choices"] == "2")
        #expect(response.choices[0].toolCalls.count == 2, "a 1.2 plugin cannot remove calls and did not")
        #expect(context["tool_guard.plugin_minor"] == .number(2))
        #expect(context["tool_guard.host_minor"] == .number(Double(BIFROST_ABI_VERSION_MINOR)))
        let firstNewField = MemoryLayout<bifrost_host_api>.offset(of: \.request_message_tool_call_count)!
        #expect(context["tool_guard.compiled_host_size"] == .number(Double(firstNewField)))
        #expect(context["tool_guard.host_struct_size"] == .number(Double(MemoryLayout<bifrost_host_api>.size)))

        let streamed = RequestContext()
        let (chunks, error) = await stream(plugin, context: streamed)
        #expect(error == nil)
        #expect(streamed["tool_guard.chunks"] == .number(Double(chunks.count)))
    }

    /// The header as it was at 1.2: the blocks 1.3 and later appended to the host table and
    /// the 1.4 block of the plugin table cut, the minor set back.
    static func oneTwoHeader(from header: String) -> String? {
        let pluginBlock = "    /* --- since 1.4 --- */\n    bifrost_export_state_fn export_state;\n"
        guard let start = header.range(of: "    /* --- since 1.3"), let end = header.range(of: "} bifrost_host_api;"),
            start.lowerBound < end.lowerBound, header.contains(pluginBlock)
        else { return nil }
        var text = header
        text.replaceSubrange(start.lowerBound..<end.lowerBound, with: "")
        return text.replacingOccurrences(of: pluginBlock, with: "").replacingOccurrences(
            of: "#define BIFROST_ABI_VERSION_MINOR \(BIFROST_ABI_VERSION_MINOR)\n", with: "#define BIFROST_ABI_VERSION_MINOR 2\n")
    }
}
