import BifrostCore
import BifrostHTTP
import BifrostLibrary
import BifrostTestSupport
import Testing

extension HTTPServerConfiguration {
    /// A test server's configuration (127.0.0.1, a free port) with some limits changed.
    static func limited(_ adjust: (inout HTTPServerConfiguration) -> Void) -> HTTPServerConfiguration {
        var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(2))
        adjust(&configuration)
        return configuration
    }
}

/// A server with short client-side limits, for tests that wait them out.
func withLimitedServer<Result: Sendable>(
    _ configuration: HTTPServerConfiguration, _ body: (HTTPTestClient) async throws -> Result
) async throws -> Result {
    try await withServer(configuration: configuration) { client, _ in try await body(client) }
}

@Suite("client-side limits: stalled heads and bodies, idle keep-alive, connection and header limits")
struct ClientLimitsTests {
    /// Everything the server sends until it closes, and how long that took.
    static func untilClosed(_ connection: HTTPTestConnection) async throws -> (String, Duration) {
        let started = ContinuousClock.now
        let bytes = try await connection.readRaw(atLeast: .max)
        return (String(decoding: bytes, as: UTF8.self), ContinuousClock.now - started)
    }

    @Test("a head that never completes gets 408 within the header timeout, even trickling a byte at a time")
    func stalledHead() async throws {
        try await withLimitedServer(.limited { $0.headerTimeout = .milliseconds(400) }) { client in
            try await client.withConnection { connection in
                let started = ContinuousClock.now
                for byte in "GET /health HTTP/1.1\r\nHo".utf8 {
                    guard ContinuousClock.now - started < .milliseconds(600) else { break }
                    try? await connection.write([byte])
                    try await Task.sleep(for: .milliseconds(50))
                }
                let (answer, _) = try await Self.untilClosed(connection)
                #expect(ContinuousClock.now - started < .seconds(3))
                #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
                #expect(answer.contains("the request head did not arrive within 400 ms"))
                #expect(answer.contains(#""type":"invalid_request_error""#))
            }
            #expect(try await client.get("/health").status == 200, "others are served")
        }
    }

    @Test("a body that stalls gets 408 after the body idle timeout")
    func stalledBody() async throws {
        try await withLimitedServer(.limited { $0.bodyIdleTimeout = .milliseconds(300) }) { client in
            try await client.withConnection { connection in
                try await connection.write(
                    Array(
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":"
                            .utf8
                    ))
                let (answer, elapsed) = try await Self.untilClosed(connection)
                #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
                #expect(answer.contains("the request body stalled for 300 ms"))
                #expect(elapsed < .seconds(3))
            }
        }
    }

    @Test("a body that trickles beyond the total body timeout gets 408")
    func slowBody() async throws {
        try await withLimitedServer(.limited { $0.bodyTimeout = .milliseconds(400) }) { client in
            try await client.withConnection { connection in
                try await connection.write(
                    Array("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".utf8))
                let started = ContinuousClock.now
                while ContinuousClock.now - started < .milliseconds(700) {
                    try? await connection.write(Array(" ".utf8))
                    try await Task.sleep(for: .milliseconds(50))
                }
                let (answer, _) = try await Self.untilClosed(connection)
                #expect(answer.contains("did not arrive within 400 ms of its head"), "\(answer)")
            }
        }
    }

    @Test("an idle keep-alive connection is closed quietly after the keep-alive timeout")
    func idleKeepAlive() async throws {
        // Long enough that a busy machine sends the first request in time.
        try await withLimitedServer(.limited { $0.keepAliveIdleTimeout = .seconds(1) }) { client in
            try await client.withConnection { connection in
                #expect(try await connection.send("GET", "/health").status == 200)
                let (rest, elapsed) = try await Self.untilClosed(connection)
                #expect(rest.isEmpty, "closed without a word")
                #expect(elapsed >= .milliseconds(800) && elapsed < .seconds(5))
            }
        }
    }

    @Test("a long answer is not cut by the keep-alive or header limits")
    func answeringIsNotTimed() async throws {
        var configuration = BifrostConfiguration(
            account: NoProviders(), providers: [MockProvider(latency: .milliseconds(500))], logger: quietLogger())
        configuration.drainTimeout = .seconds(2)
        let bifrost = try await Bifrost(configuration: configuration)
        var server = HTTPServerConfiguration(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(2))
        server.keepAliveIdleTimeout = .seconds(1)
        server.headerTimeout = .seconds(1)
        let http = BifrostHTTPServer(bifrost: bifrost, configuration: server, logger: quietLogger())
        let client = HTTPTestClient(port: try await http.start())
        let events = try await client.withEventStream(
            "POST", "/v1/chat/completions", body: Array(chatJSON("one two three four", extra: #","stream":true"#).utf8)
        ) { try await $0.collect() }
        #expect(events.last?.data == "[DONE]", "a stream of about 3 s outlived both 1 s limits")
        try await http.shutdown()
        await bifrost.shutdown()
    }

    @Test("beyond max_connections a connection gets 503 in OpenAI's shape; one closing makes room")
    func connectionLimit() async throws {
        try await withLimitedServer(.limited { $0.maxConnections = 2 }) { client in
            try await client.withConnection { second in
                try await client.withConnection { first in
                    #expect(try await first.send("GET", "/health").status == 200)
                    #expect(try await second.send("GET", "/health").status == 200)
                    try await client.withConnection { third in
                        let (answer, _) = try await Self.untilClosed(third)
                        #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer)")
                        #expect(answer.contains("too_many_connections"))
                    }
                }
                // The server notices the close when its loop next runs: allow a busy machine a moment.
                var status = 0
                let started = ContinuousClock.now
                while status != 200 && ContinuousClock.now - started < .seconds(5) {
                    try await Task.sleep(for: .milliseconds(50))
                    status = try await client.get("/health").status
                }
                #expect(status == 200, "the first closing made room")
            }
        }
    }

    @Test(
        "heads over the byte or field-count limit get 431 with a JSON body",
        arguments: [
            "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 2000) + "\r\n\r\n",
            "GET /health HTTP/1.1\r\nHost: x\r\n" + (1...20).map { "X-H\($0): v\r\n" }.joined() + "\r\n",
        ])
    func headLimits(request: String) async throws {
        try await withLimitedServer(
            .limited {
                $0.maxHeaderBytes = 1024
                $0.maxHeaderCount = 10
            }
        ) { client in
            let responses = try HTTPTestResponse.parseAll(try await client.sendRaw(Array(request.utf8)))
            #expect(responses.first?.status == 431)
            #expect(responses.first?.headers["content-type"] == "application/json")
        }
    }
}
