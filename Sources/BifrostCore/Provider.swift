/// An LLM provider the dispatcher sends requests to.
///
/// The dispatcher chooses the key for each attempt and retries, rotates keys and falls back
/// around the provider; a provider makes one attempt per call and reports failures as
/// ``BifrostError``s with the status that says what happened (429, 5xx, 502 for a refused
/// or reset connection, 504 for a timeout).
///
/// ```swift
/// struct Canned: Provider {
///     let name = "canned"
///     let models = ["one"]
///     func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
///         async throws(BifrostError) -> ChatResponse
///     {
///         ChatResponse(provider: name, model: request.model, choices: [.init(content: "always this")])
///     }
/// }
/// ```
public protocol Provider: Sendable {
    /// The name clients use as the prefix of `provider/model`.
    var name: String { get }
    /// The models this provider serves, without the provider prefix.
    var models: [String] { get }
    /// Answers a chat request.
    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    /// Streams a chat answer. Errors before the first chunk are thrown here; later ones end the stream.
    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    /// Embeds texts.
    func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> EmbeddingResponse
}

extension Provider {
    /// Streams by replaying the complete answer, for providers that cannot stream.
    public func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        ChatStream(replaying: try await chatCompletion(request, credentials: credentials, context: context))
    }

    /// Refuses: this provider offers no embeddings.
    public func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> EmbeddingResponse
    {
        throw BifrostError(
            status: 400, type: "invalid_request_error", code: "unsupported_operation", param: "model",
            message: "provider '\(name)' does not offer embeddings")
    }
}

/// The credentials of one attempt: which key, and the secret itself.
///
/// ```swift
/// let credentials = ProviderCredentials(keyID: "openai#0", secret: "sk-…")
/// ```
public struct ProviderCredentials: Sendable, Hashable, CustomStringConvertible {
    /// A name for the key that is safe to log, e.g. `openai#0`.
    public var keyID: String
    /// The secret, or `nil` for providers that need none. Never logged, never in an error.
    public var secret: String?

    /// Creates credentials.
    public init(keyID: String, secret: String? = nil) {
        self.keyID = keyID
        self.secret = secret
    }

    /// No key (the mock provider, local servers without auth).
    public static let none = ProviderCredentials(keyID: "none")

    /// The key's id only: credentials print without their secret.
    public var description: String { keyID }
}
