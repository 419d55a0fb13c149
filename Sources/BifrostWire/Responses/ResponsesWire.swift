public import BifrostCore

/// What the Responses API codecs share: the route, item ids, item shapes and status mapping.
public enum ResponsesWire {
    /// The Responses API's name for a field of the chat-shaped view it was read into, so an
    /// error raised about the view (a provider refusing `response_format`) names the field the
    /// client wrote (`text.format`).
    ///
    /// ```swift
    /// error.param = error.param.map(ResponsesWire.fieldName(forChatParameter:))
    /// ```
    public static func fieldName(forChatParameter name: String) -> String {
        switch name {
        case "response_format": "text.format"
        case "verbosity": "text.verbosity"
        case "reasoning_effort": "reasoning.effort"
        case "max_tokens", "max_completion_tokens": "max_output_tokens"
        case "messages": "input"
        default: name
        }
    }

    /// The route of OpenAI's Responses API, on the gateway and (after the base URL) upstream.
    public static let route = "/v1/responses"

    /// The answer's id in the Responses API's form: `resp_…` kept, a chat id's `chatcmpl-` replaced, others prefixed.
    public static func responseID(_ id: String) -> String {
        if id.hasPrefix("resp_") { return id }
        return "resp_" + (id.hasPrefix("chatcmpl-") ? id.dropFirst(9) : id[...])
    }

    /// The id of an output item of answer `responseID`: `msg_…`, `fc_…`, `rs_…` with its position.
    static func itemID(_ prefix: String, responseID: String, index: Int) -> String {
        "\(prefix)_\(responseID.dropFirst(5))_\(index)"
    }

    /// The Responses `status` and `incomplete_details` for a chat finish reason.
    static func status(forFinishReason reason: String?) -> (status: String, incomplete: JSONValue) {
        switch reason {
        case "length": ("incomplete", ["reason": "max_output_tokens"])
        case "content_filter": ("incomplete", ["reason": "content_filter"])
        default: ("completed", .null)
        }
    }

    /// The chat finish reason of a Responses `response` object.
    static func finishReason(of response: JSONObject, hasToolCalls: Bool) -> String {
        if response["status"]?.stringValue == "incomplete" {
            switch response["incomplete_details"]?.objectField("reason")?.stringValue {
            case "content_filter": return "content_filter"
            default: return "length"
            }
        }
        return hasToolCalls ? "tool_calls" : "stop"
    }

    /// A `message` output item with its text (and refusal) parts.
    static func messageItem(id: String, text: String?, refusal: String?) -> JSONObject {
        var parts: [JSONValue] = []
        if let text { parts.append(["type": "output_text", "text": .string(text), "annotations": []]) }
        if let refusal { parts.append(["type": "refusal", "refusal": .string(refusal)]) }
        return [
            "type": "message", "id": .string(id), "status": "completed", "role": "assistant", "content": .array(parts),
        ]
    }

    /// A `function_call` output item.
    static func functionCallItem(id: String, call: ToolCall, status: String = "completed") -> JSONObject {
        [
            "type": "function_call", "id": .string(id), "call_id": .string(call.id), "name": .string(call.name),
            "arguments": .string(call.arguments), "status": .string(status),
        ]
    }

    /// A `reasoning` output item whose summary is `text`.
    static func reasoningItem(id: String, text: String?) -> JSONObject {
        [
            "type": "reasoning", "id": .string(id),
            "summary": .array(text.map { [["type": "summary_text", "text": .string($0)]] } ?? []),
        ]
    }

    /// The output items of an answer's choice: its reasoning, its message, its function calls.
    static func outputItems(of choice: ChatChoice, responseID: String) -> [JSONValue] {
        var items: [JSONValue] = []
        if let reasoning = choice.reasoning {
            items.append(.object(reasoningItem(id: itemID("rs", responseID: responseID, index: items.count), text: reasoning)))
        }
        let text: String? = choice.extra["content"] == .null && choice.content.isEmpty ? nil : choice.content
        if text != nil || choice.refusal != nil {
            let id = itemID("msg", responseID: responseID, index: items.count)
            items.append(.object(messageItem(id: id, text: text, refusal: choice.refusal)))
        }
        for call in choice.toolCalls {
            items.append(.object(functionCallItem(id: itemID("fc", responseID: responseID, index: items.count), call: call)))
        }
        return items
    }

    /// The `input` items a chat message amounts to, the inverse of reading them.
    static func inputItems(of message: ChatMessage) -> [JSONValue] {
        if let item = message.extra[ChatMessage.responsesItemKey] { return [item] }
        switch message.role {
        case "tool", "function":
            return [
                [
                    "type": "function_call_output", "call_id": message.extra["tool_call_id"] ?? "",
                    "output": .string(message.content),
                ]
            ]
        case "assistant":
            var items = message.extra["reasoning_items"]?.arrayValue ?? []
            if !message.content.isEmpty || message.extra["content"]?.arrayValue != nil {
                items.append(["role": "assistant", "content": content(of: message, textType: "output_text")])
            }
            for call in ToolCall.list(message.extra["tool_calls"]) {
                items.append(
                    [
                        "type": "function_call", "call_id": .string(call.id), "name": .string(call.name),
                        "arguments": .string(call.arguments),
                    ])
            }
            return items
        default:
            return [["role": .string(message.role), "content": content(of: message, textType: "input_text")]]
        }
    }

    /// A message's content: its text, or its chat parts as Responses parts.
    private static func content(of message: ChatMessage, textType: String) -> JSONValue {
        guard case .array(let parts)? = message.extra["content"] else { return .string(message.content) }
        return .array(
            parts.map { part in
                switch part.objectField("type")?.stringValue {
                case "text": return ["type": .string(textType), "text": part.objectField("text") ?? ""]
                case "image_url":
                    var image: JSONObject = [
                        "type": "input_image", "image_url": part.objectField("image_url")?.objectField("url") ?? "",
                    ]
                    image["detail"] = part.objectField("image_url")?.objectField("detail")
                    return .object(image)
                default: return part
                }
            })
    }

    /// The chat-shaped error of a Responses stream's `error` or `response.failed` event, the
    /// event kept as it came for a client of the same format.
    static func streamError(_ event: JSONObject, provider: String) -> BifrostError {
        let error = event["type"]?.stringValue == "response.failed" ? event["response"]?.objectField("error") : .object(event)
        let code = error?.objectField("code")?.stringValue
        var failure = BifrostError(
            status: code == "rate_limit_exceeded" ? 429 : 502, type: "upstream_error", code: code,
            param: error?.objectField("param")?.stringValue,
            message: "upstream \(provider) failed mid-stream: \(error?.objectField("message")?.stringValue ?? "unknown error")",
            source: .provider(provider))
        failure.wire = WireBody(format: .openAIResponses, object: event)
        return failure
    }

    static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "upstream_error", code: "malformed_response", message: "malformed Responses API answer: \(reason)")
    }
}

extension TokenUsage {
    /// Reads the Responses API's usage: `input_tokens` (cached included), `output_tokens`
    /// (reasoning included), `input_tokens_details.cached_tokens`, `output_tokens_details.reasoning_tokens`.
    ///
    /// ```swift
    /// let usage = TokenUsage(responsesObject: ["input_tokens": 9, "output_tokens": 3, "total_tokens": 12])
    /// ```
    public init(responsesObject usage: JSONObject) {
        self.init(
            promptTokens: usage["input_tokens"]?.intValue ?? 0,
            completionTokens: usage["output_tokens"]?.intValue ?? 0,
            totalTokens: usage["total_tokens"]?.intValue,
            cachedPromptTokens: usage["input_tokens_details"]?.objectField("cached_tokens")?.intValue,
            reasoningTokens: usage["output_tokens_details"]?.objectField("reasoning_tokens")?.intValue)
    }

    /// The usage as the Responses API writes it, details always present (as OpenAI sends them).
    public var responsesObject: JSONValue {
        [
            "input_tokens": .number(JSONNumber(promptTokens)),
            "input_tokens_details": ["cached_tokens": .number(JSONNumber(cachedPromptTokens ?? 0))],
            "output_tokens": .number(JSONNumber(completionTokens)),
            "output_tokens_details": ["reasoning_tokens": .number(JSONNumber(reasoningTokens ?? 0))],
            "total_tokens": .number(JSONNumber(totalTokens)),
        ]
    }
}
