extension ChatResponse {
    /// Reads an Anthropic Messages response (`{"type":"message","content":[…],"stop_reason",…}`).
    ///
    /// Text blocks are joined into the one choice's content; `tool_use` blocks become OpenAI
    /// `tool_calls` in the choice's `extra`; `stop_reason` is mapped by
    /// ``AnthropicWire/finishReason(fromStopReason:)``; `usage.input_tokens`/`output_tokens` become
    /// prompt/completion tokens. `created` is not part of Anthropic's format, so the caller supplies it.
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
        var toolCalls: [JSONValue] = []
        for block in blocks {
            switch block.objectField("type")?.stringValue {
            case "text":
                text += block.objectField("text")?.stringValue ?? ""
            case "tool_use":
                var writer = JSONWriter(capacity: 64)
                writer.value(block.objectField("input") ?? [:])
                toolCalls.append([
                    "id": block.objectField("id") ?? "", "type": "function",
                    "function": ["name": block.objectField("name") ?? "", "arguments": .string(writer.text)],
                ])
            default:
                continue
            }
        }
        var extra: [String: JSONValue] = [:]
        if !toolCalls.isEmpty { extra["tool_calls"] = .array(toolCalls) }
        let usage = fields["usage"]
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
            usage: TokenUsage(
                promptTokens: usage?.objectField("input_tokens")?.intValue ?? 0,
                completionTokens: usage?.objectField("output_tokens")?.intValue ?? 0))
    }

    /// The response as an Anthropic Messages response body, for the gateway's `POST /anthropic/v1/messages`.
    ///
    /// Writes `{"id","type":"message","role":"assistant","model","content":[{"type":"text","text"}…],
    /// "stop_reason","stop_sequence":null,"usage":{"input_tokens","output_tokens"}}` from the first choice;
    /// its `tool_calls` become `tool_use` blocks. `model` defaults to ``model``; an empty ``id`` becomes `msg_`.
    ///
    /// ```swift
    /// let body = response.anthropicJSON(model: "anthropic/claude-3-5-haiku-latest")
    /// ```
    public func anthropicJSON(model: String? = nil) -> [UInt8] {
        let choice = choices.first ?? ChatChoice(content: "", finishReason: "stop")
        var writer = JSONWriter(capacity: 256 + choice.content.utf8.count)
        writer.beginObject()
        writer.key("id")
        writer.string(id.isEmpty ? "msg_" : id)
        writer.key("type")
        writer.string("message")
        writer.key("role")
        writer.string("assistant")
        writer.key("model")
        writer.string(model ?? self.model)
        writer.key("content")
        writer.beginArray()
        if !choice.content.isEmpty || choice.extra["tool_calls"] == nil {
            writer.beginObject()
            writer.key("type")
            writer.string("text")
            writer.key("text")
            writer.string(choice.content)
            writer.endObject()
        }
        if case .array(let calls)? = choice.extra["tool_calls"] {
            for call in calls {
                let function = call.objectField("function")
                var input: JSONValue = [:]
                if let arguments = function?.objectField("arguments")?.stringValue,
                    let parsed = try? JSONValue.parse(arguments)
                {
                    input = parsed
                }
                writer.value([
                    "type": "tool_use", "id": call.objectField("id") ?? "", "name": function?.objectField("name") ?? "",
                    "input": input,
                ])
            }
        }
        writer.endArray()
        writer.key("stop_reason")
        writer.string(AnthropicWire.stopReason(fromFinishReason: choice.finishReason))
        writer.key("stop_sequence")
        writer.null()
        writer.key("usage")
        writer.beginObject()
        writer.key("input_tokens")
        writer.number(usage.promptTokens)
        writer.key("output_tokens")
        writer.number(usage.completionTokens)
        writer.endObject()
        writer.endObject()
        return writer.bytes
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
