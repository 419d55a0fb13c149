public import BifrostCore
public import Logging

/// A provider for OpenAI's API and every OpenAI-compatible server (vLLM, Ollama, Groq, LM Studio, …).
///
/// Chat: `POST {baseURL}/chat/completions` with the bare model name (no provider prefix);
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
        let outgoing = upstreamRequest(url: chatURL, body: try Self.chatBody(request, stream: false), credentials: credentials)
        let response = try await upstream.send(outgoing)
        var answer: ChatResponse
        do {
            answer = try ChatResponse(openAIJSON: response.body, provider: name)
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
        try await upstream.stream(
            upstreamRequest(url: chatURL, body: try Self.chatBody(request, stream: true), credentials: credentials),
            decoder: OpenAIChunkDecoder(provider: name, model: request.model))
    }

    /// The request as the body sent upstream: the bare model, `stream` set (or removed), and
    /// `stream_options.include_usage` added when streaming. A client's OpenAI body that no
    /// plugin changed goes out as it came with only those fields changed; otherwise it is
    /// written from the request, translating what another format sent: Anthropic's `thinking`
    /// becomes `reasoning_effort`, its content blocks' `cache_control` is left out (OpenAI caches
    /// prompts by itself), and thinking blocks of earlier turns are left out (chat completions
    /// take no reasoning back).
    ///
    /// ```swift
    /// let body = try OpenAIProvider.chatBody(request, stream: true)
    /// ```
    public static func chatBody(_ request: ChatRequest, stream: Bool) throws(BifrostError) -> [UInt8] {
        if let wire = request.wire, wire.format == .openAIChat {
            var body = wire.object
            body["model"] = .string(request.model)
            streamFields(&body, stream: stream)
            var writer = JSONWriter(capacity: 512)
            writer.value(.object(body))
            return writer.bytes
        }
        var parameters = request.parameters
        if let thinking = parameters.removeValue(forKey: "thinking") {
            parameters["reasoning_effort"] = try reasoningEffort(thinking, model: request.qualifiedModel)
        }
        streamFields(&parameters, stream: stream)
        var writer = JSONWriter(capacity: 256 + request.messages.reduce(0) { $0 + $1.content.utf8.count + 32 })
        writer.beginObject()
        writer.key("model")
        writer.string(request.model)
        writer.key("messages")
        writer.beginArray()
        for message in request.messages {
            writer.beginObject()
            writer.key("role")
            writer.string(message.role)
            writer.key("content")
            if case .array(let parts)? = message.extra["content"] {
                writer.value(.array(openAIParts(parts)))
            } else if let content = message.extra["content"] {
                writer.value(content)
            } else if message.content.isEmpty && message.extra["tool_calls"] != nil {
                writer.null()
            } else {
                writer.string(message.content)
            }
            for member in message.extra where member.key != "content" {
                writer.key(member.key)
                writer.value(member.value)
            }
            writer.endObject()
        }
        writer.endArray()
        for member in parameters where member.key != "model" && member.key != "messages" {
            writer.key(member.key)
            writer.value(member.value)
        }
        writer.endObject()
        return writer.bytes
    }

    /// OpenAI's `reasoning_effort` for Anthropic's `thinking`: by budget, up to 1,024 tokens
    /// `low`, up to 8,192 `medium`, beyond `high`; `{"type":"disabled"}` and `null` ask for none.
    private static func reasoningEffort(_ thinking: JSONValue, model: String) throws(BifrostError) -> JSONValue? {
        switch thinking.objectField("type")?.stringValue {
        case nil where thinking == .null, "disabled"?:
            return nil
        case "enabled"?:
            guard let budget = thinking.objectField("budget_tokens")?.intValue else {
                throw .invalidRequest("'thinking.budget_tokens' must be an integer", param: "thinking.budget_tokens")
            }
            return budget <= 1024 ? "low" : budget <= 8192 ? "medium" : "high"
        default:
            throw .invalidRequest(
                "'thinking' of this type has no counterpart in OpenAI's chat completions (model \(model))", param: "thinking",
                code: "unsupported_parameter")
        }
    }

    /// `stream`, and `stream_options.include_usage` so a stream's last chunk has the usage.
    private static func streamFields(_ body: inout JSONObject, stream: Bool) {
        if stream {
            var options = body["stream_options"]?.objectValue ?? [:]
            options["include_usage"] = true
            body["stream"] = true
            body["stream_options"] = .object(options)
        } else {
            body["stream"] = nil
            body["stream_options"] = nil
        }
    }

    /// Content parts for OpenAI: Anthropic's thinking blocks left out, `cache_control` removed.
    private static func openAIParts(_ parts: [JSONValue]) -> [JSONValue] {
        parts.compactMap { part in
            guard case .object(var fields) = part else { return part }
            switch fields["type"]?.stringValue {
            case "thinking", "redacted_thinking": return nil
            default:
                fields["cache_control"] = nil
                return .object(fields)
            }
        }
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

/// Decodes OpenAI's streamed `chat.completion.chunk` events (`data: {…}` … `data: [DONE]`).
///
/// An `{"error":{…}}` event ends the stream with that error; a body that ends without `[DONE]`
/// is fine after a `finish_reason`, and a 502 `upstream_reset` before one.
///
/// ```swift
/// var decoder = OpenAIChunkDecoder(provider: "openai", model: "gpt-4o-mini")
/// let data = #"{"id":"c","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#
/// let chunks = try decoder.decode(ServerSentEvent(data: Array(data.utf8)))
/// ```
public struct OpenAIChunkDecoder: ServerSentEventChunkDecoder {
    /// The provider named on every chunk.
    public let provider: String
    /// The model used when a chunk names none.
    public let model: String
    /// Whether `[DONE]` was seen.
    public private(set) var isFinished = false
    private var sawFinishReason = false

    /// Creates a decoder.
    ///
    /// ```swift
    /// let decoder = OpenAIChunkDecoder(provider: "groq", model: "llama-3.1-8b-instant")
    /// ```
    public init(provider: String, model: String) {
        self.provider = provider
        self.model = model
    }

    /// Decodes one event: `[DONE]` finishes, a chunk object becomes a ``ChatChunk``.
    ///
    /// ```swift
    /// let none = try decoder.decode(ServerSentEvent(data: Array("[DONE]".utf8)))  // [], isFinished
    /// ```
    public mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk] {
        if event.data.elementsEqual("[DONE]".utf8) {
            isFinished = true
            return []
        }
        let value: JSONValue
        do { value = try JSONValue.parse(event.data) } catch {
            throw Self.malformed("chunk is not valid JSON: \(error)")
        }
        guard case .object(let fields) = value else { throw Self.malformed("chunk must be a JSON object") }
        if let error = fields["error"] {
            let status = error.objectField("code")?.intValue.flatMap { (400...599).contains($0) ? $0 : nil } ?? 502
            var failure = BifrostError(
                status: status, type: error.objectField("type")?.stringValue ?? "upstream_error",
                code: error.objectField("code")?.stringValue,
                message:
                    "upstream \(provider) failed mid-stream: \(error.objectField("message")?.stringValue ?? "unknown error")",
                source: .provider(provider))
            failure.wire = WireBody(format: .openAIChat, object: fields)
            throw failure
        }
        var choices: [ChunkChoice] = []
        switch fields["choices"] {
        case .array(let choiceValues)?:
            for (position, choice) in choiceValues.enumerated() {
                guard case .object(var choiceFields) = choice else { throw Self.malformed("choices[\(position)] must be an object") }
                var delta = choiceFields.removeValue(forKey: "delta")?.objectValue ?? [:]
                let reason = choiceFields.removeValue(forKey: "finish_reason")?.stringValue
                let index = choiceFields.removeValue(forKey: "index")?.intValue ?? position
                if reason != nil { sawFinishReason = true }
                let role = delta.removeValue(forKey: "role")?.stringValue
                var content: String?
                if case .string(let text)? = delta["content"] {
                    content = text
                    delta.removeValue(forKey: "content")
                }
                choices.append(
                    ChunkChoice(
                        index: index, role: role, content: content, finishReason: reason, extra: delta,
                        choiceExtra: choiceFields))
            }
        case .null?, nil:
            break
        default:
            throw Self.malformed("'choices' must be an array")
        }
        var usage: TokenUsage?
        if case .object(let counts)? = fields["usage"] { usage = TokenUsage(openAIObject: counts) }
        var extra = fields
        for name in Self.typedFields { extra.removeValue(forKey: name) }
        return [
            ChatChunk(
                id: fields["id"]?.stringValue ?? "", created: fields["created"]?.intValue ?? 0, provider: provider,
                model: fields["model"]?.stringValue ?? model, choices: choices, usage: usage, extra: extra,
                wire: WireBody(format: .openAIChat, object: fields))
        ]
    }

    /// The members of `chat.completion.chunk` the typed fields hold.
    static let typedFields: Set<String> = ["id", "object", "created", "model", "choices", "usage"]

    /// Accepts a body that ended after a finish reason; throws 502 `upstream_reset` otherwise.
    ///
    /// ```swift
    /// try decoder.finish()
    /// ```
    public func finish() throws(BifrostError) {
        guard sawFinishReason else {
            throw BifrostError(
                status: 502, type: "upstream_error", code: "upstream_reset",
                message: "upstream \(provider) ended the stream before it finished", source: .provider(provider))
        }
    }

    private static func malformed(_ reason: String) -> BifrostError {
        BifrostError(
            status: 502, type: "upstream_error", code: "malformed_response", message: "malformed upstream stream: \(reason)")
    }
}
