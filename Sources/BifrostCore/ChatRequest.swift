/// A chat completion request as it travels through the plugin chain to a provider.
///
/// The client's `model` field `provider/model` is split into ``provider`` and ``model``.
/// Every top-level field other than `model` and `messages` is kept in ``parameters``
/// under its OpenAI name, in the client's order, so fields the gateway does not know pass
/// through unchanged. ``wire`` keeps the client's body as it came until a plugin changes
/// ``messages`` or ``parameters``; a provider that speaks the client's format sends it
/// with only the model (and what the route itself needs) changed.
///
/// ```swift
/// var request = ChatRequest(provider: "mock", model: "echo", messages: [.init(role: "user", content: "Hi")])
/// request.parameters["temperature"] = 0.2
/// ```
public struct ChatRequest: Sendable, Hashable {
    /// The provider name, e.g. `openai`, `anthropic`, `mock`.
    public var provider: String
    /// The model name at that provider, e.g. `gpt-4o-mini`.
    public var model: String
    /// The conversation, in order.
    public var messages: [ChatMessage] { didSet { wire = nil } }
    /// Every other request field by its OpenAI name (`temperature`, `max_tokens`, `stop`, …).
    public var parameters: JSONObject { didSet { wire = nil } }
    /// The client's HTTP request headers (or those an embedding program supplies).
    public var headers: HeaderFields
    /// Free-form metadata for plugins and providers; never sent upstream.
    public var metadata: [String: String]
    /// The client's body as it arrived, while ``messages`` and ``parameters`` are unchanged.
    public var wire: WireBody?

    /// Creates a request.
    public init(
        provider: String,
        model: String,
        messages: [ChatMessage],
        parameters: JSONObject = [:],
        headers: HeaderFields = HeaderFields(),
        metadata: [String: String] = [:],
        wire: WireBody? = nil
    ) {
        self.provider = provider
        self.model = model
        self.messages = messages
        self.parameters = parameters
        self.headers = headers
        self.metadata = metadata
        self.wire = wire
    }

    /// `provider/model`, as clients write it.
    public var qualifiedModel: String { provider.isEmpty ? model : "\(provider)/\(model)" }

    /// Whether the client asked for a streamed answer.
    public var isStreaming: Bool { parameters["stream"]?.boolValue ?? false }

    /// Removes a field meant for the gateway (such as `fallbacks`) from the parameters and from
    /// the client's body, which stays otherwise as it came.
    public mutating func removeGatewayField(_ name: String) -> JSONValue? {
        guard parameters[name] != nil else { return nil }
        var kept = wire
        kept?.object.removeValue(forKey: name)
        let value = parameters.removeValue(forKey: name)
        wire = kept
        return value
    }

    /// The same request addressed to another provider and model (one attempt of the dispatcher).
    public func routed(to provider: String, model: String) -> ChatRequest {
        var copy = self
        copy.provider = provider
        copy.model = model
        return copy
    }

    /// Splits a client's `provider/model` into its parts; a name without `/` has an empty provider.
    public static func splitModel(_ qualified: String) -> (provider: Substring, model: Substring) {
        guard let slash = qualified.firstIndex(of: "/") else { return ("", qualified[...]) }
        return (qualified[..<slash], qualified[qualified.index(after: slash)...])
    }
}

/// One message of a chat conversation.
///
/// ```swift
/// let message = ChatMessage(role: "user", content: "What is 2 + 2?")
/// ```
public struct ChatMessage: Sendable, Hashable {
    /// `system`, `user`, `assistant` or `tool`.
    public var role: String
    /// The text of the message. For content sent as parts, the text parts joined.
    ///
    /// Content that is not a plain string (parts, or `null`) is kept as it came in
    /// `extra["content"]` and written from there; setting this text replaces it.
    public var content: String { didSet { extra["content"] = nil } }
    /// Other fields of the message (`name`, `tool_calls`, `tool_call_id`, content parts, …), in
    /// their order, passed through.
    public var extra: JSONObject

    /// Creates a message.
    public init(role: String, content: String, extra: JSONObject = [:]) {
        self.role = role
        self.content = content
        self.extra = extra
    }
}
