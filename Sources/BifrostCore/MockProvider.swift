/// The built-in provider that answers without a network: deterministic, with usage counts.
///
/// Model `echo` answers `Echo: ` and the last user message; model `fail` always fails
/// with a 503, for exercising error paths; model `embed` embeds. Token counts are one token
/// per four UTF-8 bytes (rounded up) plus three per message, so they are stable across runs.
/// Streams send the answer a word at a time, `latency` apart.
///
/// ```swift
/// let mock = MockProvider(latency: .milliseconds(20))
/// ```
public struct MockProvider: Provider {
    public let name: String
    public let models = ["echo", "fail", "embed"]
    /// How long each answer takes.
    public let latency: Duration

    /// Creates the mock provider.
    public init(name: String = "mock", latency: Duration = .zero) {
        self.name = name
        self.latency = latency
    }

    public func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        try await pause()
        return try answer(request, context: context)
    }

    public func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        let response = try answer(request, context: context)
        let latency = latency
        return ChatStream { continuation throws(BifrostError) in
            let words = response.choices[0].content.split(separator: " ", omittingEmptySubsequences: false)
            func chunk(_ choice: ChunkChoice, usage: TokenUsage? = nil) -> ChatChunk {
                ChatChunk(
                    id: response.id, created: response.created, provider: response.provider, model: response.model,
                    choices: [choice], usage: usage)
            }
            await continuation.yield(chunk(ChunkChoice(role: "assistant", content: "")))
            for (index, word) in words.enumerated() {
                if latency > .zero {
                    do { try await Task.sleep(for: latency) } catch { throw Self.cancelled }
                }
                await continuation.yield(chunk(ChunkChoice(content: index == 0 ? String(word) : " " + word)))
            }
            await continuation.yield(chunk(ChunkChoice(finishReason: "stop"), usage: response.usage))
        }
    }

    public func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> EmbeddingResponse
    {
        try await pause()
        guard request.model == "embed" else {
            throw BifrostError(
                status: 400, type: "invalid_request_error", code: "unsupported_operation", param: "model",
                message: "the mock provider embeds with model 'embed', not '\(request.model)'")
        }
        let vectors = request.inputs.map(Self.vector)
        let tokens = request.inputs.reduce(0) { $0 + Self.tokenCount($1) }
        return EmbeddingResponse(provider: name, model: request.model, vectors: vectors, usage: TokenUsage(promptTokens: tokens))
    }

    /// A deterministic unit vector of 8 dimensions derived from the text's bytes.
    static func vector(_ text: String) -> [Double] {
        var sums = [Double](repeating: 0, count: 8)
        for (index, byte) in text.utf8.enumerated() { sums[index % 8] += Double(byte) * Double(index + 1) }
        let norm = sums.reduce(0) { $0 + $1 * $1 }.squareRoot()
        return norm == 0 ? sums : sums.map { $0 / norm }
    }

    static let cancelled = BifrostError(status: 499, type: "request_cancelled", message: "the request was cancelled")

    private func pause() async throws(BifrostError) {
        if latency > .zero {
            do { try await Task.sleep(for: latency) } catch { throw Self.cancelled }
        }
    }

    private func answer(_ request: ChatRequest, context: RequestContext) throws(BifrostError) -> ChatResponse {
        if let refusal = request.serverStateRefusal(provider: name) { throw refusal }
        if request.model == "fail" {
            throw BifrostError(
                status: 503, type: "provider_error", code: "mock_failure",
                message: "the mock provider's model 'fail' always fails", source: .provider(name))
        }
        let lastUser = request.messages.last(where: { $0.role == "user" })?.content ?? ""
        let answer = "Echo: " + lastUser
        let promptTokens = request.messages.reduce(0) { $0 + Self.tokenCount($1.content) + 3 }
        return ChatResponse(
            id: "chatcmpl-" + context.requestID,
            created: Int(context.arrivalTimeNanoseconds / 1_000_000_000),
            provider: name,
            model: request.model,
            choices: [ChatChoice(content: answer, finishReason: "stop")],
            usage: TokenUsage(promptTokens: promptTokens, completionTokens: Self.tokenCount(answer)))
    }

    static func tokenCount(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
}
