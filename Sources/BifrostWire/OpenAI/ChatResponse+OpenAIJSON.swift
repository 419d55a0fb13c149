public import BifrostCore

extension ChatResponse {
    /// The response as an OpenAI `chat.completion` object.
    ///
    /// An answer that came from an OpenAI-compatible upstream, unchanged, goes out as it came;
    /// otherwise it is written from the typed fields, with every `extra` in its place.
    ///
    /// ```swift
    /// let body = response.openAIJSON()
    /// ```
    public func openAIJSON() -> [UInt8] {
        if let wire, wire.format == .openAIChat, !typedViewChanged {
            if let bytes = wire.bytes { return bytes }
            var writer = JSONWriter(capacity: 1024)
            writer.value(.object(wire.object))
            return writer.bytes
        }
        var writer = JSONWriter(capacity: 256 + choices.reduce(0) { $0 + $1.content.utf8.count + 96 })
        writer.beginObject()
        writer.key("id")
        writer.string(id)
        writer.key("object")
        writer.string("chat.completion")
        writer.key("created")
        writer.number(created)
        writer.key("model")
        writer.string(model)
        writer.key("choices")
        writer.beginArray()
        for (index, choice) in choices.enumerated() {
            writer.beginObject()
            writer.key("index")
            writer.number(index)
            writer.key("message")
            writer.beginObject()
            writer.key("role")
            writer.string(choice.role)
            writer.key("content")
            if let content = choice.extra["content"] { writer.value(content) } else { writer.string(choice.content) }
            writer.members(of: choice.extra, excluding: "content")
            writer.endObject()
            writer.members(of: choice.choiceExtra)
            writer.key("finish_reason")
            writer.optionalString(choice.finishReason)
            writer.endObject()
        }
        writer.endArray()
        writer.key("usage")
        usage.writeOpenAI(into: &writer)
        for member in extra where !Self.openAIResponseFields.contains(member.key) {
            writer.key(member.key)
            writer.value(member.value)
        }
        writer.endObject()
        return writer.bytes
    }

    /// The members of `chat.completion` the typed fields hold.
    static let openAIResponseFields: Set<String> = ["id", "object", "created", "model", "choices", "usage"]

    /// Reads an OpenAI `chat.completion` object; `provider` is not part of the format.
    ///
    /// Every member the typed view does not hold is kept in ``extra`` (top level),
    /// ``ChatChoice/extra`` (the message) or ``ChatChoice/choiceExtra`` (the choice), and the
    /// whole object in ``wire``. Failures are errors with status 502: the text came from
    /// somewhere other than the client.
    public init(openAIJSON bytes: some Collection<UInt8>, provider: String) throws(BifrostError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw Self.malformed("not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw Self.malformed("expected a JSON object") }
        guard case .array(let choiceValues)? = fields["choices"] else { throw Self.malformed("'choices' must be an array") }
        var choices: [ChatChoice] = []
        for (index, choiceValue) in choiceValues.enumerated() {
            guard case .object(var choiceFields) = choiceValue, case .object(var message)? = choiceFields["message"] else {
                throw Self.malformed("choices[\(index)].message must be an object")
            }
            let role = message.removeValue(forKey: "role")?.stringValue ?? "assistant"
            var content = ""
            switch message["content"] {
            case .string(let text)?:
                content = text
                message.removeValue(forKey: "content")
            case nil:
                break
            default:
                break  // null or parts: kept in `extra` as they came
            }
            let finishReason = choiceFields["finish_reason"]?.stringValue
            for name in ["index", "message", "finish_reason"] { choiceFields.removeValue(forKey: name) }
            choices.append(
                ChatChoice(role: role, content: content, finishReason: finishReason, extra: message, choiceExtra: choiceFields))
        }
        var extra = fields
        for name in Self.openAIResponseFields { extra.removeValue(forKey: name) }
        self.init(
            id: fields["id"]?.stringValue ?? "",
            created: fields["created"]?.intValue ?? 0,
            provider: provider,
            model: fields["model"]?.stringValue ?? "",
            choices: choices,
            usage: TokenUsage(openAIObject: fields["usage"]?.objectValue ?? [:]),
            extra: extra,
            wire: WireBody(format: .openAIChat, object: fields, bytes: Array(bytes)))
    }

    private static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "invalid_response_error", code: "malformed_response",
            message: "malformed chat.completion: \(reason)")
    }
}

extension TokenUsage {
    /// Reads OpenAI's usage object, details included (`prompt_tokens_details.cached_tokens`,
    /// `completion_tokens_details.reasoning_tokens`).
    ///
    /// ```swift
    /// let usage = TokenUsage(openAIObject: ["prompt_tokens": 9, "completion_tokens": 3, "total_tokens": 12])
    /// ```
    public init(openAIObject usage: JSONObject) {
        self.init(
            promptTokens: usage["prompt_tokens"]?.intValue ?? 0,
            completionTokens: usage["completion_tokens"]?.intValue ?? 0,
            totalTokens: usage["total_tokens"]?.intValue,
            cachedPromptTokens: usage["prompt_tokens_details"]?.objectField("cached_tokens")?.intValue,
            cacheCreationPromptTokens: usage["prompt_tokens_details"]?.objectField("cache_creation_tokens")?.intValue,
            reasoningTokens: usage["completion_tokens_details"]?.objectField("reasoning_tokens")?.intValue)
    }

    /// Writes OpenAI's usage object: `{"prompt_tokens", "completion_tokens", "total_tokens"}`,
    /// with `prompt_tokens_details` and `completion_tokens_details` when there are details.
    ///
    /// ```swift
    /// usage.writeOpenAI(into: &writer)
    /// ```
    public func writeOpenAI(into writer: inout JSONWriter) {
        writer.beginObject()
        writer.key("prompt_tokens")
        writer.number(promptTokens)
        writer.key("completion_tokens")
        writer.number(completionTokens)
        writer.key("total_tokens")
        writer.number(totalTokens)
        if cachedPromptTokens != nil || cacheCreationPromptTokens != nil {
            writer.key("prompt_tokens_details")
            writer.beginObject()
            if let cachedPromptTokens {
                writer.key("cached_tokens")
                writer.number(cachedPromptTokens)
            }
            if let cacheCreationPromptTokens {
                writer.key("cache_creation_tokens")
                writer.number(cacheCreationPromptTokens)
            }
            writer.endObject()
        }
        if let reasoningTokens {
            writer.key("completion_tokens_details")
            writer.beginObject()
            writer.key("reasoning_tokens")
            writer.number(reasoningTokens)
            writer.endObject()
        }
        writer.endObject()
    }
}

extension BifrostError {
    /// The error as OpenAI's `{"error": {"message", "type", "param", "code"}}` body.
    ///
    /// ```swift
    /// let body = BifrostError.invalidRequest("bad").openAIJSON()
    /// ```
    public func openAIJSON() -> [UInt8] {
        var writer = JSONWriter(capacity: 128 + message.utf8.count)
        if let wire, wire.format == .openAIChat {
            writer.value(.object(wire.object))
            return writer.bytes
        }
        writer.beginObject()
        writer.key("error")
        writer.beginObject()
        writer.key("message")
        writer.string(message)
        writer.key("type")
        writer.string(type)
        writer.key("param")
        writer.optionalString(param)
        writer.key("code")
        writer.optionalString(code)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }
}
