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
    /// whole text in ``wire``. The text is read member by member (``JSONCursor``): only the
    /// members the typed view does not hold become trees, and the object is parsed only if a
    /// reader asks for ``WireBody/object``. Unless `readsTypedViewAsItGoes`, only the model and
    /// `created` are read now and the shape of `choices` checked; the rest of the typed view is read when
    /// first asked for (``RequestContext/readsTypedAnswer`` says whether anything will).
    /// Failures are errors with status 502: the text came from somewhere other than the client.
    public init(openAIJSON bytes: some Collection<UInt8>, provider: String, readsTypedViewAsItGoes: Bool = true)
        throws(BifrostError)
    {
        let text = Array(bytes)
        guard readsTypedViewAsItGoes else {
            var scan = ResponseScan()
            try Self.walk(text) { cursor, key throws(JSONParseError) in try scan.read(key, &cursor) }
            if let problem = scan.choicesProblem { throw Self.malformed(problem) }
            self.init(
                provider: provider, model: scan.model, created: scan.created,
                wire: WireBody(format: .openAIChat, objectText: text), typedView: Self.typedView)
            return
        }
        var fields = ResponseFields()
        try Self.walk(text) { cursor, key throws(JSONParseError) in try fields.read(key, &cursor) }
        if let problem = fields.choicesProblem { throw Self.malformed(problem) }
        self.init(
            id: fields.id, created: fields.created, provider: provider, model: fields.model, choices: fields.choices,
            usage: TokenUsage(openAIObject: fields.usage), extra: JSONObject(readMembers: fields.extra),
            wire: WireBody(format: .openAIChat, objectText: text))
    }

    /// Reads the members of `text`, a JSON object.
    private static func walk(_ text: [UInt8], _ read: (inout JSONCursor, JSONCursor.Key) throws(JSONParseError) -> Void)
        throws(BifrostError)
    {
        let isObject: Bool
        do {
            isObject = try JSONCursor.walkObject(text, read)
        } catch {
            throw Self.malformed("not valid JSON: \(error)")
        }
        guard isObject else { throw Self.malformed("expected a JSON object") }
    }

    /// The typed view of an answer read with its view left in the wire, when first asked for.
    private static func typedView(of wire: WireBody, provider: String) -> ChatResponse {
        (try? ChatResponse(openAIJSON: wire.bytes ?? [], provider: provider)) ?? ChatResponse(provider: provider, model: "")
    }

    /// What is read of an answer whose typed view is left in the wire: its model, `created`, and whether
    /// `choices` has the shape the typed view reads (the checks of ``ResponseFields``).
    private struct ResponseScan {
        var model = ""
        var created = 0
        var choicesProblem: String? = "'choices' must be an array"

        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "model": model = try cursor.value().stringValue ?? ""
            case "created": created = try cursor.value().intValue ?? 0
            case "choices":
                try ChatResponse.readChoices(&cursor, problem: &choicesProblem) { cursor throws(JSONParseError) in
                    var messageIsObject = false
                    let isObject = try cursor.members { cursor, key throws(JSONParseError) in
                        if key == "message" {
                            messageIsObject = try cursor.members { cursor, _ throws(JSONParseError) in try cursor.skip() }
                        } else {
                            try cursor.skip()
                        }
                    }
                    return isObject && messageIsObject
                }
            default: try cursor.skip()
            }
        }
    }

    /// Reads the elements of `choices` with `read`, which says whether an element and its
    /// message were objects; `problem` is the shape the typed view cannot read, if any: every
    /// reader of an answer checks the same shape.
    fileprivate static func readChoices(
        _ cursor: inout JSONCursor, problem: inout String?,
        _ read: (inout JSONCursor) throws(JSONParseError) -> Bool
    ) throws(JSONParseError) {
        guard cursor.isArray() else {
            problem = "'choices' must be an array"
            return
        }
        problem = nil
        try cursor.elements { cursor, position throws(JSONParseError) in
            guard problem == nil else { return }
            if try !read(&cursor) { problem = "choices[\(position)].message must be an object" }
        }
    }

    /// The typed fields of one `chat.completion`, read member by member from its text, and
    /// the other members, in order. A repeated member counts as its last occurrence, as it
    /// does in a parsed object.
    private struct ResponseFields {
        var id = ""
        var created = 0
        var model = ""
        var usage: JSONObject = [:]
        var choices: [ChatChoice] = []
        var extra: [JSONObject.Member] = []
        /// What is wrong with `choices`; a response without them is malformed.
        var choicesProblem: String? = "'choices' must be an array"

        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "id": id = try cursor.value().stringValue ?? ""
            case "object": try cursor.skip()
            case "created": created = try cursor.value().intValue ?? 0
            case "model": model = try cursor.value().stringValue ?? ""
            case "usage": usage = try cursor.value().objectValue ?? [:]
            case "choices":
                choices = []
                try ChatResponse.readChoices(&cursor, problem: &choicesProblem) { cursor throws(JSONParseError) in
                    var choice = ChoiceFields()
                    let isObject = try cursor.members { cursor, key throws(JSONParseError) in
                        try choice.read(key, &cursor)
                    }
                    guard isObject, choice.messageIsObject else { return false }
                    choices.append(
                        ChatChoice(
                            role: choice.role, content: choice.content, finishReason: choice.finishReason,
                            extra: JSONObject(readMembers: choice.messageExtra),
                            choiceExtra: JSONObject(readMembers: choice.choiceExtra)))
                    return true
                }
            default: extra.append(JSONObject.Member(key: key.string, value: try cursor.value()))
            }
        }
    }

    /// One choice: `finish_reason` and the message's `role` and text `content` go to the
    /// typed fields; the message's other members (a `content` that is null or parts among
    /// them) to `messageExtra`, the choice's other members but `index` to `choiceExtra`.
    private struct ChoiceFields {
        var role = "assistant"
        var content = ""
        var finishReason: String?
        var messageIsObject = false
        var messageExtra: [JSONObject.Member] = []
        var choiceExtra: [JSONObject.Member] = []

        mutating func read(_ key: JSONCursor.Key, _ cursor: inout JSONCursor) throws(JSONParseError) {
            switch key {
            case "index": try cursor.skip()
            case "finish_reason": finishReason = try cursor.value().stringValue
            case "message":
                (role, content, messageExtra) = ("assistant", "", [])
                messageIsObject = try cursor.members { cursor, key throws(JSONParseError) in
                    switch (key, try cursor.value()) {
                    case ("role", let value): role = value.stringValue ?? "assistant"
                    case ("content", .string(let text)):
                        content = text
                        messageExtra.removeAll { $0.key == "content" }
                    case ("content", let value):
                        content = ""
                        messageExtra.append(JSONObject.Member(key: key.string, value: value))
                    case (_, let value): messageExtra.append(JSONObject.Member(key: key.string, value: value))
                    }
                }
            default: choiceExtra.append(JSONObject.Member(key: key.string, value: try cursor.value()))
            }
        }
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
