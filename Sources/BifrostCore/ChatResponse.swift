/// A chat completion answer, from a provider or from a plugin that answered itself.
///
/// The typed fields are OpenAI-shaped; ``extra`` keeps the answer's other top-level fields
/// (`system_fingerprint`, `service_tier`, …) and ``wire`` the answer as the provider sent it.
/// A decoder may leave `id`, `choices`, `usage` and `extra` to be read from ``wire`` when
/// they are first asked for (``init(provider:model:created:wire:typedView:)``): an answer
/// that goes out as it came is not decoded.
///
/// ```swift
/// let response = ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "Hello")])
/// ```
public struct ChatResponse: Sendable, Hashable {
    private var storage: TypedViewStorage<ChatResponse>

    /// The completion id, e.g. `chatcmpl-…`.
    public var id: String {
        get { storage.typed?.id ?? storage.readView().typed!.id }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.id }
    }

    /// Creation time, seconds since the Unix epoch.
    public var created: Int {
        get { storage.fields.created }
        _modify { yield &TypedViewStorage.unique(&storage).changingFields.created }
    }

    /// The provider that served the answer.
    public var provider: String {
        get { storage.fields.provider }
        _modify { yield &TypedViewStorage.unique(&storage).fields.provider }
    }

    /// The model that served the answer, as the provider named it.
    public var model: String {
        get { storage.fields.model }
        _modify { yield &TypedViewStorage.unique(&storage).changingFields.model }
    }

    /// The choices, in index order.
    public var choices: [ChatChoice] {
        get { storage.typed?.choices ?? storage.readView().typed!.choices }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.choices }
    }

    /// Token counts.
    public var usage: TokenUsage {
        get { storage.typed?.usage ?? storage.readView().typed!.usage }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.usage }
    }

    /// The answer's other top-level fields, in their order (OpenAI names).
    public var extra: JSONObject {
        get { storage.typed?.extra ?? storage.readView().typed!.extra }
        _modify { yield &TypedViewStorage.unique(&storage).changingTypedView.extra }
    }

    /// Extra HTTP headers for the client (`x-bifrost-cache`, rate-limit headers, …).
    public var headers: HeaderFields {
        get { storage.fields.headers }
        _modify { yield &TypedViewStorage.unique(&storage).fields.headers }
    }

    /// The answer as the provider sent it.
    public var wire: WireBody? {
        get { storage.fields.wire }
        _modify { yield &TypedViewStorage.unique(&storage).fields.wire }
    }

    /// Whether a typed field changed since the answer was read: a writer of ``wire``'s format
    /// then writes ``wire`` with the typed fields applied, instead of ``wire`` as it is.
    public var typedViewChanged: Bool { storage.typedViewChanged }

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
        storage = TypedViewStorage(
            Fields(provider: provider, model: model, created: created, headers: headers, wire: wire),
            typed: TypedFields(id: id, choices: choices, usage: usage, extra: extra), reader: nil)
    }

    /// Creates a response whose `id`, `choices`, `usage` and `extra` are read from `wire`
    /// when one of them is first asked for.
    ///
    /// `typedView` is called at most once per answer that is read (by whichever thread asks
    /// first), with `wire` and `provider`; its answer's fields become this one's.
    ///
    /// ```swift
    /// let answer = ChatResponse(provider: "openai", model: "gpt-4o", created: 1, wire: wire) { wire, provider in
    ///     ChatResponse(id: "c", provider: provider, model: "gpt-4o", wire: wire)
    /// }
    /// ```
    public init(
        provider: String, model: String, created: Int, wire: WireBody,
        typedView: @escaping @Sendable (_ wire: WireBody, _ provider: String) -> ChatResponse
    ) {
        storage = TypedViewStorage(
            Fields(provider: provider, model: model, created: created, headers: HeaderFields(), wire: wire), typed: nil,
            reader: TypedViewReader(wire: wire, provider: provider, read: typedView))
    }

    public static func == (lhs: ChatResponse, rhs: ChatResponse) -> Bool { lhs.storage == rhs.storage }

    public func hash(into hasher: inout Hasher) { hasher.combine(storage) }
}

extension ChatResponse: TypedViewReading {
    /// The fields every answer has at hand.
    struct Fields: Hashable {
        var provider: String
        var model: String
        var created: Int
        var headers: HeaderFields
        var wire: WireBody?
    }

    /// The fields a decoder may leave in the wire.
    struct TypedFields: Hashable {
        var id: String
        var choices: [ChatChoice]
        var usage: TokenUsage
        var extra: JSONObject
    }

    /// How an answer's typed view is read from its wire.
    struct TypedViewReader: Sendable {
        let wire: WireBody
        let provider: String
        let read: @Sendable (WireBody, String) -> ChatResponse
    }

    static func readTypedView(_ reader: TypedViewReader) -> TypedViewStorage<ChatResponse> {
        reader.read(reader.wire, reader.provider).storage
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
