public import BifrostCore
public import BifrostWire

extension OpenAIProvider {
    /// Whether `request` is one of the Responses API: it arrived on `/v1/responses`, or it
    /// still carries a Responses body. Such a request goes to the upstream's own
    /// `POST /responses`, so items, events and server-side state (`previous_response_id`,
    /// `conversation`) pass through; a plugin's change to it is written back in that format.
    static func speaksResponses(_ request: ChatRequest, context: RequestContext) -> Bool {
        context.route == ResponsesWire.route || request.wire?.format == .openAIResponses
    }

    /// One non-streamed attempt of the Responses API: `POST {baseURL}/responses`, the answer parsed.
    ///
    /// ```swift
    /// let answer = try await provider.responsesCompletion(request, credentials: key.credentials, context: context)
    /// ```
    public func responsesCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        let outgoing = upstreamRequest(
            url: responsesURL, body: request.responsesUpstreamBody(stream: false), credentials: credentials)
        let response = try await upstream.send(outgoing)
        var answer: ChatResponse
        do {
            answer = try ChatResponse(responsesJSON: response.body, provider: name)
        } catch {
            throw upstream.classify(error, request: outgoing, started: .now)
        }
        if answer.model.isEmpty { answer.model = request.model }
        return answer
    }

    /// One streamed attempt of the Responses API: every upstream event becomes a chunk that
    /// keeps it; errors before the first event are thrown here, later ones end the stream.
    ///
    /// ```swift
    /// let stream = try await provider.responsesStream(request, credentials: key.credentials, context: context)
    /// ```
    public func responsesStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        try await upstream.stream(
            upstreamRequest(url: responsesURL, body: request.responsesUpstreamBody(stream: true), credentials: credentials),
            decoder: ResponsesStreamDecoder(provider: name, model: request.model))
    }
}

extension ResponsesStreamDecoder: ServerSentEventChunkDecoder {
    /// Decodes one event's `data` (its `type` names it; the `event:` line repeats it).
    public mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk] {
        [try decode(data: event.data)]
    }
}
