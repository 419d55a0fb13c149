/// A chat completion answer, from a provider or from a plugin that answered itself.
///
/// The typed fields are OpenAI-shaped; ``extra`` keeps the answer's other top-level fields
/// (`system_fingerprint`, `service_tier`, …) and ``wire`` the answer as the provider sent it.
///
/// ```swift
/// let response = ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "Hello")])
/// ```
public struct ChatResponse: Sendable, Hashable {
    /// The completion id, e.g. `chatcmpl-…`.
    public var id: String { didSet { typedViewChanged = true } }
    /// Creation time, seconds since the Unix epoch.
    public var created: Int { didSet { typedViewChanged = true } }
    /// The provider that served the answer.
    public var provider: String
    /// The model that served the answer, as the provider named it.
    public var model: String { didSet { typedViewChanged = true } }
    /// The choices, in index order.
    public var choices: [ChatChoice] { didSet { typedViewChanged = true } }
    /// Token counts.
    public var usage: TokenUsage { didSet { typedViewChanged = true } }
    /// The answer's other top-level fields, in their order (OpenAI names).
    public var extra: JSONObject { didSet { typedViewChanged = true } }
    /// Extra HTTP headers for the client (`x-bifrost-cache`, rate-limit headers, …).
    public var headers: HeaderFields
    /// The answer as the provider sent it.
    public var wire: WireBody?
    /// Whether a typed field changed since the answer was read: a writer of ``wire``'s format
    /// then writes ``wire`` with the typed fields applied, instead of ``wire`` as it is.
    public private(set) var typedViewChanged = false

    /// Creates a response.
    public init(
        id: String = "",
        created: Int = 0,
        provider: String,
        model: String,
        choices: [ChatChoice] = [],
        usage: TokenUsage = TokenUsage(),
        extra: JSONObject = [:],
        headers: HeaderFields = HeaderFields(),
        wire: WireBody? = nil
    ) {
        self.id = id
        self.created = created
        self.provider = provider
        self.model = model
        self.choices = choices
        self.usage = usage
        self.extra = extra
        self.headers = headers
        self.wire = wire
    }
}

/// One choice of a chat answer: an assistant message and why generation stopped.
public struct ChatChoice: Sendable, Hashable {
    /// The message role, normally `assistant`.
    public var role: String
    /// The text of the answer.
    ///
    /// Content that is not a plain string (`null` beside tool calls, parts) is kept as it came
    /// in `extra["content"]`; setting this text replaces it.
    public var content: String { didSet { extra["content"] = nil } }
    /// `stop`, `length`, `tool_calls`, `content_filter`, or `nil` when unknown.
    public var finishReason: String?
    /// Other fields of the message (`tool_calls`, `refusal`, `reasoning_content`, `annotations`, …), in order.
    public var extra: JSONObject
    /// Other fields of the choice itself (`logprobs`, …), in order.
    public var choiceExtra: JSONObject

    /// Creates a choice.
    public init(
        role: String = "assistant", content: String, finishReason: String? = "stop", extra: JSONObject = [:],
        choiceExtra: JSONObject = [:]
    ) {
        self.role = role
        self.content = content
        self.finishReason = finishReason
        self.extra = extra
        self.choiceExtra = choiceExtra
    }

    /// The tool calls the message makes (OpenAI's `tool_calls`).
    public var toolCalls: [ToolCall] { ToolCall.list(extra["tool_calls"]) }

    /// The model's reasoning text (`reasoning_content`; Anthropic's thinking), if any.
    public var reasoning: String? { extra["reasoning_content"]?.stringValue }

    /// The model's refusal text, if it refused.
    public var refusal: String? { extra["refusal"]?.stringValue }
}

/// One tool call of an assistant message, in OpenAI's terms (`{"id","type":"function","function":{"name","arguments"}}`).
public struct ToolCall: Sendable, Hashable {
    /// The call's id, which the tool result names.
    public var id: String
    /// The function called.
    public var name: String
    /// The arguments, a JSON text.
    public var arguments: String

    /// Creates a tool call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The call as OpenAI's `tool_calls` element.
    public var openAIObject: JSONValue {
        ["id": .string(id), "type": "function", "function": ["name": .string(name), "arguments": .string(arguments)]]
    }

    /// The calls of an OpenAI `tool_calls` array (elements that are not calls are skipped).
    public static func list(_ value: JSONValue?) -> [ToolCall] {
        guard case .array(let elements)? = value else { return [] }
        return elements.compactMap { element -> ToolCall? in
            guard case .object(let call) = element else { return nil }
            let function = call["function"]
            return ToolCall(
                id: call["id"]?.stringValue ?? "", name: function?.objectField("name")?.stringValue ?? "",
                arguments: function?.objectField("arguments")?.stringValue ?? "")
        }
    }
}

/// Token counts of one answer.
public struct TokenUsage: Sendable, Hashable {
    /// Tokens in the prompt, cached ones included.
    public var promptTokens: Int
    /// Tokens generated, reasoning included.
    public var completionTokens: Int
    /// Their sum, as the provider reported it.
    public var totalTokens: Int
    /// Prompt tokens read from the provider's prompt cache (OpenAI `cached_tokens`, Anthropic `cache_read_input_tokens`).
    public var cachedPromptTokens: Int?
    /// Prompt tokens written to the prompt cache (Anthropic `cache_creation_input_tokens`).
    public var cacheCreationPromptTokens: Int?
    /// Generated tokens spent reasoning (OpenAI `reasoning_tokens`).
    public var reasoningTokens: Int?

    /// Creates usage counts; `totalTokens` defaults to the sum.
    public init(
        promptTokens: Int = 0, completionTokens: Int = 0, totalTokens: Int? = nil, cachedPromptTokens: Int? = nil,
        cacheCreationPromptTokens: Int? = nil, reasoningTokens: Int? = nil
    ) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? (promptTokens + completionTokens)
        self.cachedPromptTokens = cachedPromptTokens
        self.cacheCreationPromptTokens = cacheCreationPromptTokens
        self.reasoningTokens = reasoningTokens
    }
}
