extension ChatResponse {
    /// The response as an OpenAI `chat.completion` object.
    ///
    /// ```swift
    /// let body = response.openAIJSON()
    /// ```
    public func openAIJSON() -> [UInt8] {
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
            writer.string(choice.content)
            for name in choice.extra.keys.sorted() {
                writer.key(name)
                writer.value(choice.extra[name]!)
            }
            writer.endObject()
            writer.key("finish_reason")
            writer.optionalString(choice.finishReason)
            writer.endObject()
        }
        writer.endArray()
        writer.key("usage")
        usage.writeOpenAI(into: &writer)
        writer.endObject()
        return writer.bytes
    }

    /// Reads an OpenAI `chat.completion` object; `provider` is not part of the format.
    ///
    /// Failures are errors with status 502: the text came from somewhere other than the client.
    public init(openAIJSON bytes: some Collection<UInt8>, provider: String) throws(BifrostError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw Self.malformed("not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw Self.malformed("expected a JSON object") }
        guard case .array(let choiceValues)? = fields["choices"] else { throw Self.malformed("'choices' must be an array") }
        var choices: [ChatChoice] = []
        for (index, choiceValue) in choiceValues.enumerated() {
            guard case .object(var message)? = choiceValue.objectField("message") else {
                throw Self.malformed("choices[\(index)].message must be an object")
            }
            let role = message.removeValue(forKey: "role")?.stringValue ?? "assistant"
            let content = message.removeValue(forKey: "content")?.stringValue ?? ""
            choices.append(
                ChatChoice(
                    role: role, content: content, finishReason: choiceValue.objectField("finish_reason")?.stringValue,
                    extra: message))
        }
        let usage = fields["usage"]
        self.init(
            id: fields["id"]?.stringValue ?? "",
            created: fields["created"]?.intValue ?? 0,
            provider: provider,
            model: fields["model"]?.stringValue ?? "",
            choices: choices,
            usage: TokenUsage(
                promptTokens: usage?.objectField("prompt_tokens")?.intValue ?? 0,
                completionTokens: usage?.objectField("completion_tokens")?.intValue ?? 0,
                totalTokens: usage?.objectField("total_tokens")?.intValue))
    }

    private static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "invalid_response_error", code: "malformed_response",
            message: "malformed chat.completion: \(reason)")
    }
}

extension TokenUsage {
    /// Writes `{"prompt_tokens", "completion_tokens", "total_tokens"}`, OpenAI's usage object.
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
