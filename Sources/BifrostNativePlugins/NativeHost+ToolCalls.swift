import BifrostCore
import CBifrostPlugin

// ABI 1.3: tool calls of request messages, response choices and chunk deltas; reasoning and
// refusal texts; usage details. Read from the core model's OpenAI-shaped `extra` fields.

extension NativeHost {
    static func installToolCallServices(_ api: inout bifrost_host_api) {
        installRequestToolCallServices(&api)
        installResponseToolCallServices(&api)
        installChunkToolCallServices(&api)
    }

    // MARK: Request

    private static func installRequestToolCallServices(_ api: inout bifrost_host_api) {
        api.request_message_tool_call_count = { handle, message, out in
            let function: StaticString = "request_message_tool_call_count"
            guard let session = NativeSession.resolve(handle, .request, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkMessage(message, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let out = NativeHost.check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = ToolCall.list(session.request.messages[message].extra["tool_calls"]).count
            return BIFROST_OK
        }
        api.request_message_tool_call_get = { handle, message, call, id, name, arguments in
            let function: StaticString = "request_message_tool_call_get"
            guard let session = NativeSession.resolve(handle, .request, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkMessage(message, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            let calls = ToolCall.list(session.request.messages[message].extra["tool_calls"])
            guard NativeHost.checkIndex(call, in: calls.count, "tool calls", session, function) else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            guard session.allows(NativeHost.toolCalls) else { return BIFROST_ERR_NOT_FOUND }
            return NativeHost.give(calls[call], id, name, arguments, session, function)
        }
        api.request_message_tool_call_id = { handle, message, out in
            let function: StaticString = "request_message_tool_call_id"
            guard let session = NativeSession.resolve(handle, .request, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkMessage(message, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let out = NativeHost.check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.allows(NativeHost.toolCalls),
                let id = session.request.messages[message].extra["tool_call_id"]?.stringValue
            else {
                return BIFROST_ERR_NOT_FOUND
            }
            out.pointee = session.arena.borrow(id)
            return BIFROST_OK
        }
    }

    private static func checkMessage(_ index: Int, _ session: NativeSession, _ function: StaticString) -> Bool {
        checkIndex(index, in: session.request.messages.count, "messages", session, function)
    }

    // MARK: Response

    private static func installResponseToolCallServices(_ api: inout bifrost_host_api) {
        api.response_tool_call_count = { handle, choice, out in
            let function: StaticString = "response_tool_call_count"
            guard let session = NativeSession.resolve(handle, .response, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let out = NativeHost.check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.response.choices[choice].toolCalls.count
            return BIFROST_OK
        }
        api.response_tool_call_get = { handle, choice, call, id, name, arguments in
            let function: StaticString = "response_tool_call_get"
            guard let session = NativeSession.resolve(handle, .response, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            let calls = session.response.choices[choice].toolCalls
            guard NativeHost.checkIndex(call, in: calls.count, "tool calls", session, function) else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            guard session.allows(NativeHost.toolCalls) else { return BIFROST_ERR_NOT_FOUND }
            return NativeHost.give(calls[call], id, name, arguments, session, function)
        }
        api.response_remove_tool_call = { handle, choice, call in
            let function: StaticString = "response_remove_tool_call"
            guard let session = NativeSession.resolve(handle, .response, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            let positions = NativeHost.toolCallPositions(session.response.choices[choice].extra["tool_calls"])
            guard NativeHost.checkIndex(call, in: positions.count, "tool calls", session, function) else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            NativeHost.removeToolCall(at: positions[call], lastOne: positions.count == 1, from: &session.response.choices[choice])
            return BIFROST_OK
        }
        api.response_get_reasoning = { handle, choice, out in
            NativeHost.getChoiceText(handle, choice, out, "response_get_reasoning") { $0.reasoning }
        }
        api.response_get_refusal = { handle, choice, out in
            NativeHost.getChoiceText(handle, choice, out, "response_get_refusal") { $0.refusal }
        }
        api.response_get_usage_details = { handle, out in
            let function: StaticString = "response_get_usage_details"
            guard let session = NativeSession.resolve(handle, .response, function) else { return BIFROST_ERR_INVALID_HANDLE }
            return NativeHost.writeUsageDetails(session.response.usage, to: out, session, function)
        }
    }

    /// Where the tool calls of an OpenAI `tool_calls` array sit in it: the positions of its
    /// object elements, which are the calls ``ToolCall/list(_:)`` reads, in the same order.
    private static func toolCallPositions(_ value: JSONValue?) -> [Int] {
        guard case .array(let elements)? = value else { return [] }
        return elements.indices.filter { position in
            if case .object = elements[position] { return true }
            return false
        }
    }

    /// Removes the `tool_calls` element at `position`; after the `lastOne`, the field itself,
    /// and a finish reason of `tool_calls` becomes `stop` (the answer no longer calls a tool).
    private static func removeToolCall(at position: Int, lastOne: Bool, from choice: inout ChatChoice) {
        guard case .array(var elements)? = choice.extra["tool_calls"] else { return }
        if lastOne {
            choice.extra["tool_calls"] = nil
            if choice.finishReason == "tool_calls" { choice.finishReason = "stop" }
        } else {
            elements.remove(at: position)
            choice.extra["tool_calls"] = .array(elements)
        }
    }

    /// A choice's optional text (reasoning, refusal): NOT_FOUND when it has none.
    private static func getChoiceText(
        _ handle: OpaquePointer?, _ choice: Int, _ out: UnsafeMutablePointer<bifrost_str>?, _ function: StaticString,
        _ read: (ChatChoice) -> String?
    ) -> bifrost_status {
        guard let session = NativeSession.resolve(handle, .response, function) else { return BIFROST_ERR_INVALID_HANDLE }
        guard checkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
        guard let out = check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
        // Reasoning and refusals are message content.
        guard session.allows(messageContent), let text = read(session.response.choices[choice]) else {
            return BIFROST_ERR_NOT_FOUND
        }
        out.pointee = session.arena.borrow(text)
        return BIFROST_OK
    }

    // MARK: Chunk

    private static func installChunkToolCallServices(_ api: inout bifrost_host_api) {
        api.chunk_tool_call_count = { handle, choice, out in
            let function: StaticString = "chunk_tool_call_count"
            guard let session = NativeSession.resolve(handle, .chunk, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChunkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let out = NativeHost.check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            out.pointee = session.chunk.choices[choice].toolCallDeltas.count
            return BIFROST_OK
        }
        api.chunk_tool_call_get = { handle, choice, piece, index, id, name, arguments in
            let function: StaticString = "chunk_tool_call_get"
            guard let session = NativeSession.resolve(handle, .chunk, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChunkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            let pieces = session.chunk.choices[choice].toolCallDeltas
            guard NativeHost.checkIndex(piece, in: pieces.count, "tool-call pieces", session, function) else {
                return BIFROST_ERR_OUT_OF_RANGE
            }
            guard let index = NativeHost.check(index, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.allows(NativeHost.toolCalls) else { return BIFROST_ERR_NOT_FOUND }
            let delta = pieces[piece]
            let call = ToolCall(id: delta.id ?? "", name: delta.name ?? "", arguments: delta.arguments)
            let status = NativeHost.give(call, id, name, arguments, session, function)
            if status == BIFROST_OK { index.pointee = Int64(delta.index) }
            return status
        }
        api.chunk_get_reasoning = { handle, choice, out in
            let function: StaticString = "chunk_get_reasoning"
            guard let session = NativeSession.resolve(handle, .chunk, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard NativeHost.checkChunkChoice(choice, session, function) else { return BIFROST_ERR_OUT_OF_RANGE }
            guard let out = NativeHost.check(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
            guard session.allows(NativeHost.messageContent), let text = session.chunk.choices[choice].reasoning else {
                return BIFROST_ERR_NOT_FOUND
            }
            out.pointee = session.arena.borrow(text)
            return BIFROST_OK
        }
        api.chunk_get_usage_details = { handle, out in
            let function: StaticString = "chunk_get_usage_details"
            guard let session = NativeSession.resolve(handle, .chunk, function) else { return BIFROST_ERR_INVALID_HANDLE }
            guard let usage = session.chunk.usage else {
                // Misuse is refused whether or not this chunk carries usage.
                guard NativeHost.checkUsageDetails(out, session, function) != nil else { return BIFROST_ERR_INVALID_ARGUMENT }
                return BIFROST_ERR_NOT_FOUND
            }
            return NativeHost.writeUsageDetails(usage, to: out, session, function)
        }
    }

    private static func checkChunkChoice(_ index: Int, _ session: NativeSession, _ function: StaticString) -> Bool {
        checkIndex(index, in: session.chunk.choices.count, "choices", session, function)
    }

    // MARK: Shared

    /// Writes a tool call's three strings, or none of them if an out-pointer is NULL.
    private static func give(
        _ call: ToolCall, _ id: UnsafeMutablePointer<bifrost_str>?, _ name: UnsafeMutablePointer<bifrost_str>?,
        _ arguments: UnsafeMutablePointer<bifrost_str>?, _ session: NativeSession, _ function: StaticString
    ) -> bifrost_status {
        guard let id = check(id, session, function), let name = check(name, session, function),
            let arguments = check(arguments, session, function)
        else { return BIFROST_ERR_INVALID_ARGUMENT }
        id.pointee = session.arena.borrow(call.id)
        name.pointee = session.arena.borrow(call.name)
        arguments.pointee = session.arena.borrow(call.arguments)
        return BIFROST_OK
    }

    private static let cachedPromptOffset = MemoryLayout<bifrost_usage_details>.offset(
        of: \bifrost_usage_details.cached_prompt_tokens)!
    private static let cacheCreationOffset = MemoryLayout<bifrost_usage_details>.offset(
        of: \bifrost_usage_details.cache_creation_prompt_tokens)!
    private static let reasoningOffset = MemoryLayout<bifrost_usage_details>.offset(
        of: \bifrost_usage_details.reasoning_tokens)!

    /// The plugin's struct as raw memory and the size it declares, or `nil` (a fault) when the
    /// pointer is NULL or the size covers no field. Only the declared size may be touched: a
    /// plugin built against an older header has a shorter struct.
    private static func checkUsageDetails(
        _ out: UnsafeMutablePointer<bifrost_usage_details>?, _ session: NativeSession, _ function: StaticString
    ) -> (memory: UnsafeMutableRawPointer, size: Int)? {
        guard let out = check(out, session, function) else { return nil }
        let memory = UnsafeMutableRawPointer(out)
        let size = Int(memory.load(as: UInt32.self))
        guard size >= cachedPromptOffset + MemoryLayout<Int64>.size else {
            session.recordFault(
                "\(function): struct_size \(size) covers no field; set it to sizeof(bifrost_usage_details) (\(MemoryLayout<bifrost_usage_details>.size) in ABI 1.3)"
            )
            return nil
        }
        return (memory, size)
    }

    /// Writes the details the plugin's struct has room for; -1 for a count not reported.
    private static func writeUsageDetails(
        _ usage: TokenUsage, to out: UnsafeMutablePointer<bifrost_usage_details>?, _ session: NativeSession,
        _ function: StaticString
    ) -> bifrost_status {
        guard let details = checkUsageDetails(out, session, function) else { return BIFROST_ERR_INVALID_ARGUMENT }
        func write(_ value: Int?, at offset: Int) {
            guard details.size >= offset + MemoryLayout<Int64>.size else { return }
            details.memory.storeBytes(of: value.map { Int64($0) } ?? -1, toByteOffset: offset, as: Int64.self)
        }
        write(usage.cachedPromptTokens, at: cachedPromptOffset)
        write(usage.cacheCreationPromptTokens, at: cacheCreationOffset)
        write(usage.reasoningTokens, at: reasoningOffset)
        return BIFROST_OK
    }
}
