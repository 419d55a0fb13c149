public import BifrostCore

/// Turns core ``ChatChunk``s into the Responses API's streamed events, for `POST /v1/responses`:
/// `event: TYPE\ndata: JSON\n\n` each, every event with its `sequence_number`, in order.
///
/// A chunk read from a Responses API stream is sent as its own event, as it came (with a
/// plugin's change to its text or arguments delta applied), its `sequence_number` the upstream's.
/// Other chunks are translated in the API's order: `response.created` and
/// `response.in_progress` first; then an output item per kind of content as it arrives, each
/// opened with `response.output_item.added` and closed with its `….done` events before the
/// next opens: `reasoning` (`response.reasoning_summary_part.added`,
/// `response.reasoning_summary_text.delta`s), `message` (`response.content_part.added`,
/// `response.output_text.delta`s or `response.refusal.delta`s), one `function_call` per tool
/// call (`response.function_call_arguments.delta`s); and from ``finish(into:)``
/// `response.completed` (or `response.incomplete` after `length`) with the whole answer and its
/// usage. Only choice 0 is encoded. A failure is one `error` event.
///
/// ```swift
/// var encoder = ResponsesStreamEncoder()
/// var bytes: [UInt8] = []
/// encoder.encode(chunk, into: &bytes)
/// encoder.finish(into: &bytes)
/// ```
public struct ResponsesStreamEncoder: Sendable {
    private enum Part: Equatable {
        case text
        case refusal
    }

    private struct OpenItem: Sendable {
        var kind: Kind
        var outputIndex: Int
        var id: String
        var text = ""
        var refusal: String?
        var parts: [JSONValue] = []
        var part: Part?
        var call = ToolCall(id: "", name: "", arguments: "")
        var toolIndex = -1

        enum Kind: Sendable {
            case reasoning
            case message
            case functionCall
        }
    }

    private var sequence = 0
    private var started = false
    private var finished = false
    private var responseID = ""
    private var model = ""
    private var created = 0
    private var open: OpenItem?
    private var items: [JSONValue] = []
    private var finishReason: String?
    private var usage: TokenUsage?

    /// The request's settings the translated `response` objects echo (``ChatRequest/responsesEcho``).
    public let echo: JSONObject

    /// Creates an encoder for one stream whose translated `response` objects echo `echo`.
    ///
    /// ```swift
    /// var encoder = ResponsesStreamEncoder(echoing: request.responsesEcho)
    /// ```
    public init(echoing echo: JSONObject = [:]) {
        self.echo = echo
    }

    /// Appends the events of one chunk (or nothing, when it carries nothing for the Responses API).
    public mutating func encode(_ chunk: ChatChunk, into buffer: inout [UInt8]) {
        guard !finished else { return }
        if let wire = chunk.wire, wire.format == .openAIResponses {
            passThrough(chunk, wire.object, into: &buffer)
            return
        }
        if !started { start(chunk, into: &buffer) }
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        for choice in chunk.choices where choice.index == 0 {
            if let reasoning = choice.reasoning, !reasoning.isEmpty { reasoningDelta(reasoning, into: &buffer) }
            if let text = choice.content, !text.isEmpty { messageDelta(text, part: .text, into: &buffer) }
            if let refusal = choice.extra["refusal"]?.stringValue, !refusal.isEmpty {
                messageDelta(refusal, part: .refusal, into: &buffer)
            }
            for piece in choice.toolCallDeltas { toolDelta(piece, into: &buffer) }
            if let reason = choice.finishReason { finishReason = reason }
        }
    }

    /// Appends the events that end a stream that completed: the open item's `….done` events and
    /// `response.completed` (`response.incomplete`); nothing after the upstream's own last event.
    public mutating func finish(into buffer: inout [UInt8]) {
        guard !finished else { return }
        finished = true
        if !started { start(ChatChunk(id: "", provider: "", model: ""), into: &buffer) }
        close(into: &buffer)
        let (status, incomplete) = ResponsesWire.status(forFinishReason: finishReason)
        var response = responseObject(status: status)
        response["incomplete_details"] = incomplete
        response["usage"] = (usage ?? TokenUsage()).responsesObject
        emit(status == "completed" ? "response.completed" : "response.incomplete", ["response": .object(response)], into: &buffer)
    }

    /// Appends the `error` event of a stream that failed after its first chunk: the upstream's
    /// own `error` or `response.failed` event when it sent one, else the gateway's.
    public mutating func fail(_ error: BifrostError, into buffer: inout [UInt8]) {
        guard !finished else { return }
        finished = true
        if let wire = error.wire, wire.format == .openAIResponses {
            write(wire.object, into: &buffer)
            return
        }
        emit(
            "error",
            [
                "code": .string(error.code ?? error.type), "message": .string(error.message),
                "param": error.param.map { .string($0) } ?? .null,
            ], into: &buffer)
    }

    // MARK: pass-through

    private mutating func passThrough(_ chunk: ChatChunk, _ event: JSONObject, into buffer: inout [UInt8]) {
        var event = event
        started = true
        if let number = event["sequence_number"]?.intValue { sequence = number + 1 }
        switch event["type"]?.stringValue {
        case "response.completed", "response.incomplete": finished = true
        default: break
        }
        if chunk.typedViewChanged {
            let choice = chunk.choices.first
            switch event["type"]?.stringValue {
            case "response.output_text.delta": event["delta"] = .string(choice?.content ?? "")
            case "response.refusal.delta": event["delta"] = .string(choice?.extra["refusal"]?.stringValue ?? "")
            case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
                event["delta"] = .string(choice?.reasoning ?? "")
            case "response.function_call_arguments.delta":
                event["delta"] = .string(choice?.toolCallDeltas.first?.arguments ?? "")
            default: break
            }
        }
        write(event, into: &buffer)
    }

    // MARK: translation

    private mutating func start(_ chunk: ChatChunk, into buffer: inout [UInt8]) {
        started = true
        responseID = ResponsesWire.responseID(chunk.id)
        model = chunk.model
        created = chunk.created
        let response = responseObject(status: "in_progress")
        emit("response.created", ["response": .object(response)], into: &buffer)
        emit("response.in_progress", ["response": .object(response)], into: &buffer)
    }

    private func responseObject(status: String) -> JSONObject {
        var object: JSONObject = [
            "id": .string(responseID), "object": "response", "created_at": .number(JSONNumber(created)),
            "status": .string(status), "error": nil, "incomplete_details": nil, "instructions": nil, "metadata": [:],
            "model": .string(model), "output": .array(status == "in_progress" ? [] : items), "parallel_tool_calls": true,
            "temperature": nil, "tool_choice": "auto", "tools": [], "top_p": nil, "usage": nil,
        ]
        object.merge(echo)
        return object
    }

    private mutating func reasoningDelta(_ text: String, into buffer: inout [UInt8]) {
        if open?.kind != .reasoning {
            let item = openItem(.reasoning, prefix: "rs", into: &buffer)
            emit(
                "response.reasoning_summary_part.added",
                [
                    "item_id": .string(item.id), "output_index": .number(JSONNumber(item.outputIndex)), "summary_index": 0,
                    "part": ["type": "summary_text", "text": ""],
                ], into: &buffer)
        }
        open?.text += text
        emit(
            "response.reasoning_summary_text.delta",
            [
                "item_id": .string(open?.id ?? ""), "output_index": .number(JSONNumber(open?.outputIndex ?? 0)),
                "summary_index": 0, "delta": .string(text),
            ], into: &buffer)
    }

    private mutating func messageDelta(_ text: String, part: Part, into buffer: inout [UInt8]) {
        if open?.kind != .message { _ = openItem(.message, prefix: "msg", into: &buffer) }
        if open?.part != part {
            closePart(into: &buffer)
            open?.part = part
            let empty: JSONValue =
                part == .text ? ["type": "output_text", "text": "", "annotations": []] : ["type": "refusal", "refusal": ""]
            emit("response.content_part.added", partFields(["part": empty]), into: &buffer)
        }
        if part == .text {
            open?.text += text
        } else {
            let sofar = open?.refusal ?? ""
            open?.refusal = sofar + text
        }
        var fields = partFields(["delta": .string(text)])
        if part == .text { fields["logprobs"] = [] }
        emit(part == .text ? "response.output_text.delta" : "response.refusal.delta", fields, into: &buffer)
    }

    private mutating func toolDelta(_ piece: ToolCallDelta, into buffer: inout [UInt8]) {
        if open?.kind != .functionCall || open?.toolIndex != piece.index {
            close(into: &buffer)
            let call = ToolCall(id: piece.id ?? "", name: piece.name ?? "", arguments: "")
            let outputIndex = items.count
            let item = OpenItem(
                kind: .functionCall, outputIndex: outputIndex,
                id: ResponsesWire.itemID("fc", responseID: responseID, index: outputIndex), call: call, toolIndex: piece.index)
            open = item
            let added = ResponsesWire.functionCallItem(id: item.id, call: call, status: "in_progress")
            emit(
                "response.output_item.added", ["output_index": .number(JSONNumber(outputIndex)), "item": .object(added)],
                into: &buffer)
        }
        guard !piece.arguments.isEmpty else { return }
        open?.call.arguments += piece.arguments
        emit(
            "response.function_call_arguments.delta",
            [
                "item_id": .string(open?.id ?? ""), "output_index": .number(JSONNumber(open?.outputIndex ?? 0)),
                "delta": .string(piece.arguments),
            ], into: &buffer)
    }

    private mutating func openItem(_ kind: OpenItem.Kind, prefix: String, into buffer: inout [UInt8]) -> OpenItem {
        close(into: &buffer)
        let outputIndex = items.count
        let item = OpenItem(
            kind: kind, outputIndex: outputIndex, id: ResponsesWire.itemID(prefix, responseID: responseID, index: outputIndex))
        open = item
        let added: JSONObject =
            kind == .reasoning
            ? ResponsesWire.reasoningItem(id: item.id, text: nil)
            : ["type": "message", "id": .string(item.id), "status": "in_progress", "role": "assistant", "content": []]
        emit(
            "response.output_item.added", ["output_index": .number(JSONNumber(outputIndex)), "item": .object(added)],
            into: &buffer)
        return item
    }

    /// `item_id`, `output_index` and `content_index` of the open message's current part, then `more`.
    private func partFields(_ more: JSONObject) -> JSONObject {
        var fields: JSONObject = [
            "item_id": .string(open?.id ?? ""), "output_index": .number(JSONNumber(open?.outputIndex ?? 0)),
            "content_index": .number(JSONNumber(open?.parts.count ?? 0)),
        ]
        fields.merge(more)
        return fields
    }

    private mutating func closePart(into buffer: inout [UInt8]) {
        guard let item = open, let part = item.part else { return }
        let done: JSONValue
        if part == .text {
            emit("response.output_text.done", partFields(["text": .string(item.text), "logprobs": []]), into: &buffer)
            done = ["type": "output_text", "text": .string(item.text), "annotations": []]
        } else {
            emit("response.refusal.done", partFields(["refusal": .string(item.refusal ?? "")]), into: &buffer)
            done = ["type": "refusal", "refusal": .string(item.refusal ?? "")]
        }
        emit("response.content_part.done", partFields(["part": done]), into: &buffer)
        open?.parts.append(done)
        open?.part = nil
    }

    private mutating func close(into buffer: inout [UInt8]) {
        closePart(into: &buffer)
        guard let item = open else { return }
        open = nil
        let index: JSONValue = .number(JSONNumber(item.outputIndex))
        let done: JSONObject
        switch item.kind {
        case .reasoning:
            let part: JSONValue = ["type": "summary_text", "text": .string(item.text)]
            emit(
                "response.reasoning_summary_text.done",
                ["item_id": .string(item.id), "output_index": index, "summary_index": 0, "text": .string(item.text)],
                into: &buffer)
            emit(
                "response.reasoning_summary_part.done",
                ["item_id": .string(item.id), "output_index": index, "summary_index": 0, "part": part], into: &buffer)
            done = ResponsesWire.reasoningItem(id: item.id, text: item.text)
        case .message:
            done = [
                "type": "message", "id": .string(item.id), "status": "completed", "role": "assistant",
                "content": .array(item.parts),
            ]
        case .functionCall:
            emit(
                "response.function_call_arguments.done",
                ["item_id": .string(item.id), "output_index": index, "arguments": .string(item.call.arguments)],
                into: &buffer)
            done = ResponsesWire.functionCallItem(id: item.id, call: item.call)
        }
        items.append(.object(done))
        emit("response.output_item.done", ["output_index": index, "item": .object(done)], into: &buffer)
    }

    /// One event of `type` with `fields` and the next sequence number.
    private mutating func emit(_ type: String, _ fields: JSONObject, into buffer: inout [UInt8]) {
        var event: JSONObject = ["type": .string(type)]
        event.merge(fields)
        event["sequence_number"] = .number(JSONNumber(sequence))
        sequence += 1
        write(event, into: &buffer)
    }

    /// `event: TYPE\ndata: JSON\n\n`.
    private func write(_ event: JSONObject, into buffer: inout [UInt8]) {
        var writer = JSONWriter(capacity: 256)
        writer.value(.object(event))
        buffer.append(contentsOf: "event: ".utf8)
        buffer.append(contentsOf: (event["type"]?.stringValue ?? "message").utf8)
        buffer.append(contentsOf: "\ndata: ".utf8)
        buffer.append(contentsOf: writer.bytes)
        buffer.append(contentsOf: "\n\n".utf8)
    }
}
