import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Testing

@Suite("Connections: keep-alive, pipelining, limits, malformed HTTP")
struct ConnectionTests {
    @Test("100 sequential requests on one kept-alive connection")
    func keepAlive() async throws {
        try await withServer { client, _ in
            try await client.withConnection { connection in
                for index in 0..<100 {
                    let response: HTTPTestResponse
                    if index.isMultiple(of: 2) {
                        response = try await connection.send(
                            "POST", "/v1/chat/completions", headers: ["Content-Type": "application/json"],
                            body: Array(chatJSON("n\(index)").utf8))
                        #expect(response.text.contains("Echo: n\(index)"))
                    } else {
                        response = try await connection.send("GET", "/health")
                    }
                    #expect(response.status == 200)
                    #expect(response.headers["connection"] == nil)
                }
                // Errors keep the connection too.
                let missing = try await connection.send("GET", "/missing")
                #expect(missing.status == 404)
                let after = try await connection.send("GET", "/health")
                #expect(after.status == 200)
            }
        }
    }

    @Test("pipelined requests are answered in order on one connection")
    func pipelining() async throws {
        try await withServer(try await makeBifrost(providers: [MockProvider(latency: .milliseconds(5))])) {
            client, _ in
            var bytes: [UInt8] = []
            for index in 0..<10 {
                let body = chatJSON("p\(index)")
                let last = index == 9 ? "Connection: close\r\n" : ""
                let chat =
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-request-id: chat-\(index)\r\n"
                    + "Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\(last)\r\n\(body)"
                let health = "GET /health HTTP/1.1\r\nHost: x\r\nx-request-id: health-\(index)\r\n\r\n"
                bytes += Array((health + chat).utf8)
            }
            let responses = try HTTPTestResponse.parseAll(try await client.sendRaw(bytes))
            #expect(responses.count == 20)
            for (position, response) in responses.enumerated() {
                let index = position / 2
                if position.isMultiple(of: 2) {
                    #expect(response.headers["x-request-id"] == "health-\(index)")
                    #expect(response.text == #"{"status":"ok"}"#)
                } else {
                    #expect(response.headers["x-request-id"] == "chat-\(index)")
                    #expect(response.text.contains("Echo: p\(index)"))
                }
            }
            #expect(responses.last?.headers["connection"] == "close")
        }
    }

    @Test(
        "a request sent while the answer before it is due is answered after it; a malformed one after the answer",
        arguments: [false, true])
    func aRequestSentWhileAnAnswerIsDue(malformed: Bool) async throws {
        try await withServer(try await makeBifrost(providers: [MockProvider(latency: .milliseconds(150))])) {
            client, _ in
            try await client.withConnection { connection in
                let body = chatJSON("first")
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                            .utf8))
                try await Task.sleep(for: .milliseconds(50))
                try await connection.write(
                    Array((malformed ? "BREW / HTCPCP/1.0\r\n\r\n" : "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").utf8))
                let first = try await connection.readResponse(method: "POST")
                #expect(first.status == 200)
                #expect(first.text.contains("Echo: first"))
                let second = try await connection.readResponse()
                #expect(second.status == (malformed ? 400 : 200))
                #expect(malformed ? second.headers["connection"] == "close" : second.text == #"{"status":"ok"}"#)
            }
        }
    }

    @Test("Connection: close is honoured: the answer says so and the server closes")
    func connectionClose() async throws {
        try await withServer { client, _ in
            let bytes = try await client.sendRaw(
                Array(
                    "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                        .utf8))
            let responses = try HTTPTestResponse.parseAll(bytes)
            #expect(responses.count == 1)
            #expect(responses.first?.headers["connection"] == "close")
        }
    }

    @Test("HTTP/1.0 without keep-alive is closed after one answer; with keep-alive it stays open")
    func http10() async throws {
        try await withServer { client, _ in
            let closed = try HTTPTestResponse.parseAll(
                try await client.sendRaw(Array("GET /health HTTP/1.0\r\n\r\n".utf8)))
            #expect(closed.map(\.status) == [200])

            let kept = try HTTPTestResponse.parseAll(
                try await client.sendRaw(
                    Array(
                        "GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\nGET /health HTTP/1.0\r\n\r\n"
                            .utf8)))
            #expect(kept.map(\.status) == [200, 200])
            #expect(kept.first?.headers["connection"] == "keep-alive")
        }
    }

    @Test(
        "a Content-Length over the limit is a 413 at once and the connection closes; the server serves on"
    )
    func bodyOverLimit() async throws {
        try await withServer(maxBodyBytes: 1024) { client, _ in
            let big = chatJSON(String(repeating: "x", count: 2000))
            let response = try await client.postJSON("/v1/chat/completions", big)
            #expect(response.status == 413)
            #expect(response.headers["connection"] == "close")
            #expect(response.headers["x-request-id"] != nil)
            let error = try errorFields(response)
            #expect(error["type"] == "invalid_request_error")
            #expect(error["code"] == "request_too_large")
            #expect(error["message"]?.stringValue?.contains("1024 bytes") == true)

            // A body far larger than socket buffers: the answer still arrives, not a reset.
            let huge = try await client.send(
                "POST", "/v1/chat/completions", body: [UInt8](repeating: UInt8(ascii: "x"), count: 4 << 20))
            #expect(huge.status == 413)

            // The server closes that connection rather than reading the next request.
            let raw = try await client.sendRaw(
                Array(
                    "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n\(String(repeating: "y", count: 5000))GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
                        .utf8))
            #expect(try HTTPTestResponse.parseAll(raw).map(\.status) == [413])

            let small = try await client.postJSON("/v1/chat/completions", chatJSON("small"))
            #expect(small.status == 200)
            #expect(small.text.contains("Echo: small"))
        }
    }

    @Test("a body exactly at the limit is accepted")
    func bodyAtLimit() async throws {
        let base = chatJSON("")
        try await withServer(maxBodyBytes: base.utf8.count + 10) { client, _ in
            let atLimit = try await client.postJSON("/v1/chat/completions", chatJSON("0123456789"))
            #expect(atLimit.status == 200)
            let over = try await client.postJSON("/v1/chat/completions", chatJSON("0123456789a"))
            #expect(over.status == 413)
        }
    }

    @Test("a chunked body that grows past the limit is a 413; a small chunked body is fine")
    func chunkedOverLimit() async throws {
        try await withServer(maxBodyBytes: 1024) { client, _ in
            var request =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
            for _ in 0..<8 { request += "100\r\n" + String(repeating: "z", count: 256) + "\r\n" }
            request += "0\r\n\r\n"
            let responses = try HTTPTestResponse.parseAll(try await client.sendRaw(Array(request.utf8)))
            #expect(responses.map(\.status) == [413])
            #expect(try responses.first.map(errorFields)?["code"] == "request_too_large")

            let body = Array(chatJSON("chunky").utf8)
            let half = body.count / 2
            let chunked =
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                + String(half, radix: 16) + "\r\n" + String(decoding: body[..<half], as: UTF8.self) + "\r\n"
                + String(body.count - half, radix: 16) + "\r\n"
                + String(decoding: body[half...], as: UTF8.self)
                + "\r\n0\r\n\r\n"
            let ok = try HTTPTestResponse.parseAll(try await client.sendRaw(Array(chunked.utf8)))
            #expect(ok.map(\.status) == [200])
            #expect(ok.first?.text.contains("Echo: chunky") == true)
        }
    }

    @Test("Expect: 100-continue gets 100 Continue before the body")
    func expectContinue() async throws {
        try await withServer { client, _ in
            let body = chatJSON("continued")
            try await client.withConnection { connection in
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: \(body.utf8.count)\r\n\r\n"
                            .utf8))
                let interim = try await connection.readRaw(atLeast: 12)
                #expect(text(interim).hasPrefix("HTTP/1.1 100 Continue"))
                try await connection.write(Array(body.utf8))
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text.contains("Echo: continued"))
            }
        }
    }

    @Test("malformed HTTP gets a 400 and a closed connection; other connections keep working")
    func malformedHTTP() async throws {
        try await withServer { client, _ in
            try await client.withConnection { idle in
                #expect(try await idle.send("GET", "/health").status == 200)

                let garbage: [[UInt8]] = [
                    Array("THIS IS NOT HTTP\r\n\r\n".utf8),
                    Array("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n".utf8),
                    Array("GET /health HTTP/1.1\r\nBad Header Line\r\n\r\n".utf8),
                    [0x00, 0xFF, 0x10, 0x0D, 0x0A, 0x0D, 0x0A],
                ]
                for bytes in garbage {
                    let answer = text(try await client.sendRaw(bytes))
                    #expect(answer.isEmpty || answer.hasPrefix("HTTP/1.1 400"))
                }
                // A valid request followed by garbage: the valid one is answered first.
                let mixed = try await client.sendRaw(
                    Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n".utf8))
                #expect(text(mixed).hasPrefix("HTTP/1.1 200 OK"))
                #expect(text(mixed).contains(#"{"status":"ok"}"#))

                #expect(try await idle.send("GET", "/health").status == 200)
                #expect(try await client.postJSON("/v1/chat/completions", chatJSON()).status == 200)
            }
        }
    }

    @Test("a client that half-closes after its request still gets the answer")
    func halfClose() async throws {
        try await withServer(try await makeBifrost(providers: [MockProvider(latency: .milliseconds(20))])) {
            client, _ in
            let body = chatJSON("half")
            try await client.withConnection { connection in
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                            .utf8))
                connection.shutdownOutput()
                let response = try await connection.readResponse()
                #expect(response.status == 200)
                #expect(response.text.contains("Echo: half"))
                // Then the server closes (it may learn of the half-close only after answering).
                #expect(try await connection.readRaw(atLeast: 1).isEmpty)
            }
        }
    }

    @Test("a client that disconnects mid-request does not disturb the server")
    func clientGoesAway() async throws {
        try await withServer(try await makeBifrost(providers: [MockProvider(latency: .milliseconds(200))])) {
            client, _ in
            let body = chatJSON("gone")
            try await client.withConnection { connection in
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                            .utf8))
            }
            try await client.withConnection { connection in
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{".utf8))
            }
            #expect(try await client.get("/health").status == 200)
        }
    }
}
