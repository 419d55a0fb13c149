public import BifrostCore

extension ChatResponse {
    /// Reads an Anthropic Messages response (`{"type":"message","content":[…],"stop_reason",…}`).
    ///
    /// The message is kept whole in ``wire``, so an Anthropic client gets it as it came. The
    /// typed view: text blocks joined into the one choice's content; `thinking` blocks' text in
    /// `extra["reasoning_content"]`; `tool_use` blocks as OpenAI `tool_calls`; `stop_reason`
    /// mapped by ``AnthropicWire/finishReason(fromStopReason:)``; usage by ``TokenUsage/init(anthropicObject:)``.
    /// `created` is not part of Anthropic's format, so the caller supplies it.
    ///
    /// Failures are 502 errors with code `malformed_response`: the text came from an upstream.
    ///
    /// ```swift
    /// let response = try ChatResponse(anthropicJSON: body, provider: "anthropic", created: 1_700_000_000)
    /// ```
    public init(anthropicJSON bytes: some Collection<UInt8>, provider: String, created: Int = 0) throws(BifrostError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw AnthropicWire.malformed("Anthropic message is not valid JSON: \(error)")
        }
        try self.init(anthropicObject: value, provider: provider, created: created)
    }

    /// Reads an Anthropic Messages response from a parsed JSON value; see ``init(anthropicJSON:provider:created:)``.
    ///
    /// ```swift
    /// let response = try ChatResponse(anthropicObject: value, provider: "anthropic")
    /// ```
    public init(anthropicObject value: JSONValue, provider: String, created: Int = 0) throws(BifrostError) {
        guard case .object(let fields) = value else { throw AnthropicWire.malformed("Anthropic message must be a JSON object") }
        guard case .array(let blocks)? = fields["content"] else {
            throw AnthropicWire.malformed("Anthropic message: 'content' must be an array")
        }
        var text = ""
        var reasoning: String?
        var toolCalls: [JSONValue] = []
        for block in blocks {
            switch block.objectField("type")?.stringValue {
            case "text":
                text += block.objectField("text")?.stringValue ?? ""
            case "thinking":
                reasoning = (reasoning ?? "") + (block.objectField("thinking")?.stringValue ?? "")
            case "tool_use", "server_tool_use":
                toolCalls.append(
                    ToolCall(
                        id: block.objectField("id")?.stringValue ?? "", name: block.objectField("name")?.stringValue ?? "",
                        arguments: AnthropicWire.compactJSON(block.objectField("input") ?? [:])
                    ).openAIObject)
            default:
                continue
            }
        }
        var extra: JSONObject = [:]
        if text.isEmpty && !toolCalls.isEmpty { extra["content"] = .null }
        if let reasoning { extra["reasoning_content"] = .string(reasoning) }
        if !toolCalls.isEmpty { extra["tool_calls"] = .array(toolCalls) }
        self.init(
            id: fields["id"]?.stringValue ?? "",
            created: created,
            provider: provider,
            model: fields["model"]?.stringValue ?? "",
            choices: [
                ChatChoice(
                    role: "assistant", content: text,
                    finishReason: AnthropicWire.finishReason(fromStopReason: fields["stop_reason"]?.stringValue),
                    extra: extra)
            ],
            usage: TokenUsage(anthropicObject: fields["usage"]?.objectValue ?? [:]),
            wire: WireBody(format: .anthropicMessages, object: fields))
    }

    /// The response as an Anthropic Messages response body, for the gateway's `POST /anthropic/v1/messages`.
    ///
    /// An answer that came from Anthropic goes out as it came (with any typed change a plugin
    /// made applied). Otherwise, from the first choice: `{"id","type":"message","role":"assistant",
    /// "model","content":[…],"stop_reason","stop_sequence":null,"usage":{…}}`, with a `thinking`
    /// block for its reasoning, a `text` block, and `tool_use` blocks for its tool calls. An empty
    /// ``id`` becomes `msg_`.
    ///
    /// ```swift
    /// let body = response.anthropicJSON()
    /// ```
    public func anthropicJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 512)
        writer.value(.object(anthropicObject()))
        return writer.bytes
    }

    /// The response as an Anthropic Messages object; see ``anthropicJSON()``.
    public func anthropicObject() -> JSONObject {
        let choice = choices.first ?? ChatChoice(content: "", finishReason: "stop")
        if let wire, wire.format == .anthropicMessages {
            return typedViewChanged ? AnthropicWire.applying(self, choice: choice, to: wire.object) : wire.object
        }
        var message: JSONObject = [
            "id": .string(id.isEmpty ? "msg_" : id), "type": "message", "role": "assistant", "model": .string(model),
        ]
        message["content"] = .array(AnthropicWire.blocks(of: choice, keeping: []))
        message["stop_reason"] = .string(AnthropicWire.stopReason(fromFinishReason: choice.finishReason))
        message["stop_sequence"] = .null
        message["usage"] = .object(usage.anthropicObject)
        return message
    }
}

extension TokenUsage {
    /// Reads Anthropic's usage: `input_tokens` counts only uncached prompt tokens, so the prompt
    /// is `input_tokens + cache_read_input_tokens + cache_creation_input_tokens`.
    ///
    /// ```swift
    /// let usage = TokenUsage(anthropicObject: ["input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 5])
    /// usage.promptTokens  // 100
    /// ```
    public init(anthropicObject usage: JSONObject) {
        let cacheRead = usage["cache_read_input_tokens"]?.intValue
        let cacheCreation = usage["cache_creation_input_tokens"]?.intValue
        self.init(
            promptTokens: (usage["input_tokens"]?.intValue ?? 0) + (cacheRead ?? 0) + (cacheCreation ?? 0),
            completionTokens: usage["output_tokens"]?.intValue ?? 0,
            cachedPromptTokens: cacheRead, cacheCreationPromptTokens: cacheCreation)
    }

    /// The counts as Anthropic's usage object (the inverse of ``init(anthropicObject:)``).
    public var anthropicObject: JSONObject {
        let cached = (cachedPromptTokens ?? 0) + (cacheCreationPromptTokens ?? 0)
        var object: JSONObject = ["input_tokens": .number(JSONNumber(max(0, promptTokens - cached)))]
        if let cacheCreationPromptTokens {
            object["cache_creation_input_tokens"] = .number(JSONNumber(cacheCreationPromptTokens))
        }
        if let cachedPromptTokens { object["cache_read_input_tokens"] = .number(JSONNumber(cachedPromptTokens)) }
        object["output_tokens"] = .number(JSONNumber(completionTokens))
        return object
    }
}

/// Shared pieces of the Anthropic Messages wire format: stop-reason and error-type mappings.
///
/// ```swift
/// AnthropicWire.finishReason(fromStopReason: "max_tokens")  // "length"
/// AnthropicWire.errorType(forStatus: 429)                    // "rate_limit_error"
/// ```
public enum AnthropicWire {
    /// The `anthropic-version` header value the gateway speaks.
    ///
    /// ```swift
    /// headers["anthropic-version"] = AnthropicWire.version
    /// ```
    public static let version = "2023-06-01"

    /// OpenAI's `finish_reason` for an Anthropic `stop_reason`: `end_turn`/`stop_sequence`/`pause_turn` → `stop`,
    /// `max_tokens` → `length`, `tool_use` → `tool_calls`, `refusal` → `content_filter`; `nil` stays `nil`.
    ///
    /// ```swift
    /// AnthropicWire.finishReason(fromStopReason: "tool_use")  // "tool_calls"
    /// ```
    public static func finishReason(fromStopReason stopReason: String?) -> String? {
        switch stopReason {
        case nil: nil
        case "end_turn", "stop_sequence", "pause_turn": "stop"
        case "max_tokens", "model_context_window_exceeded": "length"
        case "tool_use": "tool_calls"
        case "refusal": "content_filter"
        case let other?: other
        }
    }

    /// Anthropic's `stop_reason` for an OpenAI `finish_reason` (`stop` and unknown → `end_turn`).
    ///
    /// ```swift
    /// AnthropicWire.stopReason(fromFinishReason: "length")  // "max_tokens"
    /// ```
    public static func stopReason(fromFinishReason finishReason: String?) -> String {
        switch finishReason {
        case "length": "max_tokens"
        case "tool_calls", "function_call": "tool_use"
        case "content_filter": "refusal"
        default: "end_turn"
        }
    }

    /// Anthropic's error `type` for an HTTP status: 400 `invalid_request_error`, 401 `authentication_error`,
    /// 402 `billing_error`, 403 `permission_error`, 404 `not_found_error`, 413 `request_too_large`,
    /// 429 `rate_limit_error`, 503/529 `overloaded_error`, 504 `timeout_error`, other 5xx `api_error`,
    /// other 4xx `invalid_request_error`.
    ///
    /// ```swift
    /// AnthropicWire.errorType(forStatus: 401)  // "authentication_error"
    /// ```
    public static func errorType(forStatus status: Int) -> String {
        switch status {
        case 401: "authentication_error"
        case 402: "billing_error"
        case 403: "permission_error"
        case 404: "not_found_error"
        case 413: "request_too_large"
        case 429: "rate_limit_error"
        case 503, 529: "overloaded_error"
        case 504: "timeout_error"
        case 500...: "api_error"
        default: "invalid_request_error"
        }
    }

    /// The HTTP status Anthropic uses for an error `type` (for errors that arrive inside a stream).
    ///
    /// ```swift
    /// AnthropicWire.status(forErrorType: "overloaded_error")  // 529
    /// ```
    public static func status(forErrorType type: String) -> Int {
        switch type {
        case "invalid_request_error": 400
        case "authentication_error": 401
        case "billing_error": 402
        case "permission_error": 403
        case "not_found_error": 404
        case "request_too_large": 413
        case "rate_limit_error": 429
        case "overloaded_error": 529
        case "timeout_error": 504
        default: 500
        }
    }

    /// A JSON value as compact text (a tool call's arguments).
    static func compactJSON(_ value: JSONValue) -> String {
        var writer = JSONWriter(capacity: 64)
        writer.value(value)
        return writer.text
    }

    /// Anthropic content blocks for a choice: `thinking` (its reasoning), `text`, `tool_use`s.
    /// `keeping` are the blocks of the message the choice was read from: thinking blocks keep
    /// their signatures, and blocks of other types stay where they were.
    static func blocks(of choice: ChatChoice, keeping original: [JSONValue]) -> [JSONValue] {
        var blocks: [JSONValue] = []
        let originalThinking = original.filter { $0.objectField("type")?.stringValue == "thinking" }
        if let reasoning = choice.reasoning {
            if originalThinking.count == 1, case .object(var block) = originalThinking[0] {
                block["thinking"] = .string(reasoning)
                blocks.append(.object(block))
            } else if !originalThinking.isEmpty
                && originalThinking.compactMap({ $0.objectField("thinking")?.stringValue }).joined() == reasoning
            {
                blocks.append(contentsOf: originalThinking)
            } else {
                blocks.append(["type": "thinking", "thinking": .string(reasoning)])
            }
        }
        for block in original {
            switch block.objectField("type")?.stringValue {
            case "thinking", "text", "tool_use": continue
            default: blocks.append(block)
            }
        }
        let calls = choice.toolCalls
        if !choice.content.isEmpty || calls.isEmpty {
            var text: JSONObject = ["type": "text", "text": .string(choice.content)]
            if let first = original.first(where: { $0.objectField("type")?.stringValue == "text" })?.objectValue {
                for member in first where member.key != "type" && member.key != "text" { text[member.key] = member.value }
            }
            blocks.append(.object(text))
        }
        for call in calls {
            let input = (try? JSONValue.parse(call.arguments)) ?? [:]
            blocks.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.name), "input": input])
        }
        return blocks
    }

    /// An Anthropic message with a response's typed fields applied: what a plugin changed
    /// replaces what came, the rest (signatures, citations, unknown fields) stays.
    static func applying(_ response: ChatResponse, choice: ChatChoice, to message: JSONObject) -> JSONObject {
        var message = message
        message["id"] = .string(response.id)
        message["model"] = .string(response.model)
        message["content"] = .array(blocks(of: choice, keeping: message["content"]?.arrayValue ?? []))
        let stopReason = message["stop_reason"]?.stringValue
        if finishReason(fromStopReason: stopReason) != choice.finishReason {
            message["stop_reason"] = .string(self.stopReason(fromFinishReason: choice.finishReason))
        }
        var usage = message["usage"]?.objectValue ?? [:]
        usage.merge(response.usage.anthropicObject)
        message["usage"] = .object(usage)
        return message
    }

    /// An Anthropic stream event with a chunk's typed fields applied: a text or thinking delta
    /// gets the chunk's text, `message_delta` its finish reason and usage, `message_start` its id and model.
    static func applying(_ chunk: ChatChunk, to event: JSONObject) -> JSONObject {
        var event = event
        let choice = chunk.choices.first
        switch event["type"]?.stringValue {
        case "message_start":
            if case .object(var message)? = event["message"] {
                message["id"] = .string(chunk.id)
                message["model"] = .string(chunk.model)
                event["message"] = .object(message)
            }
        case "content_block_delta":
            guard case .object(var delta)? = event["delta"] else { break }
            switch delta["type"]?.stringValue {
            case "text_delta": delta["text"] = .string(choice?.content ?? "")
            case "thinking_delta": delta["thinking"] = .string(choice?.reasoning ?? "")
            default: break
            }
            event["delta"] = .object(delta)
        case "message_delta":
            if case .object(var delta)? = event["delta"], let reason = choice?.finishReason,
                finishReason(fromStopReason: delta["stop_reason"]?.stringValue) != reason
            {
                delta["stop_reason"] = .string(stopReason(fromFinishReason: reason))
                event["delta"] = .object(delta)
            }
            if let usage = chunk.usage {
                var counts = event["usage"]?.objectValue ?? [:]
                counts["output_tokens"] = .number(JSONNumber(usage.completionTokens))
                event["usage"] = .object(counts)
            }
        default:
            break
        }
        return event
    }

    static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "upstream_error", code: "malformed_response", message: "malformed upstream response: \(reason)")
    }
}

extension BifrostError {
    /// The error as Anthropic's body: `{"type":"error","error":{"type":…,"message":…}}`, the type chosen by
    /// ``AnthropicWire/errorType(forStatus:)``. Send it with ``status`` (and ``headers``).
    ///
    /// ```swift
    /// let body = BifrostError.invalidRequest("max_tokens: required").anthropicJSON()
    /// // {"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: required"}}
    /// ```
    public func anthropicJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 96 + message.utf8.count)
        if let wire, wire.format == .anthropicMessages {
            writer.value(.object(wire.object))
            return writer.bytes
        }
        writer.beginObject()
        writer.key("type")
        writer.string("error")
        writer.key("error")
        writer.beginObject()
        writer.key("type")
        writer.string(AnthropicWire.errorType(forStatus: status))
        writer.key("message")
        writer.string(message)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
