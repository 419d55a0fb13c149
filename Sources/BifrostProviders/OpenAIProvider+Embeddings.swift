public import BifrostCore

extension OpenAIProvider {
    /// Embeds texts: `POST {baseURL}/embeddings` with `input` as an array of strings and the bare model.
    ///
    /// Vectors are returned in input order (sorted by the upstream's `index`); `encoding_format` is
    /// not forwarded, so vectors always arrive as floats, and the answer is kept as it came
    /// (``BifrostCore/EmbeddingResponse/wire``) for a client that asked for floats.
    ///
    /// ```swift
    /// let vectors = try await openai.embeddings(
    ///     EmbeddingRequest(provider: "openai", model: "text-embedding-3-small", inputs: ["hello"]),
    ///     credentials: key.credentials, context: RequestContext())
    /// ```
    public func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> EmbeddingResponse
    {
        var writer = JSONWriter(capacity: 128 + request.inputs.reduce(0) { $0 + $1.utf8.count + 4 })
        writer.beginObject()
        writer.key("model")
        writer.string(request.model)
        writer.key("input")
        writer.beginArray()
        for input in request.inputs { writer.string(input) }
        writer.endArray()
        for member in request.parameters where !["encoding_format", "model", "input"].contains(member.key) {
            writer.key(member.key)
            writer.value(member.value)
        }
        writer.endObject()
        let outgoing = upstreamRequest(url: embeddingsURL, body: writer.bytes, credentials: credentials)
        let response = try await upstream.send(outgoing)
        do {
            return try Self.embeddingResponse(response.body, provider: name, model: request.model, count: request.inputs.count)
        } catch {
            throw upstream.classify(error, request: outgoing, started: .now)
        }
    }

    static func embeddingResponse(_ body: [UInt8], provider: String, model: String, count: Int) throws(BifrostError)
        -> EmbeddingResponse
    {
        func malformed(_ reason: String) -> BifrostError {
            BifrostError(
                status: 502, type: "upstream_error", code: "malformed_response", message: "malformed embeddings: \(reason)")
        }
        let value: JSONValue
        do { value = try JSONValue.parse(body) } catch { throw malformed("not valid JSON: \(error)") }
        guard case .array(let items)? = value.objectField("data") else { throw malformed("'data' must be an array") }
        var indexed: [(index: Int, vector: [Double])] = []
        for (position, item) in items.enumerated() {
            guard case .array(let numbers)? = item.objectField("embedding") else {
                throw malformed("data[\(position)].embedding must be an array of numbers")
            }
            var vector: [Double] = []
            vector.reserveCapacity(numbers.count)
            for number in numbers {
                guard let double = number.doubleValue else { throw malformed("data[\(position)].embedding must hold numbers") }
                vector.append(double)
            }
            indexed.append((item.objectField("index")?.intValue ?? position, vector))
        }
        guard indexed.count == count else { throw malformed("expected \(count) embeddings, got \(indexed.count)") }
        let usage = value.objectField("usage")
        var response = EmbeddingResponse(
            provider: provider, model: value.objectField("model")?.stringValue ?? model,
            vectors: indexed.sorted { $0.index < $1.index }.map(\.vector),
            usage: TokenUsage(
                promptTokens: usage?.objectField("prompt_tokens")?.intValue ?? 0, completionTokens: 0,
                totalTokens: usage?.objectField("total_tokens")?.intValue))
        response.wire = value.objectValue.map { WireBody(format: .openAIEmbeddings, object: $0) }
        return response
    }
}
