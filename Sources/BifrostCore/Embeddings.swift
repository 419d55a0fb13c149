/// An embeddings request, as OpenAI's `POST /v1/embeddings` takes it.
///
/// ```swift
/// let request = EmbeddingRequest(provider: "mock", model: "embed", inputs: ["hello"])
/// ```
public struct EmbeddingRequest: Sendable, Hashable {
    /// The provider name.
    public var provider: String
    /// The model at that provider.
    public var model: String
    /// The texts to embed, in order.
    public var inputs: [String]
    /// Other fields (`dimensions`, `encoding_format`, `user`), passed through.
    public var parameters: JSONObject
    /// The client's request headers.
    public var headers: HeaderFields

    /// Creates a request.
    public init(
        provider: String, model: String, inputs: [String], parameters: JSONObject = [:],
        headers: HeaderFields = HeaderFields()
    ) {
        self.provider = provider
        self.model = model
        self.inputs = inputs
        self.parameters = parameters
        self.headers = headers
    }
}

/// Embedding vectors, one per input, in input order.
public struct EmbeddingResponse: Sendable, Hashable {
    /// The provider that served them.
    public var provider: String
    /// The model that served them.
    public var model: String
    /// One vector per input.
    public var vectors: [[Double]]
    /// Token counts (prompt tokens only).
    public var usage: TokenUsage
    /// Extra headers for the client.
    public var headers: HeaderFields
    /// The answer as the provider sent it, for a client that asked for the same encoding.
    public var wire: WireBody?

    /// Creates a response.
    public init(provider: String, model: String, vectors: [[Double]], usage: TokenUsage, headers: HeaderFields = HeaderFields()) {
        self.provider = provider
        self.model = model
        self.vectors = vectors
        self.usage = usage
        self.headers = headers
    }
}
