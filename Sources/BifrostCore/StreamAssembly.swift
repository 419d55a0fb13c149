/// Builds the complete response a stream amounted to, for PostHooks, logging and caching,
/// as the official SDKs' accumulators do: content, refusals and reasoning joined, tool calls
/// gathered by index with their arguments joined, `logprobs` joined, the last usage.
///
/// When the decoder assembled the answer in its own format (``ChatChunk/assembledWire``),
/// that becomes the response's ``ChatResponse/wire``.
///
/// ```swift
/// var assembly = StreamAssembly()
/// for try await chunk in stream { assembly.add(chunk) }
/// let response = assembly.response
/// ```
public struct StreamAssembly: Sendable {
    private struct ToolCallAssembly: Sendable {
        var id = ""
        var name = ""
        var arguments = ""
    }

    private struct ChoiceAssembly: Sendable {
        var role = "assistant"
        var content = ""
        var sawContent = false
        var refusal: String?
        var reasoning: String?
        var finishReason: String?
        var toolCalls: [Int: ToolCallAssembly] = [:]
        var logprobs: [JSONValue]?
        var otherDelta: JSONObject = [:]
        var otherChoice: JSONObject = [:]

        mutating func add(_ delta: ChunkChoice) {
            if let role = delta.role { self.role = role }
            if let text = delta.content {
                content += text
                if !text.isEmpty { sawContent = true }
            }
            if let reason = delta.finishReason { finishReason = reason }
            for member in delta.extra {
                switch member.key {
                case "tool_calls":
                    for piece in delta.toolCallDeltas {
                        var call = toolCalls[piece.index] ?? ToolCallAssembly()
                        if let id = piece.id { call.id = id }
                        if let name = piece.name { call.name += name }
                        call.arguments += piece.arguments
                        toolCalls[piece.index] = call
                    }
                case "refusal":
                    if let text = member.value.stringValue { refusal = (refusal ?? "") + text }
                case "reasoning_content":
                    if let text = member.value.stringValue { reasoning = (reasoning ?? "") + text }
                default:
                    if case .null = member.value { continue }
                    otherDelta[member.key] = member.value
                }
            }
            for member in delta.choiceExtra {
                if member.key == "logprobs", case .object(let logprobs) = member.value,
                    case .array(let tokens)? = logprobs["content"]
                {
                    self.logprobs = (self.logprobs ?? []) + tokens
                } else if case .null = member.value {
                    continue
                } else {
                    otherChoice[member.key] = member.value
                }
            }
        }

        var choice: ChatChoice {
            var extra: JSONObject = [:]
            if !sawContent && (!toolCalls.isEmpty || refusal != nil) { extra["content"] = .null }
            if let refusal { extra["refusal"] = .string(refusal) }
            if let reasoning { extra["reasoning_content"] = .string(reasoning) }
            if !toolCalls.isEmpty {
                extra["tool_calls"] = .array(
                    toolCalls.keys.sorted().map { index in
                        let call = toolCalls[index]!
                        return ToolCall(id: call.id, name: call.name, arguments: call.arguments).openAIObject
                    })
            }
            extra.merge(otherDelta)
            var choiceExtra = otherChoice
            if let logprobs { choiceExtra["logprobs"] = ["content": .array(logprobs)] }
            return ChatChoice(
                role: role, content: content, finishReason: finishReason, extra: extra, choiceExtra: choiceExtra)
        }
    }

    private var id = ""
    private var created = 0
    private var provider = ""
    private var model = ""
    private var extra: JSONObject = [:]
    /// By choice index, in the order they first came; a stream has one or a few, so a list
    /// searched from its end costs less per chunk than a dictionary's hashing.
    private var choices: [(index: Int, assembly: ChoiceAssembly)] = []
    private var usage: TokenUsage?
    private var wire: WireBody?
    /// How many chunks were added.
    public private(set) var chunkCount = 0

    /// An empty assembly.
    public init() {}

    /// Adds one chunk.
    public mutating func add(_ chunk: ChatChunk) {
        chunkCount += 1
        if id.isEmpty { id = chunk.id }
        if created == 0 { created = chunk.created }
        if !chunk.provider.isEmpty { provider = chunk.provider }
        if !chunk.model.isEmpty { model = chunk.model }
        for member in chunk.extra {
            if case .null = member.value { continue }
            extra[member.key] = member.value
        }
        for delta in chunk.choices {
            if let position = choices.lastIndex(where: { $0.index == delta.index }) {
                choices[position].assembly.add(delta)
            } else {
                var assembly = ChoiceAssembly()
                assembly.add(delta)
                choices.append((delta.index, assembly))
            }
        }
        if let chunkUsage = chunk.usage { usage = chunkUsage }
        if let assembled = chunk.assembledWire { wire = assembled }
    }

    /// Whether a provider reported usage.
    public var hasUsage: Bool { usage != nil }

    /// The part of the answer received before the client left a stream of `request`, with
    /// its usage completed from the text where the upstream's did not arrive
    /// (``TokenUsage/cutShort(reported:request:partial:)``).
    public func cutShortResponse(for request: ChatRequest) -> (response: ChatResponse, usageEstimated: Bool) {
        var partial = response
        let (counted, estimated) = TokenUsage.cutShort(reported: usage, request: request, partial: partial)
        partial.usage = counted
        return (partial, estimated)
    }

    /// The assembled response; usage is zero unless a chunk carried it.
    public var response: ChatResponse {
        ChatResponse(
            id: id, created: created, provider: provider, model: model,
            choices: choices.sorted { $0.index < $1.index }.map(\.assembly.choice),
            usage: usage ?? TokenUsage(), extra: extra,
            wire: wire)
    }
}

extension ChatResponse {
    /// The response as the chunks a provider would have streamed: per choice its role and
    /// content, reasoning, refusal and tool calls, then its finish reason; usage on the last.
    public func replayChunks() -> [ChatChunk] {
        var chunks: [ChatChunk] = []
        for (index, choice) in choices.enumerated() {
            var delta = JSONObject()
            for member in choice.extra where member.key != "content" {
                if member.key == "tool_calls" {
                    delta["tool_calls"] = .array(
                        choice.toolCalls.enumerated().map { position, call in
                            ToolCallDelta(index: position, id: call.id, name: call.name, arguments: call.arguments)
                                .openAIObject
                        })
                } else {
                    delta[member.key] = member.value
                }
            }
            let text: String? = choice.extra["content"] == .null ? nil : choice.content
            chunks.append(
                ChatChunk(
                    id: id, created: created, provider: provider, model: model,
                    choices: [
                        ChunkChoice(
                            index: index, role: choice.role, content: text, extra: delta, choiceExtra: choice.choiceExtra)
                    ], extra: extra))
            chunks.append(
                ChatChunk(
                    id: id, created: created, provider: provider, model: model,
                    choices: [ChunkChoice(index: index, finishReason: choice.finishReason ?? "stop")], extra: extra))
        }
        if var last = chunks.popLast() {
            last.usage = usage
            chunks.append(last)
        }
        return chunks
    }
}
