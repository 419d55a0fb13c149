import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

@Suite("errors of the HTTP parser have OpenAI's JSON shape")
struct ProtocolErrorTests {
    static let chunkedPrefix =
        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"

    @Test(arguments: [
        ("GARBAGE\r\n\r\n", 400, "malformed HTTP request"),
        ("BREW /v1/models HTTP/1.1\r\nHost: x\r\n\r\n", 400, "the method is not one this server knows"),
        ("GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 400, "HTTP version"),
        ("GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n", 400, "header"),
        (chunkedPrefix + "zz\r\n{}\r\n0\r\n\r\n", 400, "chunk size"),
        ("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 100 * 1024) + "\r\n\r\n", 431, "exceed"),
    ])
    func parserErrorsAnswerWithJSON(request: String, status: Int, message: String) async throws {
        try await withServer { client, _ in
            let responses = try HTTPTestResponse.parseAll(try await client.sendRaw(Array(request.utf8)))
            let response = try #require(responses.first, "an answer, not a closed connection")
            #expect(response.status == status)
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["connection"] == "close")
            let error = try errorFields(response)
            #expect(error["message"]?.stringValue?.contains(message) == true, "\(response.text)")
            #expect(error["type"] == "invalid_request_error")

            let health = try await client.get("/health")
            #expect(health.status == 200, "other clients are served")
        }
    }
}
