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

    /// The request as OpenAI chat JSON, with `model` written as `provider/model`.
    ///
    /// The output is canonical: object keys sorted at every level (after `model`,
    /// `messages`, and each message's `role` and `content`), no whitespace, so equal requests
    /// give equal bytes; `omitting` leaves those parameters out (a cache key without `user`).
    public func openAIJSON(omitting omitted: Set<String> = []) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        writeOpenAI(into: &writer, model: qualifiedModel, omitting: omitted)
        return writer.bytes
    }

    /// Writes the request as OpenAI chat JSON with the given `model` field.
    public func writeOpenAI(into writer: inout JSONWriter, model: String, omitting omitted: Set<String> = []) {
        writer.beginObject()
        writer.key("model")
        writer.string(model)
        writer.key("messages")
        writer.beginArray()
        for message in messages {
            writer.beginObject()
            writer.key("role")
            writer.string(message.role)
            // Content sent as parts is kept in `extra` and written from there.
            if message.extra["content"] == nil {
                writer.key("content")
                writer.string(message.content)
            }
            for member in message.extra.members.sorted(by: { $0.key < $1.key }) {
                writer.key(member.key)
                writer.canonicalValue(member.value)
            }
            writer.endObject()
        }
        writer.endArray()
        for member in parameters.members.sorted(by: { $0.key < $1.key }) where omitted.isEmpty || !omitted.contains(member.key) {
            writer.key(member.key)
            writer.canonicalValue(member.value)
        }
        writer.endObject()
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

extension JSONValue {
    /// A member of an object value, or `nil`.
    public func objectField(_ name: String) -> JSONValue? {
        if case .object(let fields) = self { return fields[name] }
        return nil
    }
}
