public import BifrostCore

extension ChatResponse {
    /// Reads a Responses API `response` object; `provider` is not part of the format.
    ///
    /// The typed view: `message` items' `output_text` parts joined into the content and their
    /// `refusal` parts into `extra["refusal"]`; `function_call` items as `tool_calls` (their
    /// `call_id` the call's id); `reasoning` items' summaries (and `reasoning_text` content)
    /// joined into `extra["reasoning_content"]`; the finish reason from `status` and the calls;
    /// usage with cached and reasoning tokens. The whole object is kept in ``wire``. Failures
    /// are errors with status 502: the text came from an upstream, not the client.
    ///
    /// ```swift
    /// let response = try ChatResponse(responsesJSON: body, provider: "openai")
    /// ```
    public init(responsesJSON bytes: some Collection<UInt8>, provider: String) throws(BifrostError) {
        let value: JSONValue
        do { value = try JSONValue.parse(bytes) } catch {
            throw ResponsesWire.malformed("not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw ResponsesWire.malformed("expected a JSON object") }
        try self.init(responsesObject: fields, provider: provider)
    }

    /// Reads a parsed Responses API `response` object; see ``init(responsesJSON:provider:)``.
    public init(responsesObject fields: JSONObject, provider: String) throws(BifrostError) {
        guard case .array(let output)? = fields["output"] else { throw ResponsesWire.malformed("'output' must be an array") }
        var text: String?
        var refusal: String?
        var reasoning: String?
        var calls: [JSONValue] = []
        for item in output {
            switch item.objectField("type")?.stringValue {
            case "message":
                for part in item.objectField("content")?.arrayValue ?? [] {
                    switch part.objectField("type")?.stringValue {
                    case "output_text": text = (text ?? "") + (part.objectField("text")?.stringValue ?? "")
                    case "refusal": refusal = (refusal ?? "") + (part.objectField("refusal")?.stringValue ?? "")
                    default: break
                    }
                }
            case "function_call":
                calls.append(
                    ToolCall(
                        id: item.objectField("call_id")?.stringValue ?? "", name: item.objectField("name")?.stringValue ?? "",
                        arguments: item.objectField("arguments")?.stringValue ?? ""
                    ).openAIObject)
            case "reasoning":
                let pieces = (item.objectField("summary")?.arrayValue ?? []) + (item.objectField("content")?.arrayValue ?? [])
                for piece in pieces {
                    if let piece = piece.objectField("text")?.stringValue { reasoning = (reasoning ?? "") + piece }
                }
            default:
                break  // built-in tools' calls and items yet unknown: in `wire` only
            }
        }
        var extra: JSONObject = [:]
        if text == nil && (!calls.isEmpty || refusal != nil) { extra["content"] = .null }
        if let refusal { extra["refusal"] = .string(refusal) }
        if let reasoning { extra["reasoning_content"] = .string(reasoning) }
        if !calls.isEmpty { extra["tool_calls"] = .array(calls) }
        let choice = ChatChoice(
            content: text ?? "", finishReason: ResponsesWire.finishReason(of: fields, hasToolCalls: !calls.isEmpty),
            extra: extra)
        self.init(
            id: fields["id"]?.stringValue ?? "", created: fields["created_at"]?.intValue ?? 0, provider: provider,
            model: fields["model"]?.stringValue ?? "", choices: [choice],
            usage: TokenUsage(responsesObject: fields["usage"]?.objectValue ?? [:]),
            wire: WireBody(format: .openAIResponses, object: fields))
    }

    /// The response as a Responses API `response` object, for `POST /v1/responses`.
    ///
    /// An answer read from a Responses API upstream that nothing changed goes out as it came;
    /// otherwise ``responsesObject(echoing:)`` writes it, with the request's settings echoed.
    ///
    /// ```swift
    /// let body = response.responsesJSON(echoing: request.responsesEcho)
    /// ```
    public func responsesJSON(echoing echo: JSONObject = [:]) -> [UInt8] {
        var writer = JSONWriter(capacity: 512 + choices.reduce(0) { $0 + $1.content.utf8.count + 256 })
        if let wire, wire.format == .openAIResponses, !typedViewChanged {
            writer.value(.object(wire.object))
        } else {
            writer.value(.object(responsesObject(echoing: echo)))
        }
        return writer.bytes
    }

    /// The response written from its typed fields as a Responses API `response` object (choice
    /// 0's reasoning, message and function calls as output items, usage with its details),
    /// over the upstream's own object when it came from one (its other fields kept), else with
    /// the request's settings in `echo` (``ChatRequest/responsesEcho``), as the API echoes them.
    public func responsesObject(echoing echo: JSONObject = [:]) -> JSONObject {
        let responseID = ResponsesWire.responseID(id)
        let choice = choices.first ?? ChatChoice(content: "")
        let (status, incomplete) = ResponsesWire.status(forFinishReason: choice.finishReason)
        var object: JSONObject
        if let wire, wire.format == .openAIResponses {
            object = wire.object
        } else {
            object = [
                "id": "", "object": "response", "created_at": 0, "status": "", "error": nil, "incomplete_details": nil,
                "instructions": nil, "metadata": [:], "model": "", "output": [], "parallel_tool_calls": true,
                "temperature": nil, "tool_choice": "auto", "tools": [], "top_p": nil,
            ]
            object.merge(echo)
        }
        object["id"] = .string(responseID)
        object["created_at"] = .number(JSONNumber(created))
        object["status"] = .string(status)
        object["incomplete_details"] = incomplete
        object["model"] = .string(model)
        object["output"] = .array(ResponsesWire.outputItems(of: choice, responseID: responseID))
        object["usage"] = usage.responsesObject
        return object
    }
}
