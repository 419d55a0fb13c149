public import BifrostCore

extension ChatRequest {
    /// Reads an OpenAI Responses API request body (`POST /v1/responses`), checking every field
    /// the gateway uses, into the core's chat-shaped view; ``wire`` keeps the body as it came.
    ///
    /// The typed view, for plugins and for providers of other formats:
    /// - `instructions` becomes a leading `system` message; `input` as a string one `user`
    ///   message; `input` items in order: `message` items (with or without `type`) become
    ///   messages whose `input_text`/`output_text` parts are joined into the content and whose
    ///   `input_image` parts become chat `image_url` parts; `function_call` items become
    ///   `tool_calls` of an assistant message (consecutive ones, and the assistant message
    ///   before them, form one message); `function_call_output` items become `tool` messages;
    ///   `reasoning` items are kept as they came in the next assistant message's
    ///   `extra["reasoning_items"]` (chat completions and Anthropic take no reasoning back); other
    ///   items are kept as they came in a message's `extra[ChatMessage.responsesItemKey]`;
    /// - function `tools` and `tool_choice` take chat's shape; `text.format` becomes
    ///   `response_format` (`text.verbosity` `verbosity`); `reasoning.effort` becomes
    ///   `reasoning_effort`; `max_output_tokens` becomes `max_completion_tokens`; every other
    ///   field (`metadata`, `store`, `previous_response_id`, `conversation`, …) keeps its name.
    ///
    /// Failures are 400 errors whose message and `param` name the field.
    ///
    /// ```swift
    /// let request = try ChatRequest(responsesJSON: Array(#"{"model":"mock/echo","input":"Hi"}"#.utf8))
    /// ```
    public init(responsesJSON bytes: some Collection<UInt8>, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        try self.init(responsesObject: JSONValue.parseRequestBody(bytes), headers: headers)
    }

    /// Reads a Responses API request from a parsed JSON value; see ``init(responsesJSON:headers:)``.
    public init(responsesObject value: JSONValue, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        let original = try value.requestFields()
        var fields = original
        let qualifiedModel = try fields.takeModel(example: "openai/gpt-4o-mini")
        guard let input = fields.removeValue(forKey: "input") else {
            throw .invalidRequest("missing required field 'input' (a string or an array of items)", param: "input")
        }
        var messages: [ChatMessage] = []
        switch fields.removeValue(forKey: "instructions") {
        case .string(let text)?: messages.append(ChatMessage(role: "system", content: text))
        case .null?, nil: break
        case let other?:
            throw .invalidRequest("'instructions' must be a string, got \(other.kindDescription)", param: "instructions")
        }
        switch input {
        case .string(let text):
            messages.append(ChatMessage(role: "user", content: text))
        case .array(let items) where !items.isEmpty:
            var reader = ResponsesInputReader()
            for (index, item) in items.enumerated() { try reader.add(item, path: "input[\(index)]") }
            messages.append(contentsOf: reader.finish())
        default:
            throw .invalidRequest(
                "'input' must be a string or a non-empty array of items, got \(input.kindDescription)", param: "input")
        }
        var parameters: JSONObject = [:]
        for member in fields {
            let (name, value) = (member.key, member.value)
            switch name {
            case "tools":
                parameters[name] = try Self.chatTools(fromResponses: value)
            case "tool_choice":
                parameters[name] = try Self.chatToolChoice(fromResponses: value)
            case "text":
                guard case .object(let text) = value else {
                    if case .null = value { continue }
                    throw .invalidRequest("'text' must be an object, got \(value.kindDescription)", param: "text")
                }
                if let format = try Self.chatResponseFormat(fromResponses: text["format"]) {
                    parameters["response_format"] = format
                }
                if let verbosity = text["verbosity"], verbosity != .null { parameters["verbosity"] = verbosity }
            case "reasoning":
                guard case .object(let reasoning) = value else {
                    if case .null = value { continue }
                    throw .invalidRequest("'reasoning' must be an object, got \(value.kindDescription)", param: "reasoning")
                }
                switch reasoning["effort"] {
                case .string?: parameters["reasoning_effort"] = reasoning["effort"]
                case .null?, nil: break
                case let other?:
                    throw .invalidRequest(
                        "'reasoning.effort' must be a string, got \(other.kindDescription)", param: "reasoning.effort")
                }
            case "max_output_tokens":
                if case .null = value { continue }
                guard let count = value.intValue, count >= 1 else {
                    throw .invalidRequest(
                        "'max_output_tokens' must be an integer of at least 1, got \(value.kindDescription)", param: name)
                }
                parameters["max_completion_tokens"] = value
            case "metadata":
                switch value {
                case .object, .null: parameters[name] = value
                default: throw .invalidRequest("'metadata' must be an object, got \(value.kindDescription)", param: name)
                }
            case "store":
                switch value {
                case .bool, .null: parameters[name] = value
                default: throw .invalidRequest("'store' must be a boolean, got \(value.kindDescription)", param: name)
                }
            default:
                parameters[name] = value
            }
        }
        try Self.validateParameters(parameters)
        let (provider, model) = Self.splitModel(qualifiedModel)
        self.init(
            provider: String(provider), model: String(model), messages: messages, parameters: parameters, headers: headers,
            wire: WireBody(format: .openAIResponses, object: original))
    }

    /// The request as the body sent to an OpenAI-compatible upstream's `POST /responses`: the
    /// bare model, and `stream` set when streaming.
    ///
    /// A client's Responses body that no plugin changed goes out as it came with only those
    /// fields changed. Otherwise it is written from the typed view (``responsesObject(model:)``).
    ///
    /// ```swift
    /// let body = try request.responsesUpstreamBody(stream: true)
    /// ```
    public func responsesUpstreamBody(stream: Bool) -> [UInt8] {
        var body: JSONObject
        if let wire, wire.format == .openAIResponses {
            body = wire.object
            body["model"] = .string(model)
        } else {
            body = responsesObject(model: model)
        }
        if stream {
            body["stream"] = true
        } else if body["stream"]?.boolValue == true {
            body["stream"] = nil
        }
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 48 })
        writer.value(.object(body))
        return writer.bytes
    }

    /// The request as a Responses API body written from the typed view, the inverse of
    /// ``init(responsesObject:headers:)``: leading `system` messages become `instructions`,
    /// the rest `input` items, and chat-named parameters their Responses names.
    public func responsesObject(model: String) -> JSONObject {
        var body: JSONObject = ["model": .string(model)]
        var instructions: [String] = []
        var items: [JSONValue] = []
        for (position, message) in messages.enumerated() {
            if message.role == "system" && items.isEmpty && position == instructions.count {
                instructions.append(message.content)
                continue
            }
            items.append(contentsOf: ResponsesWire.inputItems(of: message))
        }
        if !instructions.isEmpty { body["instructions"] = .string(instructions.joined(separator: "\n\n")) }
        body["input"] = .array(items)
        var text: JSONObject = [:]
        for member in parameters {
            let (name, value) = (member.key, member.value)
            switch name {
            case "tools": body[name] = Self.responsesTools(fromChat: value)
            case "tool_choice": body[name] = Self.responsesToolChoice(fromChat: value)
            case "response_format": text["format"] = Self.responsesTextFormat(fromChat: value)
            case "verbosity": text["verbosity"] = value
            case "reasoning_effort": body["reasoning"] = ["effort": value]
            case "max_completion_tokens", "max_tokens": body["max_output_tokens"] = value
            case "stream_options", "stop", "n", "seed": continue
            default: body[name] = value
            }
        }
        if !text.isEmpty { body["text"] = .object(text) }
        return body
    }

    /// The request's settings a `response` object echoes (`instructions`, `tools`, `tool_choice`,
    /// `text`, `reasoning`, `metadata`, `max_output_tokens`, `temperature`, …), from the
    /// client's body, or written from the typed view when a plugin changed it.
    public var responsesEcho: JSONObject {
        let body = wire.flatMap { $0.format == .openAIResponses ? $0.object : nil } ?? responsesObject(model: model)
        var echo: JSONObject = [:]
        for name in Self.echoedFields {
            if let value = body[name] { echo[name] = value }
        }
        return echo
    }

    /// The request fields a `response` object repeats.
    static let echoedFields = [
        "instructions", "max_output_tokens", "metadata", "parallel_tool_calls", "previous_response_id", "reasoning",
        "store", "temperature", "text", "tool_choice", "tools", "top_p", "truncation", "user",
    ]

    // MARK: Responses → chat

    private static func chatTools(fromResponses value: JSONValue) throws(BifrostError) -> JSONValue {
        guard case .array(let tools) = value else {
            if case .null = value { return value }
            throw .invalidRequest("'tools' must be an array, got \(value.kindDescription)", param: "tools")
        }
        var converted: [JSONValue] = []
        for (index, tool) in tools.enumerated() {
            guard case .object(var fields) = tool, case .string(let type)? = fields["type"] else {
                throw .invalidRequest("tools[\(index)] must be an object with a string 'type'", param: "tools[\(index)]")
            }
            // Built-in tools (web search, file search, …) have no chat shape: kept as they came.
            guard type == "function" else {
                converted.append(tool)
                continue
            }
            guard case .string? = fields["name"] else {
                throw .invalidRequest("tools[\(index)].name must be a string", param: "tools[\(index)].name")
            }
            fields.removeValue(forKey: "type")
            converted.append(["type": "function", "function": .object(fields)])
        }
        return .array(converted)
    }

    private static func chatToolChoice(fromResponses value: JSONValue) throws(BifrostError) -> JSONValue {
        switch value {
        case .string, .null: return value
        case .object(let fields) where fields["type"]?.stringValue == "function":
            guard let name = fields["name"] else {
                throw .invalidRequest("'tool_choice.name' must be a string", param: "tool_choice.name")
            }
            return ["type": "function", "function": ["name": name]]
        case .object: return value
        default:
            throw .invalidRequest(
                "'tool_choice' must be a string or an object, got \(value.kindDescription)", param: "tool_choice")
        }
    }

    private static func chatResponseFormat(fromResponses format: JSONValue?) throws(BifrostError) -> JSONValue? {
        guard case .object(var fields)? = format else {
            if format == nil || format == .null { return nil }
            throw .invalidRequest("'text.format' must be an object", param: "text.format")
        }
        switch fields["type"]?.stringValue {
        case "text": return nil
        case "json_object": return ["type": "json_object"]
        case "json_schema":
            guard case .string? = fields["name"], fields["schema"] != nil else {
                throw .invalidRequest(
                    "'text.format' of type json_schema needs a string 'name' and a 'schema'", param: "text.format")
            }
            fields.removeValue(forKey: "type")
            return ["type": "json_schema", "json_schema": .object(fields)]
        default:
            throw .invalidRequest("'text.format.type' must be text, json_object or json_schema", param: "text.format.type")
        }
    }

    // MARK: chat → Responses

    private static func responsesTools(fromChat value: JSONValue) -> JSONValue {
        guard case .array(let tools) = value else { return value }
        return .array(
            tools.map { tool in
                guard case .object(let function)? = tool.objectField("function") else { return tool }
                var converted: JSONObject = ["type": "function"]
                converted.merge(function)
                return .object(converted)
            })
    }

    private static func responsesToolChoice(fromChat value: JSONValue) -> JSONValue {
        guard let name = value.objectField("function")?.objectField("name") else { return value }
        return ["type": "function", "name": name]
    }

    private static func responsesTextFormat(fromChat value: JSONValue) -> JSONValue {
        guard case .object(let schema)? = value.objectField("json_schema") else { return value }
        var format: JSONObject = ["type": "json_schema"]
        format.merge(schema)
        return .object(format)
    }
}

/// Reads `input` items into chat messages, joining what chat keeps in one assistant message.
struct ResponsesInputReader {
    private var messages: [ChatMessage] = []
    /// An assistant message still open for the function calls and reasoning that follow it.
    private var assistant: ChatMessage?

    mutating func add(_ item: JSONValue, path: String) throws(BifrostError) {
        guard case .object(let fields) = item else {
            throw .invalidRequest("\(path) must be an object, got \(item.kindDescription)", param: path)
        }
        let type = fields["type"]?.stringValue ?? (fields["role"] != nil ? "message" : "")
        switch type {
        case "message":
            let message = try Self.message(fields, path: path)
            if message.role == "assistant" {
                if assistant?.extra["tool_calls"] != nil || !(assistant?.content.isEmpty ?? true) { closeAssistant() }
                var open = assistant ?? ChatMessage(role: "assistant", content: "")
                open.content += message.content
                if let parts = message.extra["content"] { open.extra["content"] = parts }
                assistant = open
            } else {
                closeAssistant()
                messages.append(message)
            }
        case "function_call":
            guard case .string(let callID)? = fields["call_id"], case .string(let name)? = fields["name"] else {
                throw .invalidRequest("\(path) (function_call) needs string 'call_id' and 'name'", param: path)
            }
            guard case .string(let arguments)? = fields["arguments"] else {
                throw .invalidRequest("\(path).arguments must be a string", param: "\(path).arguments")
            }
            var open = assistant ?? ChatMessage(role: "assistant", content: "")
            let call = ToolCall(id: callID, name: name, arguments: arguments).openAIObject
            open.extra["tool_calls"] = .array((open.extra["tool_calls"]?.arrayValue ?? []) + [call])
            assistant = open
        case "function_call_output":
            guard case .string(let callID)? = fields["call_id"] else {
                throw .invalidRequest("\(path).call_id is required and must be a string", param: "\(path).call_id")
            }
            let output: String
            switch fields["output"] {
            case .string(let text)?: output = text
            case .array(let parts)?: output = parts.compactMap { $0.objectField("text")?.stringValue }.joined()
            default:
                throw .invalidRequest("\(path).output must be a string or an array of parts", param: "\(path).output")
            }
            closeAssistant()
            messages.append(ChatMessage(role: "tool", content: output, extra: ["tool_call_id": .string(callID)]))
        case "reasoning":
            if assistant?.extra["tool_calls"] != nil || !(assistant?.content.isEmpty ?? true) { closeAssistant() }
            var open = assistant ?? ChatMessage(role: "assistant", content: "")
            open.extra["reasoning_items"] = .array((open.extra["reasoning_items"]?.arrayValue ?? []) + [item])
            assistant = open
        default:
            // Another item (an item reference, a built-in tool's call or output): kept as it came,
            // for an OpenAI upstream; providers of other formats refuse it (`serverStateRefusal`).
            closeAssistant()
            messages.append(ChatMessage(role: "user", content: "", extra: [ChatMessage.responsesItemKey: item]))
        }
    }

    mutating func finish() -> [ChatMessage] {
        closeAssistant()
        return messages
    }

    private mutating func closeAssistant() {
        if let open = assistant { messages.append(open) }
        assistant = nil
    }

    private static let roles: Set<String> = ["user", "assistant", "system", "developer"]

    /// One `message` item: `role`, and `content` as a string or parts.
    private static func message(_ fields: JSONObject, path: String) throws(BifrostError) -> ChatMessage {
        guard case .string(let role)? = fields["role"], roles.contains(role) else {
            throw .invalidRequest(
                "\(path).role must be one of user, assistant, system, developer", param: "\(path).role")
        }
        switch fields["content"] {
        case .string(let text)?:
            return ChatMessage(role: role, content: text)
        case .array(let parts)?:
            var text = ""
            var chatParts: [JSONValue] = []
            var needsParts = false
            for (index, part) in parts.enumerated() {
                let partPath = "\(path).content[\(index)]"
                guard case .object(let partFields) = part, case .string(let type)? = partFields["type"] else {
                    throw .invalidRequest("\(partPath) must be an object with a string 'type'", param: partPath)
                }
                switch type {
                case "input_text", "output_text":
                    guard case .string(let partText)? = partFields["text"] else {
                        throw .invalidRequest("\(partPath).text must be a string", param: "\(partPath).text")
                    }
                    text += partText
                    chatParts.append(["type": "text", "text": .string(partText)])
                case "refusal":
                    chatParts.append(["type": "text", "text": partFields["refusal"] ?? ""])
                case "input_image":
                    guard let url = partFields["image_url"]?.stringValue else {
                        throw .invalidRequest(
                            "\(partPath).image_url must be a string (file_id images need an OpenAI upstream's own files)",
                            param: "\(partPath).image_url")
                    }
                    var image: JSONObject = ["url": .string(url)]
                    if let detail = partFields["detail"] { image["detail"] = detail }
                    chatParts.append(["type": "image_url", "image_url": .object(image)])
                    needsParts = true
                default:
                    // `input_file`, `input_audio`, …: kept as they came.
                    chatParts.append(part)
                    needsParts = true
                }
            }
            return ChatMessage(role: role, content: text, extra: needsParts ? ["content": .array(chatParts)] : [:])
        default:
            throw .invalidRequest("\(path).content must be a string or an array of parts", param: "\(path).content")
        }
    }
}
