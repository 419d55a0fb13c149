public import BifrostCore

extension ChatRequest {
    /// Reads an OpenAI chat completion request body, checking every field the gateway uses.
    ///
    /// Failures are 400 errors whose message names the field and what was expected.
    ///
    /// ```swift
    /// let request = try ChatRequest(openAIJSON: Array(#"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}]}"#.utf8))
    /// ```
    public init(openAIJSON bytes: some Collection<UInt8>, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        try self.init(openAIObject: JSONValue.parseRequestBody(bytes), headers: headers)
        if let wire { self.wire = WireBody(format: wire.format, object: wire.object, bytes: Array(bytes)) }
    }

    /// Reads an OpenAI chat completion request from a parsed JSON value.
    public init(openAIObject value: JSONValue, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        let original = try value.requestFields()
        var fields = original
        let qualifiedModel = try fields.takeModel(example: "mock/echo")
        let messageValues = try fields.takeMessages()
        var messages: [ChatMessage] = []
        messages.reserveCapacity(messageValues.count)
        for (index, messageValue) in messageValues.enumerated() {
            messages.append(try ChatMessage(openAIObject: messageValue, path: "messages[\(index)]"))
        }
        try Self.validateParameters(fields)
        let (provider, model) = Self.splitModel(qualifiedModel)
        self.init(
            provider: String(provider), model: String(model), messages: messages, parameters: fields, headers: headers,
            wire: WireBody(format: .openAIChat, object: original))
    }

    /// The request as OpenAI chat JSON, with `model` written as `provider/model`: the canonical
    /// form plugins and cache keys see.
    ///
    /// Canonical: object keys sorted at every level (after `model`, `messages`, and each
    /// message's `role` and `content`), no whitespace, so equal requests give equal bytes;
    /// `omitting` leaves those parameters out (a cache key without `user`).
    public func openAIJSON(omitting omitted: Set<String> = []) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        writeOpenAI(into: &writer, model: qualifiedModel, style: .canonical(omitting: omitted))
        return writer.bytes
    }

    /// The request as the body sent to an OpenAI-compatible upstream: the bare model, `stream`
    /// set (or removed), and `stream_options.include_usage` added when streaming, so a stream's
    /// last chunk has the usage.
    ///
    /// A client's OpenAI body that no plugin changed goes out as it came with only those
    /// fields changed. Otherwise it is written from the request, in its order, translating what
    /// another format sent: Anthropic's `thinking` becomes `reasoning_effort` (by budget), its
    /// blocks' `cache_control` is left out (OpenAI caches prompts by itself), and thinking
    /// blocks of earlier turns are left out (chat completions take no reasoning back).
    ///
    /// ```swift
    /// let body = try request.openAIUpstreamBody(stream: true)
    /// ```
    public func openAIUpstreamBody(stream: Bool) throws(BifrostError) -> [UInt8] {
        if let wire, wire.format == .openAIChat, let text = wire.bytes, let body = upstreamText(text, stream: stream) {
            return body
        }
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        if let wire, wire.format == .openAIChat {
            var body = wire.object
            body["model"] = .string(model)
            Self.setStreamFields(&body, stream: stream)
            writer.value(.object(body))
            return writer.bytes
        }
        var request = self
        if let thinking = request.parameters.removeValue(forKey: "thinking") {
            request.parameters["reasoning_effort"] = try Self.reasoningEffort(thinking, model: qualifiedModel)
        }
        Self.setStreamFields(&request.parameters, stream: stream)
        request.writeOpenAI(into: &writer, model: model, style: .upstream)
        return writer.bytes
    }

    /// How ``writeOpenAI(into:model:style:)`` writes.
    public enum OpenAIStyle: Sendable, Hashable {
        /// Keys sorted at every level, these parameters left out.
        case canonical(omitting: Set<String>)
        /// Members in their order; content parts cleaned of what only Anthropic reads.
        case upstream
    }

    /// Writes the request as OpenAI chat JSON with the given `model` field: the one writer of
    /// the format, for the canonical form and the upstream body alike.
    public func writeOpenAI(into writer: inout JSONWriter, model: String, style: OpenAIStyle) {
        let canonical: Bool
        var omitted: Set<String> = []
        switch style {
        case .canonical(let omitting): (canonical, omitted) = (true, omitting)
        case .upstream: canonical = false
        }
        func members(_ object: JSONObject) -> [JSONObject.Member] {
            canonical ? object.members.sorted { $0.key < $1.key } : object.members
        }
        func write(_ value: JSONValue) {
            if canonical { writer.canonicalValue(value) } else { writer.value(value) }
        }
        writer.beginObject()
        writer.key("model")
        writer.string(model)
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.key("role")
            writer.string(message.role)
            writer.key("content")
            switch message.extra["content"] {
            case .array(let parts)?: write(.array(canonical ? parts : Self.upstreamParts(parts)))
            case let content?: write(content)
            case nil where message.content.isEmpty && message.extra["tool_calls"] != nil: writer.null()
            case nil: writer.string(message.content)
            }
            for member in members(message.extra) where member.key != "content" {
                writer.key(member.key)
                write(member.value)
            }
            writer.endObject()
        }
        writer.endArray()
        for member in members(parameters) where !omitted.contains(member.key) {
            writer.key(member.key)
            write(member.value)
        }
        writer.endObject()
    }

    /// The client's text with the bare model and the stream fields of ``setStreamFields(_:stream:)``,
    /// every other byte as it came; `nil` when the client's `stream_options` must be merged
    /// (or the text cannot be edited), for the parsed object to be written instead.
    private func upstreamText(_ text: [UInt8], stream: Bool) -> [UInt8]? {
        guard !stream || parameters["stream_options"] == nil else { return nil }
        var model: [UInt8] = []
        JSONWriter.appendQuoted(self.model, to: &model)
        let changes: [(name: String, value: [UInt8]?)] =
            stream
            ? [("model", model), ("stream", Self.trueText), ("stream_options", Self.includeUsageText)]
            : [("model", model), ("stream", nil), ("stream_options", nil)]
        return JSONCursor.settingMembers(changes, in: text)
    }

    private static let trueText = Array("true".utf8)
    private static let includeUsageText = Array(#"{"include_usage":true}"#.utf8)

    /// `stream`, and `stream_options.include_usage` so a stream's last chunk has the usage.
    private static func setStreamFields(_ body: inout JSONObject, stream: Bool) {
        if stream {
            var options = body["stream_options"]?.objectValue ?? [:]
            options["include_usage"] = true
            body["stream"] = true
            body["stream_options"] = .object(options)
        } else {
            body["stream"] = nil
            body["stream_options"] = nil
        }
    }

    /// Content parts for an OpenAI upstream: Anthropic's thinking blocks left out, `cache_control` removed.
    private static func upstreamParts(_ parts: [JSONValue]) -> [JSONValue] {
        parts.compactMap { part in
            guard case .object(var fields) = part else { return part }
            switch fields["type"]?.stringValue {
            case "thinking", "redacted_thinking": return nil
            default:
                fields["cache_control"] = nil
                return .object(fields)
            }
        }
    }

    /// OpenAI's `reasoning_effort` for Anthropic's `thinking`: by budget, up to 1,024 tokens
    /// `low`, up to 8,192 `medium`, beyond `high`; `{"type":"disabled"}` and `null` ask for none.
    private static func reasoningEffort(_ thinking: JSONValue, model: String) throws(BifrostError) -> JSONValue? {
        switch thinking.objectField("type")?.stringValue {
        case nil where thinking == .null, "disabled"?:
            return nil
        case "enabled"?:
            guard let budget = thinking.objectField("budget_tokens")?.intValue else {
                throw .invalidRequest("'thinking.budget_tokens' must be an integer", param: "thinking.budget_tokens")
            }
            return budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high"
        default:
            throw .invalidRequest(
                "'thinking' of this type has no counterpart in OpenAI's chat completions (model \(model))", param: "thinking",
                code: "unsupported_parameter")
        }
    }

    /// Checks the parameters whose meaning the gateway knows; others pass through.
    static func validateParameters(_ parameters: JSONObject) throws(BifrostError) {
        for member in parameters {
            let (name, value) = (member.key, member.value)
            if case .null = value { continue }
            switch name {
            case "temperature":
                try expectNumber(value, name: name, in: 0...2)
            case "top_p":
                try expectNumber(value, name: name, in: 0...1)
            case "presence_penalty", "frequency_penalty":
                try expectNumber(value, name: name, in: -2...2)
            case "max_tokens", "max_completion_tokens", "n":
                guard let count = value.intValue, count >= 1 else {
                    throw .invalidRequest("'\(name)' must be an integer of at least 1, got \(value.kindDescription)", param: name)
                }
            case "seed":
                guard value.intValue != nil else {
                    throw .invalidRequest("'seed' must be an integer, got \(value.kindDescription)", param: name)
                }
            case "user":
                guard value.stringValue != nil else {
                    throw .invalidRequest("'user' must be a string, got \(value.kindDescription)", param: name)
                }
            case "stream":
                guard value.boolValue != nil else {
                    throw .invalidRequest("'stream' must be a boolean, got \(value.kindDescription)", param: name)
                }
            case "stop":
                switch value {
                case .string: break
                case .array(let elements) where elements.count <= 4 && elements.allSatisfy({ $0.stringValue != nil }): break
                default:
                    throw .invalidRequest(
                        "'stop' must be a string or an array of up to 4 strings, got \(value.kindDescription)", param: name)
                }
            default:
                break
            }
        }
    }

    private static func expectNumber(_ value: JSONValue, name: String, in range: ClosedRange<Double>) throws(BifrostError) {
        guard let number = value.doubleValue else {
            throw .invalidRequest("'\(name)' must be a number, got \(value.kindDescription)", param: name)
        }
        guard range.contains(number) else {
            throw .invalidRequest(
                "'\(name)' must be between \(range.lowerBound) and \(range.upperBound), got \(number)", param: name)
        }
    }
}

extension ChatMessage {
    /// The roles a message may have.
    public static let knownRoles: Set<String> = ["system", "developer", "user", "assistant", "tool", "function"]

    /// Reads one OpenAI message; `path` names it in errors, e.g. `messages[2]`.
    init(openAIObject value: JSONValue, path: String) throws(BifrostError) {
        guard case .object(var fields) = value else {
            throw .invalidRequest("\(path) must be an object, got \(value.kindDescription)", param: path)
        }
        guard case .string(let role)? = fields.removeValue(forKey: "role") else {
            throw .invalidRequest("\(path).role is required and must be a string", param: "\(path).role")
        }
        guard Self.knownRoles.contains(role) else {
            throw .invalidRequest(
                "\(path).role must be one of system, developer, user, assistant, tool; got '\(role)'", param: "\(path).role")
        }
        let content: String
        switch fields.removeValue(forKey: "content") {
        case .string(let text)?:
            content = text
        case .null?:
            content = ""
            fields["content"] = .null
        case nil:
            content = ""
        case .array(let parts)?:
            var text = ""
            for (index, part) in parts.enumerated() {
                guard case .object(let partFields) = part, case .string(let type)? = partFields["type"] else {
                    throw .invalidRequest(
                        "\(path).content[\(index)] must be an object with a string 'type'", param: "\(path).content")
                }
                if type == "text" {
                    guard case .string(let partText)? = partFields["text"] else {
                        throw .invalidRequest("\(path).content[\(index)].text must be a string", param: "\(path).content")
                    }
                    text += partText
                }
            }
            content = text
            fields["content"] = .array(parts)
        case let other?:
            throw .invalidRequest(
                "\(path).content must be a string or an array of content parts, got \(other.kindDescription)",
                param: "\(path).content")
        }
        self.init(role: role, content: content, extra: fields)
    }
}
