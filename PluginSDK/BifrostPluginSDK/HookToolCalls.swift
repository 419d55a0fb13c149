// ABI 1.3: tool calls, reasoning, refusals and usage details on the request, response and
// chunk views. Every call checks that the host is 1.3 or newer first and throws a
// ``HostCallError`` with status ``HostCallError/notProvided`` on an older host.

/// One tool call of a message, in OpenAI's terms: the call's id, the function, its arguments.
///
/// ```swift
/// for call in try response.toolCalls(at: 0) where call.name == "delete_file" { … }
/// ```
public struct HookToolCall: Sendable, Hashable {
    /// The call's id, which the tool result names in its `tool_call_id`.
    ///
    /// ```swift
    /// call.id  // "call_abc123"
    /// ```
    public var id: String
    /// The function called.
    ///
    /// ```swift
    /// call.name  // "get_weather"
    /// ```
    public var name: String
    /// The arguments, a JSON text as the model wrote it (not necessarily valid JSON).
    ///
    /// ```swift
    /// call.arguments  // #"{"city":"Paris"}"#
    /// ```
    public var arguments: String

    /// Creates a call.
    ///
    /// ```swift
    /// let call = HookToolCall(id: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
    /// ```
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// A piece of a streamed tool call: a call's first piece names it (``id``, ``name``), every
/// piece adds to its arguments; ``index`` ties the pieces of one call together.
///
/// ```swift
/// for piece in try chunk.toolCallDeltas() {
///     if let name = piece.name { names[piece.index] = name }
///     arguments[piece.index, default: ""] += piece.arguments
/// }
/// ```
public struct HookToolCallDelta: Sendable, Hashable {
    /// The call's position among the choice's tool calls.
    ///
    /// ```swift
    /// piece.index  // 0 for the first call
    /// ```
    public var index: Int
    /// The call's id, on its first piece; `nil` on later ones.
    ///
    /// ```swift
    /// if let id = piece.id { ids[piece.index] = id }
    /// ```
    public var id: String?
    /// The function's name, on its first piece; `nil` on later ones.
    ///
    /// ```swift
    /// if piece.name == "delete_file" { … }
    /// ```
    public var name: String?
    /// A part of the arguments' JSON text (possibly empty).
    ///
    /// ```swift
    /// arguments += piece.arguments
    /// ```
    public var arguments: String

    /// Creates a piece.
    ///
    /// ```swift
    /// let piece = HookToolCallDelta(index: 0, id: "call_1", name: "get_weather", arguments: "")
    /// ```
    public init(index: Int, id: String? = nil, name: String? = nil, arguments: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// The details behind token counts (`bifrost_usage_details`); `nil` for what the provider
/// did not report.
///
/// ```swift
/// let cached = try response.usageDetails.cachedPromptTokens ?? 0
/// ```
public struct HookUsageDetails: Sendable, Hashable {
    /// Prompt tokens read from the provider's prompt cache (OpenAI `cached_tokens`, Anthropic
    /// `cache_read_input_tokens`); ``HookUsage/promptTokens`` includes them.
    ///
    /// ```swift
    /// details.cachedPromptTokens  // 1024
    /// ```
    public var cachedPromptTokens: Int?
    /// Prompt tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`).
    ///
    /// ```swift
    /// details.cacheCreationPromptTokens  // 2048
    /// ```
    public var cacheCreationPromptTokens: Int?
    /// Generated tokens spent reasoning (OpenAI `reasoning_tokens`); ``HookUsage/completionTokens``
    /// includes them.
    ///
    /// ```swift
    /// details.reasoningTokens  // 320
    /// ```
    public var reasoningTokens: Int?

    /// Creates details.
    ///
    /// ```swift
    /// let details = HookUsageDetails(cachedPromptTokens: 1024, reasoningTokens: 320)
    /// ```
    public init(cachedPromptTokens: Int? = nil, cacheCreationPromptTokens: Int? = nil, reasoningTokens: Int? = nil) {
        self.cachedPromptTokens = cachedPromptTokens
        self.cacheCreationPromptTokens = cacheCreationPromptTokens
        self.reasoningTokens = reasoningTokens
    }

    init(_ raw: bifrost_usage_details) {
        func count(_ value: Int64) -> Int? { value < 0 ? nil : Int(truncatingIfNeeded: value) }
        self.init(
            cachedPromptTokens: count(raw.cached_prompt_tokens),
            cacheCreationPromptTokens: count(raw.cache_creation_prompt_tokens),
            reasoningTokens: count(raw.reasoning_tokens))
    }

    /// An empty struct for the host to fill, its size set as the ABI asks.
    static var request: bifrost_usage_details {
        var raw = bifrost_usage_details()
        raw.struct_size = UInt32(MemoryLayout<bifrost_usage_details>.size)
        return raw
    }
}

/// The ABI minor that added the services in this file.
private let toolCallsMinor: UInt16 = 3

/// Reads `count` tool calls through a host getter of three strings.
private func readToolCalls(
    count: Int, _ name: StaticString,
    _ get: (Int, UnsafeMutablePointer<bifrost_str>, UnsafeMutablePointer<bifrost_str>, UnsafeMutablePointer<bifrost_str>)
        -> bifrost_status
) throws -> [HookToolCall] {
    try (0..<count).map { call in
        var id = bifrost_str(ptr: nil, len: 0)
        var function = bifrost_str(ptr: nil, len: 0)
        var arguments = bifrost_str(ptr: nil, len: 0)
        try check(get(call, &id, &function, &arguments), name)
        return HookToolCall(id: String(borrowing: id), name: String(borrowing: function), arguments: String(borrowing: arguments))
    }
}

extension HookRequest {
    /// The tool calls a message makes (an assistant message's `tool_calls`, ABI 1.3); empty
    /// for a message without calls.
    ///
    /// ```swift
    /// for message in 0..<(try request.messages.count) {
    ///     for call in try request.toolCalls(inMessage: message) where call.name == "delete_file" { … }
    /// }
    /// ```
    public func toolCalls(inMessage message: Int) throws -> [HookToolCall] {
        let count = try newerHostFunction(
            api, \.request_message_tool_call_count, "request_message_tool_call_count", since: toolCallsMinor)
        let get = try newerHostFunction(
            api, \.request_message_tool_call_get, "request_message_tool_call_get", since: toolCallsMinor)
        let message = try hostIndex(message, "request_message_tool_call_count")
        var total = 0
        try check(count(handle, message, &total), "request_message_tool_call_count")
        return try readToolCalls(count: total, "request_message_tool_call_get") { get(handle, message, $0, $1, $2, $3) }
    }

    /// The id of the call a tool message answers (its `tool_call_id`, ABI 1.3), or `nil`.
    ///
    /// ```swift
    /// if try request.messages[index].role == "tool", let id = try request.toolCallID(ofMessage: index) { … }
    /// ```
    public func toolCallID(ofMessage message: Int) throws -> String? {
        let get = try newerHostFunction(
            api, \.request_message_tool_call_id, "request_message_tool_call_id", since: toolCallsMinor)
        let message = try hostIndex(message, "request_message_tool_call_id")
        return try readHostString("request_message_tool_call_id") { get(handle, message, $0) }
    }
}

extension HookResponse {
    /// The tool calls of a choice (ABI 1.3), in order; empty when it calls no tool.
    ///
    /// ```swift
    /// let names = try response.toolCalls(at: 0).map(\.name)
    /// ```
    public func toolCalls(at choice: Int = 0) throws -> [HookToolCall] {
        let count = try newerHostFunction(api, \.response_tool_call_count, "response_tool_call_count", since: toolCallsMinor)
        let get = try newerHostFunction(api, \.response_tool_call_get, "response_tool_call_get", since: toolCallsMinor)
        let choice = try hostIndex(choice, "response_tool_call_count")
        var total = 0
        try check(count(handle, choice, &total), "response_tool_call_count")
        return try readToolCalls(count: total, "response_tool_call_get") { get(handle, choice, $0, $1, $2, $3) }
    }

    /// Removes the tool call at position `call` of a choice (ABI 1.3): a guardrail refusing
    /// it. Later calls move down by one; when the last call goes, a finish reason of
    /// `tool_calls` becomes `stop`.
    ///
    /// ```swift
    /// try response.removeToolCall(1, at: 0)
    /// ```
    public func removeToolCall(_ call: Int, at choice: Int = 0) throws {
        let remove = try newerHostFunction(api, \.response_remove_tool_call, "response_remove_tool_call", since: toolCallsMinor)
        let choice = try hostIndex(choice, "response_remove_tool_call")
        let call = try hostIndex(call, "response_remove_tool_call")
        try check(remove(handle, choice, call), "response_remove_tool_call")
    }

    /// Removes every tool call of a choice that `shouldRemove` picks (ABI 1.3) and returns
    /// them, in their order.
    ///
    /// ```swift
    /// let refused = try response.removeToolCalls(at: 0) { denied.contains($0.name) }
    /// ```
    @discardableResult
    public func removeToolCalls(at choice: Int = 0, where shouldRemove: (HookToolCall) throws -> Bool) throws
        -> [HookToolCall]
    {
        let calls = try toolCalls(at: choice)
        var removed: [HookToolCall] = []
        // From the end, so the positions still to visit do not move.
        for position in calls.indices.reversed() where try shouldRemove(calls[position]) {
            try removeToolCall(position, at: choice)
            removed.insert(calls[position], at: 0)
        }
        return removed
    }

    /// A choice's reasoning text (OpenAI `reasoning_content`, Anthropic thinking; ABI 1.3), or `nil`.
    ///
    /// ```swift
    /// let thought = try response.reasoning(at: 0)?.utf8.count ?? 0
    /// ```
    public func reasoning(at choice: Int = 0) throws -> String? {
        let get = try newerHostFunction(api, \.response_get_reasoning, "response_get_reasoning", since: toolCallsMinor)
        let choice = try hostIndex(choice, "response_get_reasoning")
        return try readHostString("response_get_reasoning") { get(handle, choice, $0) }
    }

    /// A choice's refusal text (ABI 1.3), or `nil` when the model did not refuse.
    ///
    /// ```swift
    /// if let refusal = try response.refusal(at: 0) { context.log(.info, "refused: \(refusal)") }
    /// ```
    public func refusal(at choice: Int = 0) throws -> String? {
        let get = try newerHostFunction(api, \.response_get_refusal, "response_get_refusal", since: toolCallsMinor)
        let choice = try hostIndex(choice, "response_get_refusal")
        return try readHostString("response_get_refusal") { get(handle, choice, $0) }
    }

    /// The details behind the token counts (ABI 1.3): cached prompt tokens, reasoning tokens.
    ///
    /// ```swift
    /// let cached = try response.usageDetails.cachedPromptTokens ?? 0
    /// ```
    public var usageDetails: HookUsageDetails {
        get throws {
            let get = try newerHostFunction(
                api, \.response_get_usage_details, "response_get_usage_details", since: toolCallsMinor)
            var raw = HookUsageDetails.request
            try check(get(handle, &raw), "response_get_usage_details")
            return HookUsageDetails(raw)
        }
    }
}

extension HookChunk {
    /// The tool-call pieces of a choice's delta (ABI 1.3); empty when it carries none.
    ///
    /// ```swift
    /// let pieces = try chunk.toolCallDeltas().count
    /// ```
    public func toolCallDeltas(at choice: Int = 0) throws -> [HookToolCallDelta] {
        let count = try newerHostFunction(api, \.chunk_tool_call_count, "chunk_tool_call_count", since: toolCallsMinor)
        let get = try newerHostFunction(api, \.chunk_tool_call_get, "chunk_tool_call_get", since: toolCallsMinor)
        let choice = try hostIndex(choice, "chunk_tool_call_count")
        var total = 0
        try check(count(handle, choice, &total), "chunk_tool_call_count")
        return try (0..<total).map { piece in
            var index: Int64 = 0
            var id = bifrost_str(ptr: nil, len: 0)
            var name = bifrost_str(ptr: nil, len: 0)
            var arguments = bifrost_str(ptr: nil, len: 0)
            try check(get(handle, choice, piece, &index, &id, &name, &arguments), "chunk_tool_call_get")
            let idText = String(borrowing: id)
            let nameText = String(borrowing: name)
            return HookToolCallDelta(
                index: Int(truncatingIfNeeded: index), id: idText.isEmpty ? nil : idText,
                name: nameText.isEmpty ? nil : nameText, arguments: String(borrowing: arguments))
        }
    }

    /// The reasoning text this delta adds (ABI 1.3), or `nil` when it adds none.
    ///
    /// ```swift
    /// reasoningBytes += try chunk.reasoning()?.utf8.count ?? 0
    /// ```
    public func reasoning(at choice: Int = 0) throws -> String? {
        let get = try newerHostFunction(api, \.chunk_get_reasoning, "chunk_get_reasoning", since: toolCallsMinor)
        let choice = try hostIndex(choice, "chunk_get_reasoning")
        return try readHostString("chunk_get_reasoning") { get(handle, choice, $0) }
    }

    /// The details behind the token counts, on the chunk that carries usage (ABI 1.3); `nil`
    /// on the others.
    ///
    /// ```swift
    /// if let details = try chunk.usageDetails { print(details.reasoningTokens ?? 0) }
    /// ```
    public var usageDetails: HookUsageDetails? {
        get throws {
            let get = try newerHostFunction(api, \.chunk_get_usage_details, "chunk_get_usage_details", since: toolCallsMinor)
            var raw = HookUsageDetails.request
            guard try checkFound(get(handle, &raw), "chunk_get_usage_details") else { return nil }
            return HookUsageDetails(raw)
        }
    }
}
