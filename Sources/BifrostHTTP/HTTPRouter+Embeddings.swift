import BifrostCore
import BifrostLibrary
import BifrostWire
import Logging
import NIOCore
import NIOHTTP1

extension HTTPRouter {
    /// `POST /v1/embeddings`: reads OpenAI's embeddings body, asks the model's provider, and
    /// answers `{"object":"list","data":[{"object":"embedding","index":…,"embedding":[…]}],…}`.
    /// Runs in a task, off the event loop, through the plugin chain like chat completions.
    func embeddings(body: ByteBuffer, headers: HTTPHeaders, context: RequestContext) async -> HTTPServerResponse {
        let request: EmbeddingRequest
        let format: EmbeddingsCodec.Format
        do {
            (request, format) = try EmbeddingsCodec.request(
                body.readableBytesView, headers: Self.headerFields(headers))
        } catch {
            return HTTPServerResponse(error: error, requestID: context.requestID)
        }
        switch await bifrost.embeddingsResult(request, context: context) {
        case .success(let response):
            guard response.vectors.count == request.inputs.count else {
                let error = BifrostError(
                    status: 502, type: "invalid_response_error", code: "malformed_response",
                    message:
                        "provider '\(response.provider)' returned \(response.vectors.count) embeddings for \(request.inputs.count) inputs",
                    source: .provider(request.provider))
                logFailure("embeddings", error, context: context)
                return HTTPServerResponse(error: error, requestID: context.requestID)
            }
            return HTTPServerResponse(
                answer: EmbeddingsCodec.json(response, format: format), provider: response.provider, model: response.model,
                headers: response.headers, requestID: context.requestID)
        case .failure(let error):
            logFailure("embeddings", error, context: context)
            return HTTPServerResponse(error: error, requestID: context.requestID)
        }
    }
}

/// OpenAI's embeddings wire format: the request body in, the `list` of embeddings out.
enum EmbeddingsCodec {
    /// How vectors are written: JSON numbers, or base64 of little-endian 32-bit floats
    /// (what the official `openai` Python package asks for by default).
    enum Format: Sendable, Hashable {
        case float
        case base64
    }

    /// The most inputs one request may carry, as OpenAI allows.
    static let maxInputs = 2048

    /// Reads `{"model":"provider/model","input":string|[string],"encoding_format"?,"dimensions"?,"user"?}`.
    ///
    /// Failures are 400s naming the field. Other fields pass through in `parameters`.
    static func request(_ bytes: some Collection<UInt8>, headers: HeaderFields) throws(BifrostError)
        -> (EmbeddingRequest, Format)
    {
        var fields = try JSONValue.parseRequestBody(bytes).requestFields()
        let qualifiedModel = try fields.takeModel(example: "mock/embed")
        guard let inputValue = fields.removeValue(forKey: "input") else {
            throw .invalidRequest("missing required field 'input' (a string or an array of strings)", param: "input")
        }
        let inputs = try Self.inputs(inputValue)

        var format = Format.float
        switch fields["encoding_format"] {
        case nil, .null?, .string("float")?:
            format = .float
        case .string("base64")?:
            format = .base64
        case let other?:
            throw .invalidRequest(
                "'encoding_format' must be \"float\" or \"base64\", got \(describe(other))", param: "encoding_format")
        }
        switch fields["dimensions"] {
        case nil, .null?:
            break
        case let dimensions?:
            guard let count = dimensions.intValue, count >= 1 else {
                throw .invalidRequest(
                    "'dimensions' must be an integer of at least 1, got \(describe(dimensions))", param: "dimensions")
            }
        }
        switch fields["user"] {
        case nil, .null?, .string?:
            break
        case let other?:
            throw .invalidRequest("'user' must be a string, got \(other.kindDescription)", param: "user")
        }
        let (provider, model) = ChatRequest.splitModel(qualifiedModel)
        let request = EmbeddingRequest(
            provider: String(provider), model: String(model), inputs: inputs, parameters: fields, headers: headers)
        return (request, format)
    }

    /// The texts of `input`: one non-empty string, or a non-empty array of them.
    private static func inputs(_ value: JSONValue) throws(BifrostError) -> [String] {
        switch value {
        case .string(let text):
            guard !text.isEmpty else {
                throw .invalidRequest("'input' must not be an empty string", param: "input")
            }
            return [text]
        case .array(let elements):
            guard !elements.isEmpty else {
                throw .invalidRequest("'input' must not be an empty array", param: "input")
            }
            guard elements.count <= maxInputs else {
                throw .invalidRequest(
                    "'input' may hold at most \(maxInputs) items, got \(elements.count)", param: "input")
            }
            var texts: [String] = []
            texts.reserveCapacity(elements.count)
            for (index, element) in elements.enumerated() {
                switch element {
                case .string(let text) where !text.isEmpty:
                    texts.append(text)
                case .string:
                    throw .invalidRequest("'input[\(index)]' must not be an empty string", param: "input")
                case .number, .array:
                    throw .invalidRequest(
                        "'input' as token ids is not supported by this gateway; send the text as a string or an array of strings",
                        param: "input")
                default:
                    throw .invalidRequest(
                        "'input[\(index)]' must be a string, got \(element.kindDescription)", param: "input")
                }
            }
            return texts
        default:
            throw .invalidRequest(
                "'input' must be a string or an array of strings, got \(value.kindDescription)", param: "input")
        }
    }

    /// A value for an error message: strings quoted, others by kind.
    private static func describe(_ value: JSONValue) -> String {
        if case .string(let text) = value { return "\"\(text)\"" }
        if case .number(let number) = value { return "\(number)" }
        return value.kindDescription
    }

    /// `{"object":"list","data":[{"object":"embedding","index":i,"embedding":[…]|"base64"}],"model":…,"usage":{"prompt_tokens","total_tokens"}}`
    /// An upstream's answer in floats goes to a client that asked for floats as it came.
    static func json(_ response: EmbeddingResponse, format: Format) -> [UInt8] {
        let dimensions = response.vectors.first?.count ?? 0
        var writer = JSONWriter(capacity: 128 + response.vectors.count * (64 + dimensions * 22))
        if format == .float, let wire = response.wire, wire.format == .openAIEmbeddings {
            writer.value(.object(wire.object))
            return writer.bytes
        }
        writer.beginObject()
        writer.key("object")
        writer.string("list")
        writer.key("data")
        writer.beginArray()
        for (index, vector) in response.vectors.enumerated() {
            writer.beginObject()
            writer.key("object")
            writer.string("embedding")
            writer.key("index")
            writer.number(index)
            writer.key("embedding")
            switch format {
            case .float:
                writer.beginArray()
                for component in vector { writer.number(component) }
                writer.endArray()
            case .base64:
                writer.string(base64Float32(vector))
            }
            writer.endObject()
        }
        writer.endArray()
        writer.key("model")
        writer.string(response.model)
        writer.key("usage")
        writer.beginObject()
        writer.key("prompt_tokens")
        writer.number(response.usage.promptTokens)
        writer.key("total_tokens")
        writer.number(response.usage.promptTokens)
        writer.endObject()
        writer.endObject()
        return writer.bytes
    }

    private static let base64Alphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 (with padding) of the vector as little-endian IEEE 754 single floats.
    static func base64Float32(_ vector: [Double]) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(vector.count * 4)
        for component in vector {
            let bits = Float(component).bitPattern.littleEndian
            withUnsafeBytes(of: bits) { bytes.append(contentsOf: $0) }
        }
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let triple = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            output.append(base64Alphabet[Int(triple >> 18 & 0x3F)])
            output.append(base64Alphabet[Int(triple >> 12 & 0x3F)])
            output.append(base64Alphabet[Int(triple >> 6 & 0x3F)])
            output.append(base64Alphabet[Int(triple & 0x3F)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let first = UInt32(bytes[index]) << 16
            let second = rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0
            let triple = first | second
            output.append(base64Alphabet[Int(triple >> 18 & 0x3F)])
            output.append(base64Alphabet[Int(triple >> 12 & 0x3F)])
            output.append(rest == 2 ? base64Alphabet[Int(triple >> 6 & 0x3F)] : UInt8(ascii: "="))
            output.append(UInt8(ascii: "="))
        }
        return String(decoding: output, as: UTF8.self)
    }
}
