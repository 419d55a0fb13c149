/// A chat completion answer, from a provider or from a plugin that answered itself.
///
/// ```swift
/// let response = ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "Hello")])
/// ```
public struct ChatResponse: Sendable, Hashable {
    /// The completion id, e.g. `chatcmpl-…`.
    public var id: String
    /// Creation time, seconds since the Unix epoch.
    public var created: Int
    /// The provider that served the answer.
    public var provider: String
    /// The model that served the answer.
    public var model: String
    /// The choices, in index order.
    public var choices: [ChatChoice]
    /// Token counts.
    public var usage: TokenUsage
    /// Extra HTTP headers for the client (`x-bifrost-cache`, rate-limit headers, …).
    public var headers: HeaderFields

    /// Creates a response.
    public init(
        id: String = "",
        created: Int = 0,
        provider: String,
        model: String,
        choices: [ChatChoice] = [],
        usage: TokenUsage = TokenUsage(),
        headers: HeaderFields = HeaderFields()
    ) {
        self.id = id
        self.created = created
        self.provider = provider
        self.model = model
        self.choices = choices
        self.usage = usage
        self.headers = headers
    }
}

/// One choice of a chat answer: an assistant message and why generation stopped.
public struct ChatChoice: Sendable, Hashable {
    /// The message role, normally `assistant`.
    public var role: String
    /// The text of the answer.
    public var content: String
    /// `stop`, `length`, `tool_calls`, `content_filter`, or `nil` when unknown.
    public var finishReason: String?
    /// Other fields of the message (`tool_calls`, …), passed through.
    public var extra: [String: JSONValue]

    /// Creates a choice.
    public init(role: String = "assistant", content: String, finishReason: String? = "stop", extra: [String: JSONValue] = [:]) {
        self.role = role
        self.content = content
        self.finishReason = finishReason
        self.extra = extra
    }
}

/// Token counts of one answer.
public struct TokenUsage: Sendable, Hashable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Their sum, as the provider reported it.
    public var totalTokens: Int

    /// Creates usage counts; `totalTokens` defaults to the sum.
    public init(promptTokens: Int = 0, completionTokens: Int = 0, totalTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? (promptTokens + completionTokens)
    }
}
