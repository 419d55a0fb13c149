public import BifrostCore
public import BifrostWire
public import Logging

/// A provider for OpenAI's API and every OpenAI-compatible server (vLLM, Ollama, Groq, LM Studio, …).
///
/// Chat: `POST {baseURL}/chat/completions` with the bare model name (no provider prefix);
/// a request of the Responses API goes to `POST {baseURL}/responses` instead (see `OpenAIProvider+Responses.swift`);
/// streaming always asks for `stream_options.include_usage` so the last chunk carries usage;
/// embeddings: `POST {baseURL}/embeddings`. Sends `Authorization: Bearer <secret>` when the
/// credentials have a secret, and every `settings.headers` field. One attempt per call: the
/// dispatcher retries and falls back around it. Errors are described on ``UpstreamClient``.
///
/// ```swift
/// let http = UpstreamHTTPClient()
/// let openai = OpenAIProvider(settings: ProviderSettings(name: "openai", kind: .openai,
///                                                        baseURL: "https://api.openai.com/v1"),
///                             httpClient: http)
/// let answer = try await openai.chatCompletion(request, credentials: key.credentials, context: RequestContext())
/// ```
public struct OpenAIProvider: Provider {
    /// The provider's name, the prefix of `provider/model`.
    public let name: String
    /// The models served; empty means any model is passed through.
    public let models: [String]
    /// The settings the provider was made with.
    public let settings: ProviderSettings
    /// The HTTP layer.
    public let upstream: UpstreamClient
    private let chatURL: UpstreamURL
    let embeddingsURL: UpstreamURL
    /// `{baseURL}/responses`, for clients of the Responses API.
    let responsesURL: UpstreamURL
    /// The headers every request carries (the key is added per request).
    private let baseHeaders: HeaderFields

    /// Creates the provider over the gateway's shared `UpstreamHTTPClient`.
    ///
    /// ```swift
    /// let provider = OpenAIProvider(settings: settings, httpClient: http, logger: Logger(label: "openai"))
    /// ```
    public init(
        settings: ProviderSettings, httpClient: UpstreamHTTPClient, logger: Logger = Logger(label: "bifrost.provider.openai")
    ) {
        self.name = settings.name
        self.models = settings.models
        self.settings = settings
        self.upstream = UpstreamClient(
            provider: settings.name, httpClient: httpClient, timeouts: settings.timeouts, logger: logger,
            wireFormat: .openAIChat)
        chatURL = UpstreamURL(Self.join(settings.baseURL, "/chat/completions"))
        embeddingsURL = UpstreamURL(Self.join(settings.baseURL, "/embeddings"))
        responsesURL = UpstreamURL(Self.join(settings.baseURL, "/responses"))
        var headers = HeaderFields([("content-type", "application/json"), ("accept", "application/json, text/event-stream")])
        for (name, value) in settings.headers.sorted(by: { $0.key < $1.key }) { headers[name] = value }
        baseHeaders = headers
    }

    /// One non-streamed attempt: `POST {baseURL}/chat/completions`, the answer parsed.
    ///
    /// ```swift
    /// let answer = try await provider.chatCompletion(request, credentials: key.credentials, context: context)
    /// ```
    public func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        if Self.speaksResponses(request, context: context) {
            return try await responsesCompletion(request, credentials: credentials, context: context)
        }
        let outgoing = upstreamRequest(
            url: chatURL, body: try request.openAIUpstreamBody(stream: false), credentials: credentials)
        let response = try await upstream.send(outgoing)
        var answer: ChatResponse
        do {
            answer = try ChatResponse(
                openAIJSON: response.body, provider: name, readsTypedViewAsItGoes: context.readsTypedAnswer)
        } catch {
            throw upstream.classify(error, request: outgoing, started: .now)
        }
        if answer.model.isEmpty { answer.model = request.model }
        if answer.created == 0 { answer.created = Int(context.arrivalTimeNanoseconds / 1_000_000_000) }
        return answer
    }

    /// One streamed attempt: errors before the first chunk are thrown here, later ones end the stream.
    ///
    /// ```swift
    /// for try await chunk in try await provider.chatCompletionStream(request, credentials: key.credentials, context: context) {
    ///     print(chunk.choices.first?.content ?? "", terminator: "")
    /// }
    /// ```
    public func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        if Self.speaksResponses(request, context: context) {
            return try await responsesStream(request, credentials: credentials, context: context)
        }
        return try await upstream.stream(
            upstreamRequest(url: chatURL, body: try request.openAIUpstreamBody(stream: true), credentials: credentials),
            decoder: OpenAIChunkDecoder(
                provider: name, model: request.model, readsTypedViewAsItGoes: context.readsTypedAnswer))
    }

    func upstreamRequest(url: UpstreamURL, body: [UInt8], credentials: ProviderCredentials) -> UpstreamRequest {
        var headers = baseHeaders
        if let secret = credentials.secret, !secret.isEmpty { headers["authorization"] = "Bearer \(secret)" }
        return UpstreamRequest(url: url, headers: headers, body: body, keyID: credentials.keyID, secret: credentials.secret)
    }

    /// `base` and `path` joined with exactly one `/`.
    static func join(_ base: String, _ path: String) -> String {
        var base = Substring(base)
        while base.hasSuffix("/") { base = base.dropLast() }
        return base + path
    }
}

extension OpenAIChunkDecoder: ServerSentEventChunkDecoder {
    /// Decodes one event's `data`.
    public mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk] {
        try decode(data: event.data)
    }
}
