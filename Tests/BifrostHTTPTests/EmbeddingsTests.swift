import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Foundation
import Testing

@Suite("POST /v1/embeddings")
struct EmbeddingsTests {
    @Test("a list of texts is embedded in order, in OpenAI's list shape, with usage")
    func happyPath() async throws {
        try await withServer { client, _ in
            let response = try await client.postJSON(
                "/v1/embeddings", #"{"model":"mock/embed","input":["hello","hello world"]}"#)
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["x-bifrost-provider"] == "mock")
            #expect(response.headers["x-bifrost-model"] == "embed")
            #expect(response.headers["x-request-id"] != nil)
            let json = try response.json()
            #expect(json.objectField("object") == "list")
            #expect(json.objectField("model") == "embed")
            // "hello": 2 tokens, "hello world": 3 tokens.
            #expect(json.objectField("usage") == ["prompt_tokens": 5, "total_tokens": 5])
            guard case .array(let data)? = json.objectField("data") else {
                Issue.record("no data in \(response.text)")
                return
            }
            #expect(data.count == 2)
            for (index, item) in data.enumerated() {
                #expect(item.objectField("object") == "embedding")
                #expect(item.objectField("index") == .number(JSONNumber(index)))
                guard case .array(let vector)? = item.objectField("embedding") else {
                    Issue.record("no vector in \(item)")
                    continue
                }
                #expect(vector.count == 8)
                let norm = vector.compactMap(\.doubleValue).reduce(0) { $0 + $1 * $1 }
                #expect(abs(norm - 1) < 1e-9)
            }
            #expect(data[0].objectField("embedding") != data[1].objectField("embedding"))
        }
    }

    @Test("a single string is one embedding, and the same text embeds the same way every time")
    func singleString() async throws {
        try await withServer { client, _ in
            let body = #"{"model":"mock/embed","input":"deterministic","user":"u-1","dimensions":8}"#
            let first = try await client.postJSON("/v1/embeddings", body)
            let second = try await client.postJSON("/v1/embeddings", body)
            #expect(first.status == 200)
            guard case .array(let data)? = try first.json().objectField("data") else {
                Issue.record("no data in \(first.text)")
                return
            }
            #expect(data.count == 1)
            #expect(try first.json().objectField("data") == second.json().objectField("data"))
        }
    }

    @Test("encoding_format base64 sends each vector as little-endian float32 bytes")
    func base64() async throws {
        try await withServer { client, _ in
            let floats = try await client.postJSON(
                "/v1/embeddings", #"{"model":"mock/embed","input":"abc","encoding_format":"float"}"#)
            let encoded = try await client.postJSON(
                "/v1/embeddings", #"{"model":"mock/embed","input":"abc","encoding_format":"base64"}"#)
            #expect(encoded.status == 200)
            guard case .array(let floatData)? = try floats.json().objectField("data"),
                case .array(let vector)? = floatData.first?.objectField("embedding"),
                case .array(let base64Data)? = try encoded.json().objectField("data"),
                case .string(let text)? = base64Data.first?.objectField("embedding"),
                let bytes = Data(base64Encoded: text)
            else {
                Issue.record("unexpected bodies \(floats.text) \(encoded.text)")
                return
            }
            #expect(bytes.count == 32)
            let decoded = stride(from: 0, to: bytes.count, by: 4).map { offset in
                let bits = bytes[offset..<offset + 4].enumerated().reduce(UInt32(0)) {
                    $0 | UInt32($1.element) << (8 * UInt32($1.offset))
                }
                return Double(Float(bitPattern: bits))
            }
            for (component, expected) in zip(decoded, vector.compactMap(\.doubleValue)) {
                #expect(abs(component - expected) < 1e-6)
            }
        }
    }

    @Test("base64 vectors of every length mod 3 match Foundation's encoding")
    func base64Padding() async throws {
        try await withServer(try await makeBifrost(providers: [LengthEmbedder()])) { client, _ in
            let inputs = ["a", "ab", "abc", "abcd", "abcde"]
            let response = try await client.postJSON(
                "/v1/embeddings", #"{"model":"length/dims","input":["a","ab","abc","abcd","abcde"],"encoding_format":"base64"}"#)
            #expect(response.status == 200)
            guard case .array(let data)? = try response.json().objectField("data") else {
                Issue.record("no data in \(response.text)")
                return
            }
            for (item, input) in zip(data, inputs) {
                var bytes: [UInt8] = []
                for component in LengthEmbedder.vector(input) {
                    withUnsafeBytes(of: Float(component).bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
                }
                #expect(item.objectField("embedding") == .string(Data(bytes).base64EncodedString()))
            }
        }
    }

    @Test("malformed requests are 400s naming the field")
    func badRequests() async throws {
        try await withServer { client, _ in
            let cases: [(String, String?, String)] = [
                (#"{"model":"mock/embed"}"#, "input", "missing required field 'input'"),
                (#"{"input":"x"}"#, "model", "missing required field 'model'"),
                (#"{"model":7,"input":"x"}"#, "model", "non-empty string"),
                (#"{"model":"mock/embed","input":7}"#, "input", "a string or an array of strings"),
                (#"{"model":"mock/embed","input":""}"#, "input", "empty"),
                (#"{"model":"mock/embed","input":[]}"#, "input", "empty array"),
                (#"{"model":"mock/embed","input":["a",{}]}"#, "input", "'input[1]' must be a string"),
                (#"{"model":"mock/embed","input":[1,2,3]}"#, "input", "token ids"),
                (#"{"model":"mock/embed","input":"x","encoding_format":"hex"}"#, "encoding_format", "\"hex\""),
                (#"{"model":"mock/embed","input":"x","dimensions":0}"#, "dimensions", "at least 1"),
                (#"{"model":"mock/embed","input":"x","dimensions":"8"}"#, "dimensions", "at least 1"),
                (#"{"model":"mock/embed","input":"x","user":5}"#, "user", "'user' must be a string"),
                (#"["x"]"#, nil, "JSON object"),
                (#"{"model":"#, nil, "not valid JSON"),
            ]
            for (body, param, fragment) in cases {
                let response = try await client.postJSON("/v1/embeddings", body)
                #expect(response.status == 400, "\(body)")
                let error = try errorFields(response)
                #expect(error["type"] == "invalid_request_error", "\(body)")
                #expect(error["param"] == (param.map(JSONValue.string) ?? .null), "\(body)")
                #expect(error["message"]?.stringValue?.contains(fragment) == true, "\(body): \(response.text)")
            }
        }
    }

    @Test("an unknown model is a 404; a chat-only model is a 400")
    func unknownModel() async throws {
        try await withServer { client, _ in
            let unknown = try await client.postJSON("/v1/embeddings", #"{"model":"mock/nope","input":"x"}"#)
            #expect(unknown.status == 404)
            #expect(try errorFields(unknown)["code"] == "model_not_found")
            let noProvider = try await client.postJSON("/v1/embeddings", #"{"model":"nope/embed","input":"x"}"#)
            #expect(noProvider.status == 404)
            let chatOnly = try await client.postJSON("/v1/embeddings", #"{"model":"mock/echo","input":"x"}"#)
            #expect(chatOnly.status == 400)
            #expect(try errorFields(chatOnly)["code"] == "unsupported_operation")
        }
    }

    @Test("GET /v1/embeddings is a 405 with allow: POST")
    func wrongMethod() async throws {
        try await withServer { client, _ in
            let response = try await client.get("/v1/embeddings")
            #expect(response.status == 405)
            #expect(response.headers["allow"] == "POST")
        }
    }
}

/// Embeds a text as one component per character, so vectors have every length.
struct LengthEmbedder: Provider {
    let name = "length"
    let models = ["dims"]

    static func vector(_ text: String) -> [Double] { text.unicodeScalars.map { Double($0.value) / 100 - 0.5 } }

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        throw .invalidRequest("embeddings only")
    }

    func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> EmbeddingResponse
    {
        EmbeddingResponse(
            provider: name, model: request.model, vectors: request.inputs.map(Self.vector),
            usage: TokenUsage(promptTokens: request.inputs.count))
    }
}
