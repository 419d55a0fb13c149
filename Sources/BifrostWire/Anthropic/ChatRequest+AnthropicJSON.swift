public import BifrostCore

extension ChatRequest {
    /// Reads an Anthropic Messages request body (`POST /v1/messages`), checking every field the gateway uses.
    ///
    /// The translation into the core's OpenAI-shaped request:
    /// - `model` is split like ``splitModel(_:)``: `anthropic/claude-…` or a bare model (empty provider);
    /// - `system` (a string or text blocks) becomes a leading `system` message;
    /// - text blocks are joined into ``ChatMessage/content``; `image` blocks become OpenAI `image_url` parts
    ///   kept in `extra["content"]`; `tool_use` blocks become `tool_calls`; `tool_result` blocks become
    ///   `tool` messages (with `tool_call_id`) placed before the rest of their user message;
    ///   `thinking` blocks are dropped;
    /// - `max_tokens` (required, as Anthropic requires it), `temperature`, `top_p`, `top_k`, `stream` keep
    ///   their names, `stop_sequences` becomes `stop`, `metadata.user_id` becomes `user`, `tools` and
    ///   `tool_choice` are translated to OpenAI's shape; every other field passes through in
    ///   ``parameters`` under its own name.
    ///
    /// Failures are 400 errors (`invalid_request_error`) whose message and `param` name the field.
    ///
    /// ```swift
    /// let request = try ChatRequest(anthropicJSON: Array(#"""
    ///     {"model":"anthropic/claude-3-5-haiku-latest","max_tokens":256,"system":"Be brief.",
    ///      "messages":[{"role":"user","content":"Hi"}]}
    ///     """#.utf8))
    /// // request.provider == "anthropic", request.messages[0].role == "system"
    /// ```
    public init(anthropicJSON bytes: some Collection<UInt8>, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        try self.init(anthropicObject: JSONValue.parseRequestBody(bytes), headers: headers)
    }

    /// Reads an Anthropic Messages request from a parsed JSON value; see ``init(anthropicJSON:headers:)``.
    ///
    /// ```swift
    /// let request = try ChatRequest(anthropicObject: ["model": "claude-x", "max_tokens": 16,
    ///                                                 "messages": [["role": "user", "content": "Hi"]]])
    /// ```
    public init(anthropicObject value: JSONValue, headers: HeaderFields = HeaderFields()) throws(BifrostError) {
        let original = try value.requestFields()
        var fields = original
        let qualifiedModel = try fields.takeModel(example: "anthropic/claude-3-5-haiku-latest")
        let messageValues = try fields.takeMessages()
        var messages: [ChatMessage] = []
        if let systemValue = fields.removeValue(forKey: "system") {
            let system = try Self.anthropicSystemText(systemValue)
            if !system.isEmpty { messages.append(ChatMessage(role: "system", content: system)) }
        }
        for (index, messageValue) in messageValues.enumerated() {
            messages.append(contentsOf: try Self.anthropicMessages(messageValue, path: "messages[\(index)]"))
        }
        var parameters: JSONObject = [:]
        guard let maxTokens = fields.removeValue(forKey: "max_tokens") else {
            throw .invalidRequest("missing required field 'max_tokens'", param: "max_tokens")
        }
        guard let count = maxTokens.intValue, count >= 1 else {
            throw .invalidRequest(
                "'max_tokens' must be an integer of at least 1, got \(Self.describe(maxTokens))", param: "max_tokens")
        }
        parameters["max_tokens"] = maxTokens
        for member in fields {
            let (name, value) = (member.key, member.value)
            if case .null = value { continue }
            switch name {
            case "temperature", "top_p":
                guard let number = value.doubleValue, (0...1).contains(number) else {
                    throw .invalidRequest("'\(name)' must be a number between 0 and 1, got \(Self.describe(value))", param: name)
                }
                parameters[name] = value
            case "top_k":
                guard let topK = value.intValue, topK >= 0 else {
                    throw .invalidRequest("'top_k' must be a non-negative integer, got \(Self.describe(value))", param: name)
                }
                parameters[name] = value
            case "stream":
                guard value.boolValue != nil else {
                    throw .invalidRequest("'stream' must be a boolean, got \(value.kindDescription)", param: name)
                }
                parameters[name] = value
            case "stop_sequences":
                guard case .array(let elements) = value, elements.allSatisfy({ $0.stringValue != nil }) else {
                    throw .invalidRequest(
                        "'stop_sequences' must be an array of strings, got \(value.kindDescription)", param: name)
                }
                if !elements.isEmpty { parameters["stop"] = value }
            case "metadata":
                guard case .object(let metadata) = value else {
                    throw .invalidRequest("'metadata' must be an object, got \(value.kindDescription)", param: name)
                }
                switch metadata["user_id"] {
                case .string(let user)?: parameters["user"] = .string(user)
                case .null?, nil: break
                case let other?:
                    throw .invalidRequest(
                        "'metadata.user_id' must be a string, got \(other.kindDescription)", param: "metadata.user_id")
                }
            case "tools":
                parameters[name] = try Self.openAITools(fromAnthropic: value)
            case "tool_choice":
                parameters[name] = try Self.openAIToolChoice(fromAnthropic: value)
            default:
                parameters[name] = value
            }
        }
        let (provider, model) = Self.splitModel(qualifiedModel)
        self.init(
            provider: String(provider), model: String(model), messages: messages, parameters: parameters, headers: headers,
            wire: WireBody(format: .anthropicMessages, object: original))
    }

    /// The request as an Anthropic Messages request body, for an upstream Anthropic API.
    ///
    /// `system` and `developer` messages become the top-level `system`; `tool` messages become
    /// `tool_result` blocks of a user message; assistant `tool_calls` become `tool_use` blocks;
    /// OpenAI `image_url` parts become `image` blocks; consecutive messages of the same role are
    /// merged (Anthropic requires alternation) and empty messages dropped; `max_tokens` (or
    /// `max_completion_tokens`) defaults to 4096 since Anthropic requires it; `stop` becomes
    /// `stop_sequences`, `user` becomes `metadata.user_id`, `temperature` is capped at 1, `tools` and
    /// `tool_choice` are translated; OpenAI-only fields (`n`, `seed`, penalties, `response_format`,
    /// `stream_options`, …) are dropped and other fields pass through. `model` defaults to ``model``
    /// (without the provider prefix); `stream`, when given, overrides the request's.
    ///
    /// ```swift
    /// let body = request.anthropicJSON(stream: true)
    /// ```
    public func anthropicJSON(model: String? = nil, stream: Bool? = nil) throws(BifrostError) -> [UInt8] {
        var writer = JSONWriter(capacity: 256 + messages.reduce(0) { $0 + $1.content.utf8.count + 48 })
        writer.value(try anthropicObject(model: model, stream: stream))
        return writer.bytes
    }

    /// The request as an Anthropic Messages request, as a JSON value; see ``anthropicJSON(model:stream:)``.
    ///
    /// ```swift
    /// let object = request.anthropicObject()
    /// object.objectField("system")?.stringValue  // the system prompt, if any
    /// ```
    public func anthropicObject(model: String? = nil, stream: Bool? = nil) throws(BifrostError) -> JSONValue {
        if let wire, wire.format == .anthropicMessages {
            var body = wire.object
            body["model"] = .string(model ?? self.model)
            if let stream, stream || body["stream"] != nil { body["stream"] = .bool(stream) }
            return .object(body)
        }
        if let refusal = serverStateRefusal(provider: provider) { throw refusal }
        var body: JSONObject = [:]
        body["model"] = .string(model ?? self.model)
        var disableParallelToolUse = false
        var systemParts: [String] = []
        var turns: [(role: String, blocks: [JSONValue])] = []
        for message in messages {
            let role: String
            var blocks: [JSONValue] = []
            switch message.role {
            case "system", "developer":
                if !message.content.isEmpty { systemParts.append(message.content) }
                continue
            case "assistant":
                role = "assistant"
                blocks = Self.anthropicBlocks(of: message)
                if case .array(let calls)? = message.extra["tool_calls"] {
                    for call in calls { blocks.append(Self.anthropicToolUse(fromOpenAI: call)) }
                }
            case "tool", "function":
                role = "user"
                var result: JSONObject = [
                    "type": "tool_result",
                    "tool_use_id": message.extra["tool_call_id"] ?? message.extra["name"] ?? "",
                ]
                if !message.content.isEmpty { result["content"] = .string(message.content) }
                blocks = [.object(result)]
            default:
                role = "user"
                blocks = Self.anthropicBlocks(of: message)
            }
            if blocks.isEmpty { continue }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].blocks.append(contentsOf: blocks)
            } else {
                turns.append((role, blocks))
            }
        }
        if !systemParts.isEmpty { body["system"] = .string(systemParts.joined(separator: "\n\n")) }
        body["messages"] = .array(
            turns.map { turn in
                let content: JSONValue
                if turn.blocks.count == 1, turn.blocks[0].objectField("type")?.stringValue == "text",
                    let text = turn.blocks[0].objectField("text")
                {
                    content = text
                } else {
                    content = .array(turn.blocks)
                }
                return ["role": .string(turn.role), "content": content]
            })
        var maxTokens: JSONValue = 4096
        for member in parameters {
            let (name, value) = (member.key, member.value)
            if case .null = value { continue }
            switch name {
            case "max_tokens", "max_completion_tokens":
                maxTokens = value
            case "stop":
                switch value {
                case .string(let stop): body["stop_sequences"] = [.string(stop)]
                case .array: body["stop_sequences"] = value
                default: break
                }
            case "temperature":
                if let number = value.doubleValue { body["temperature"] = number > 1 ? 1 : value }
            case "user":
                var metadata: JSONObject = [:]
                if case .object(let existing)? = body["metadata"] { metadata = existing }
                metadata["user_id"] = value
                body["metadata"] = .object(metadata)
            case "metadata":
                if case .object(var metadata) = value {
                    if case .object(let existing)? = body["metadata"] {
                        metadata.merge(existing)
                    }
                    body["metadata"] = .object(metadata)
                }
            case "tools":
                body["tools"] = Self.anthropicTools(fromOpenAI: value)
            case "tool_choice":
                if let choice = Self.anthropicToolChoice(fromOpenAI: value) { body["tool_choice"] = choice }
            case "parallel_tool_calls":
                if value.boolValue == false { disableParallelToolUse = true }
            case "reasoning_effort":
                guard let effort = value.stringValue, let budget = Self.thinkingBudgets[effort] else {
                    throw .invalidRequest(
                        "'reasoning_effort' must be one of minimal, low, medium, high; got \(value.kindDescription)",
                        param: name)
                }
                body["thinking"] = ["type": "enabled", "budget_tokens": .number(JSONNumber(budget))]
            default:
                if Self.gatewayOnlyParameters.contains(name) { continue }
                if Self.openAIOnlyParameters.contains(name) {
                    if Self.isDefault(name, value) { continue }
                    throw .invalidRequest(
                        "'\(name)' has no counterpart in Anthropic's Messages API (model \(qualifiedModel)); remove it",
                        param: name, code: "unsupported_parameter")
                }
                body[name] = value
            }
        }
        if disableParallelToolUse, case .object(var choice) = body["tool_choice"] ?? ["type": "auto"] {
            choice["disable_parallel_tool_use"] = true
            body["tool_choice"] = .object(choice)
        }
        body["max_tokens"] = maxTokens
        if let budget = body["thinking"]?.objectField("budget_tokens")?.intValue, let limit = maxTokens.intValue,
            limit <= budget
        {
            throw .invalidRequest(
                "'max_tokens' (\(limit)) must exceed the thinking budget of 'reasoning_effort' (\(budget) tokens) for Anthropic",
                param: "max_tokens")
        }
        if let stream { body["stream"] = .bool(stream) }
        return .object(body)
    }

    /// OpenAI request fields with no Anthropic counterpart: translating refuses them with a 400.
    static let openAIOnlyParameters: Set<String> = [
        "n", "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "top_logprobs", "seed",
        "response_format", "modalities", "audio", "prediction", "functions", "function_call",
        "web_search_options", "verbosity",
        // The Responses API's own (``init(responsesObject:headers:)`` keeps them by name).
        "include", "truncation", "background", "prompt", "prompt_cache_key", "safety_identifier", "max_tool_calls",
    ]

    /// Anthropic's thinking budget for each OpenAI `reasoning_effort`.
    static let thinkingBudgets: [String: Int] = ["minimal": 1024, "low": 1024, "medium": 2048, "high": 4096]

    /// Whether an OpenAI-only field has the value that means what Anthropic does anyway (one choice, no penalty, no
    /// logprobs, nothing more included, no truncation, not in the background).
    static func isDefault(_ name: String, _ value: JSONValue) -> Bool {
        switch name {
        case "n": value.intValue == 1
        case "presence_penalty", "frequency_penalty": value.doubleValue == 0
        case "logprobs": value.boolValue == false
        case "include": value.arrayValue?.isEmpty == true
        case "truncation": value.stringValue == "disabled"
        case "background": value.boolValue == false
        default: false
        }
    }

    /// OpenAI request fields about the exchange itself (how usage is streamed, whether OpenAI
    /// stores the answer), which the gateway handles and no upstream of another format needs.
    static let gatewayOnlyParameters: Set<String> = ["stream_options", "store"]

    // MARK: Anthropic → core

    private static func describe(_ value: JSONValue) -> String {
        if let number = value.doubleValue { return "\(number)" }
        return value.kindDescription
    }

    private static func anthropicSystemText(_ value: JSONValue) throws(BifrostError) -> String {
        switch value {
        case .null: return ""
        case .string(let text): return text
        case .array(let blocks):
            var parts: [String] = []
            for (index, block) in blocks.enumerated() {
                guard block.objectField("type")?.stringValue == "text", let text = block.objectField("text")?.stringValue else {
                    throw .invalidRequest("system[\(index)] must be a text block with a string 'text'", param: "system")
                }
                parts.append(text)
            }
            return parts.joined(separator: "\n\n")
        default:
            throw .invalidRequest(
                "'system' must be a string or an array of text blocks, got \(value.kindDescription)", param: "system")
        }
    }

    private static func anthropicMessages(_ value: JSONValue, path: String) throws(BifrostError) -> [ChatMessage] {
        guard case .object(let fields) = value else {
            throw .invalidRequest("\(path) must be an object, got \(value.kindDescription)", param: path)
        }
        guard case .string(let role)? = fields["role"] else {
            throw .invalidRequest("\(path).role is required and must be a string", param: "\(path).role")
        }
        guard role == "user" || role == "assistant" else {
            throw .invalidRequest("\(path).role must be 'user' or 'assistant', got '\(role)'", param: "\(path).role")
        }
        let blocks: [JSONValue]
        switch fields["content"] {
        case .string(let text)?:
            return [ChatMessage(role: role, content: text)]
        case .array(let array)?:
            blocks = array
        case nil:
            throw .invalidRequest("\(path).content is required", param: "\(path).content")
        case let other?:
            throw .invalidRequest(
                "\(path).content must be a string or an array of content blocks, got \(other.kindDescription)",
                param: "\(path).content")
        }
        var text = ""
        var parts: [JSONValue] = []
        var needsParts = false
        var toolCalls: [JSONValue] = []
        var toolMessages: [ChatMessage] = []
        for (index, block) in blocks.enumerated() {
            let blockPath = "\(path).content[\(index)]"
            guard case .object(let blockFields) = block, case .string(let type)? = blockFields["type"] else {
                throw .invalidRequest("\(blockPath) must be an object with a string 'type'", param: blockPath)
            }
            switch type {
            case "text":
                guard case .string(let blockText)? = blockFields["text"] else {
                    throw .invalidRequest("\(blockPath).text must be a string", param: "\(blockPath).text")
                }
                text += blockText
                parts.append(block)
                if blockFields.count > 2 { needsParts = true }
            case "image":
                parts.append(try openAIImagePart(fromAnthropic: blockFields, path: blockPath))
                needsParts = true
            case "tool_use":
                guard case .string(let id)? = blockFields["id"], case .string(let name)? = blockFields["name"] else {
                    throw .invalidRequest("\(blockPath) (tool_use) needs string 'id' and 'name'", param: blockPath)
                }
                toolCalls.append(
                    ToolCall(id: id, name: name, arguments: AnthropicWire.compactJSON(blockFields["input"] ?? [:])).openAIObject)
            case "tool_result":
                guard case .string(let id)? = blockFields["tool_use_id"] else {
                    throw .invalidRequest(
                        "\(blockPath).tool_use_id is required and must be a string", param: "\(blockPath).tool_use_id")
                }
                let resultText: String
                switch blockFields["content"] {
                case .string(let string)?: resultText = string
                case .array(let inner)?:
                    resultText = inner.compactMap { $0.objectField("text")?.stringValue }.joined(separator: "\n")
                case .null?, nil: resultText = ""
                case let other?:
                    throw .invalidRequest(
                        "\(blockPath).content must be a string or an array of blocks, got \(other.kindDescription)",
                        param: "\(blockPath).content")
                }
                toolMessages.append(ChatMessage(role: "tool", content: resultText, extra: ["tool_call_id": .string(id)]))
            case "thinking", "redacted_thinking":
                parts.append(block)
                needsParts = true
            default:
                parts.append(block)
                needsParts = true
            }
        }
        var extra: JSONObject = [:]
        if needsParts { extra["content"] = .array(parts) }
        if !toolCalls.isEmpty { extra["tool_calls"] = .array(toolCalls) }
        var result = toolMessages
        if !toolMessages.isEmpty && text.isEmpty && extra.isEmpty { return result }
        result.append(ChatMessage(role: role, content: text, extra: extra))
        return result
    }

    private static func openAIImagePart(fromAnthropic block: JSONObject, path: String) throws(BifrostError)
        -> JSONValue
    {
        guard case .object(let source)? = block["source"], let type = source["type"]?.stringValue else {
            throw .invalidRequest("\(path).source must be an object with a string 'type'", param: "\(path).source")
        }
        let url: String
        switch type {
        case "base64":
            guard let mediaType = source["media_type"]?.stringValue, let data = source["data"]?.stringValue else {
                throw .invalidRequest("\(path).source (base64) needs string 'media_type' and 'data'", param: "\(path).source")
            }
            url = "data:\(mediaType);base64,\(data)"
        case "url":
            guard let address = source["url"]?.stringValue else {
                throw .invalidRequest("\(path).source.url must be a string", param: "\(path).source.url")
            }
            url = address
        default:
            return .object(block)
        }
        return ["type": "image_url", "image_url": ["url": .string(url)]]
    }

    private static func openAITools(fromAnthropic value: JSONValue) throws(BifrostError) -> JSONValue {
        guard case .array(let tools) = value else {
            throw .invalidRequest("'tools' must be an array, got \(value.kindDescription)", param: "tools")
        }
        var converted: [JSONValue] = []
        for (index, tool) in tools.enumerated() {
            guard case .object(let fields) = tool else {
                throw .invalidRequest("tools[\(index)] must be an object", param: "tools[\(index)]")
            }
            guard let name = fields["name"]?.stringValue, let schema = fields["input_schema"] else {
                converted.append(tool)  // a server tool (web search, …): passed through as it is
                continue
            }
            var function: JSONObject = ["name": .string(name)]
            if let description = fields["description"] { function["description"] = description }
            function["parameters"] = schema
            converted.append(["type": "function", "function": .object(function)])
        }
        return .array(converted)
    }

    private static func openAIToolChoice(fromAnthropic value: JSONValue) throws(BifrostError) -> JSONValue {
        switch value.objectField("type")?.stringValue {
        case "auto": return "auto"
        case "any": return "required"
        case "none": return "none"
        case "tool":
            guard let name = value.objectField("name")?.stringValue else {
                throw .invalidRequest("'tool_choice.name' must be a string", param: "tool_choice.name")
            }
            return ["type": "function", "function": ["name": .string(name)]]
        default:
            throw .invalidRequest("'tool_choice' must be an object whose 'type' is auto, any, tool or none", param: "tool_choice")
        }
    }

    // MARK: core → Anthropic

    private static func anthropicBlocks(of message: ChatMessage) -> [JSONValue] {
        guard case .array(let parts)? = message.extra["content"] else {
            return message.content.isEmpty ? [] : [["type": "text", "text": .string(message.content)]]
        }
        var blocks: [JSONValue] = []
        for part in parts {
            switch part.objectField("type")?.stringValue {
            case "text":
                if let text = part.objectField("text")?.stringValue, !text.isEmpty { blocks.append(part) }
            case "image_url":
                guard let url = part.objectField("image_url")?.objectField("url")?.stringValue else { continue }
                blocks.append(anthropicImage(url: url))
            default:
                blocks.append(part)
            }
        }
        return blocks
    }

    private static func anthropicImage(url: String) -> JSONValue {
        if url.hasPrefix("data:"), let comma = url.firstIndex(of: ",") {
            let header = url[url.index(url.startIndex, offsetBy: 5)..<comma]
            if header.hasSuffix(";base64") {
                return [
                    "type": "image",
                    "source": [
                        "type": "base64", "media_type": .string(String(header.dropLast(7))),
                        "data": .string(String(url[url.index(after: comma)...])),
                    ],
                ]
            }
        }
        return ["type": "image", "source": ["type": "url", "url": .string(url)]]
    }

    private static func anthropicToolUse(fromOpenAI call: JSONValue) -> JSONValue {
        let function = call.objectField("function")
        var input: JSONValue = [:]
        if let arguments = function?.objectField("arguments")?.stringValue, let parsed = try? JSONValue.parse(arguments) {
            input = parsed
        }
        return [
            "type": "tool_use",
            "id": call.objectField("id") ?? "",
            "name": function?.objectField("name") ?? "",
            "input": input,
        ]
    }

    private static func anthropicTools(fromOpenAI value: JSONValue) -> JSONValue {
        guard case .array(let tools) = value else { return value }
        return .array(
            tools.map { tool in
                guard case .object(let function)? = tool.objectField("function") else { return tool }
                var converted: JSONObject = [
                    "name": function["name"] ?? "",
                    "input_schema": function["parameters"] ?? ["type": "object", "properties": [:]],
                ]
                if let description = function["description"] { converted["description"] = description }
                return .object(converted)
            })
    }

    private static func anthropicToolChoice(fromOpenAI value: JSONValue) -> JSONValue? {
        switch value {
        case .string("auto"): return ["type": "auto"]
        case .string("required"): return ["type": "any"]
        case .string("none"): return ["type": "none"]
        case .object:
            if let name = value.objectField("function")?.objectField("name") { return ["type": "tool", "name": name] }
            return value
        default: return nil
        }
    }
}
