public import BifrostCore
import BifrostWire
public import Logging

/// A provider for Anthropic's Messages API.
///
/// Sends `POST {baseURL}/messages` (base URL e.g. `https://api.anthropic.com/v1`) with `x-api-key`
/// and `anthropic-version: 2023-06-01` (a `settings.headers` entry overrides either), translating with
/// `ChatRequest.anthropicJSON(model:stream:)` and `ChatResponse(anthropicJSON:provider:created:)`;
/// streams are decoded by `AnthropicStreamDecoder`. No embeddings (the protocol's default refuses
/// with 400). Errors are described on ``UpstreamClient``.
///
/// ```swift
/// let anthropic = AnthropicProvider(settings: ProviderSettings(name: "anthropic", kind: .anthropic,
///                                                              baseURL: "https://api.anthropic.com/v1"),
///                                   httpClient: http)
/// ```
public struct AnthropicProvider: Provider {
    /// The provider's name, the prefix of `provider/model`.
    public let name: String
    /// The models served; empty means any model is passed through.
    public let models: [String]
    /// The settings the provider was made with.
    public let settings: ProviderSettings
    /// The HTTP layer.
    public let upstream: UpstreamClient
    private let messagesURL: UpstreamURL

    /// Creates the provider over the gateway's shared `UpstreamHTTPClient`.
    ///
    /// ```swift
    /// let provider = AnthropicProvider(settings: settings, httpClient: http, logger: Logger(label: "anthropic"))
    /// ```
    public init(
        settings: ProviderSettings, httpClient: UpstreamHTTPClient, logger: Logger = Logger(label: "bifrost.provider.anthropic")
    ) {
        self.name = settings.name
        self.models = settings.models
        self.settings = settings
        self.upstream = UpstreamClient(
            provider: settings.name, httpClient: httpClient, timeouts: settings.timeouts, logger: logger,
            wireFormat: .anthropicMessages)
        messagesURL = UpstreamURL(OpenAIProvider.join(settings.baseURL, "/messages"))
    }

    /// One non-streamed attempt: `POST {baseURL}/messages`, the answer parsed.
    ///
    /// ```swift
    /// let answer = try await provider.chatCompletion(request, credentials: key.credentials, context: context)
    /// ```
    public func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        let outgoing = upstreamRequest(try request.anthropicJSON(model: request.model, stream: false), credentials: credentials)
        let response = try await upstream.send(outgoing)
        var answer: ChatResponse
        do {
            answer = try ChatResponse(
                anthropicJSON: response.body, provider: name, created: Int(context.arrivalTimeNanoseconds / 1_000_000_000))
        } catch {
            throw upstream.classify(error, request: outgoing, started: .now)
        }
        if answer.model.isEmpty { answer.model = request.model }
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
        let outgoing = upstreamRequest(try request.anthropicJSON(model: request.model, stream: true), credentials: credentials)
        let decoder = AnthropicStreamDecoder(provider: name, created: Int(context.arrivalTimeNanoseconds / 1_000_000_000))
        return try await upstream.stream(outgoing, decoder: AnthropicEventDecoder(decoder))
    }

    func upstreamRequest(_ body: [UInt8], credentials: ProviderCredentials) -> UpstreamRequest {
        var headers = HeaderFields([
            ("content-type", "application/json"), ("accept", "application/json, text/event-stream"),
            ("anthropic-version", AnthropicWire.version),
        ])
        if let secret = credentials.secret, !secret.isEmpty { headers["x-api-key"] = secret }
        for (name, value) in settings.headers.sorted(by: { $0.key < $1.key }) { headers[name] = value }
        return UpstreamRequest(
            url: messagesURL, headers: headers, body: body, keyID: credentials.keyID, secret: credentials.secret)
    }
}

/// Adapts `AnthropicStreamDecoder` to the upstream client's event loop.
struct AnthropicEventDecoder: ServerSentEventChunkDecoder {
    var decoder: AnthropicStreamDecoder

    init(_ decoder: AnthropicStreamDecoder) { self.decoder = decoder }

    var isFinished: Bool { decoder.isFinished }

    mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk] {
        do {
            return try decoder.decode(event: event.name, data: event.data)
        } catch {
            var error = error
            error.source = .provider(decoder.provider)
            throw error
        }
    }

    func finish() throws(BifrostError) {
        throw BifrostError(
            status: 502, type: "upstream_error", code: "upstream_reset",
            message: "upstream \(decoder.provider) ended the stream before message_stop", source: .provider(decoder.provider))
    }
}
