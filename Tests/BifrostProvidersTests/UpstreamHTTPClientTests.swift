import BifrostCore
import BifrostProviders
import BifrostTestSupport
import NIOCore
import NIOSSL
import Testing

@Suite(.timeLimit(.minutes(1)))
struct UpstreamHTTPClientTests {
    static let completion = OpenAIProviderTests.completion

    static func chat(_ provider: OpenAIProvider) async throws(BifrostError) -> ChatResponse {
        try await provider.chatCompletion(OpenAIProviderTests.request(), credentials: testCredentials, context: RequestContext())
    }

    /// Connections are pooled per event loop; a caller that is not on one (a test) is given the
    /// loops in turn, so it ends up with at most one connection per loop.
    static func loops(_ http: UpstreamHTTPClient) -> Int {
        Array(http.eventLoopGroup.makeIterator()).count
    }

    @Test func sequentialRequestsShareKeepAliveConnections() async throws {
        try await withUpstream(reply: .json(body: Self.completion)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            for _ in 0..<20 { _ = try await Self.chat(provider) }
            #expect(server.requests.count == 20)
            #expect(server.openedConnections <= min(Self.loops(http), 19))
            let sent = try #require(server.requests.first)
            #expect(sent.headers["host"] == "127.0.0.1:\(server.port)")
            #expect(sent.headers["content-length"] == "\(sent.body.count)")
            #expect(sent.headers["transfer-encoding"] == nil)
        }
    }

    @Test func concurrentRequestsOpenConnectionsThatAreThenReused() async throws {
        try await withUpstream(reply: .json(body: Self.completion)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 { group.addTask { _ = try await Self.chat(provider) } }
                try await group.waitForAll()
            }
            let opened = server.openedConnections
            #expect((1...8).contains(opened))
            for _ in 0..<16 { _ = try await Self.chat(provider) }
            #expect(server.openedConnections <= max(opened, Self.loops(http)))
        }
    }

    @Test func aStreamEndsAtDoneAndItsConnectionIsReused() async throws {
        let chunks = [
            #"data: {"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}"# + "\n\n",
            "data: [DONE]\n\n",
        ]
        try await withUpstream(reply: .sse(chunks: chunks)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            for _ in 0..<6 {
                let stream = try await provider.chatCompletionStream(
                    OpenAIProviderTests.request(stream: true), credentials: testCredentials, context: RequestContext())
                var contents: [String] = []
                for try await chunk in stream { contents.append(chunk.choices.first?.content ?? "") }
                #expect(contents == ["Hi"])
                // The stream ended at [DONE]; the end of the body follows, then the connection is parked
                // (give that time under the thread sanitizer too).
                try await Task.sleep(for: .milliseconds(250))
            }
            #expect(server.openedConnections <= min(Self.loops(http), 5))
        }
    }

    @Test func parkedConnectionsCloseAfterTheIdleTimeout() async throws {
        let server = try await FakeUpstream.start { _ in .json(body: Self.completion) }
        // Long enough that the check right after the answer holds under the thread sanitizer too.
        let http = UpstreamHTTPClient(configuration: .init(idleTimeout: .seconds(1)))
        let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
        _ = try await Self.chat(provider)
        #expect(server.closedConnections.isEmpty)
        let waitStarted = ContinuousClock.now
        while server.closedConnections.isEmpty && ContinuousClock.now - waitStarted < .seconds(10) {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(server.closedConnections.count == 1)
        _ = try await Self.chat(provider)  // on a new connection
        #expect(server.openedConnections == 2)
        await http.shutdown()
        await server.stop()
    }

    @Test func aConnectionTheUpstreamClosesIsNotReused() async throws {
        let reply = FakeReply.json(body: Self.completion, headers: [("connection", "close")])
        try await withUpstream(reply: reply) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            for _ in 0..<3 { _ = try await Self.chat(provider) }
            #expect(server.openedConnections == 3)
        }
    }

    @Test(arguments: [
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n\(completion)",
        "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n10\r\n\(completion.prefix(16))\r\n"
            + "\(String(completion.utf8.count - 16, radix: 16))\r\n\(completion.dropFirst(16))\r\n0\r\n\r\n",
    ])
    func bodiesDelimitedByCloseOrChunksAreRead(raw: String) async throws {
        try await withUpstream(reply: .raw(raw)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let response = try await Self.chat(provider)
            #expect(response.choices.first?.content == "Hello there")
        }
    }

    @Test func aResponseThatIsNotHTTPIs502Malformed() async throws {
        try await withUpstream(reply: .raw("SSH-2.0-OpenSSH_9.6\r\n\r\n")) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            let error = try #require(await bifrostError { () async throws(BifrostError) in try await Self.chat(provider) })
            #expect(error.status == 502)
            #expect(error.code == "malformed_response")
            #expect(error.source == .provider("openai"))
        }
    }

    @Test func httpsWithATrustedCertificateWorksByNameAndByAddress() async throws {
        let server = try await FakeUpstream.start(tls: try TestCertificate.serverContext()) { _ in .json(body: Self.completion) }
        let http = UpstreamHTTPClient(configuration: .init(tls: try TestCertificate.trustingClientConfiguration()))
        for host in ["localhost", "127.0.0.1"] {
            let provider = OpenAIProvider(
                settings: testSettings(baseURL: "https://\(host):\(server.port)/v1"), httpClient: http)
            let response = try await Self.chat(provider)
            #expect(response.choices.first?.content == "Hello there")
        }
        await http.shutdown()
        await server.stop()
        #expect(server.requests.count == 2)
    }

    @Test func httpsWithAnUntrustedCertificateIs502() async throws {
        let server = try await FakeUpstream.start(tls: try TestCertificate.serverContext()) { _ in .json(body: Self.completion) }
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
        let error = await bifrostError { () async throws(BifrostError) in try await Self.chat(provider) }
        await http.shutdown()
        await server.stop()
        #expect(error?.status == 502)
        #expect(error?.code == "upstream_unreachable")
        #expect(error?.message.contains("TLS") == true)
        #expect(server.requests.isEmpty)
    }

    @Test func anInvalidBaseURLIs502WithTheReason() async throws {
        let http = UpstreamHTTPClient()
        let provider = OpenAIProvider(settings: testSettings(baseURL: "ftp://127.0.0.1/v1"), httpClient: http)
        let error = await bifrostError { () async throws(BifrostError) in try await Self.chat(provider) }
        await http.shutdown()
        #expect(error?.status == 502)
        #expect(error?.code == "upstream_unreachable")
        #expect(error?.message.contains("the scheme must be http or https") == true)
    }

    @Test func aShutDownClientRefusesNewRequests() async throws {
        try await withUpstream(reply: .json(body: Self.completion)) { server, http in
            let provider = OpenAIProvider(settings: testSettings(baseURL: server.baseURL), httpClient: http)
            _ = try await Self.chat(provider)
            await http.shutdown()
            let error = await bifrostError { () async throws(BifrostError) in try await Self.chat(provider) }
            #expect(error?.status == 502)
            #expect(error?.message.contains("shut down") == true)
        }
    }

    @Test(arguments: [
        ("http://127.0.0.1:8080/v1/chat/completions", false, "127.0.0.1", 8080, "/v1/chat/completions", "127.0.0.1:8080"),
        ("https://api.openai.com/v1/models?limit=5", true, "api.openai.com", 443, "/v1/models?limit=5", "api.openai.com"),
        ("HTTP://[::1]:11434", false, "::1", 11434, "/", "[::1]:11434"),
        ("http://example.com?x=1#top", false, "example.com", 80, "/?x=1", "example.com"),
    ])
    func urlsSplitIntoEndpointAndTarget(
        url: String, tls: Bool, host: String, port: Int, target: String, hostHeader: String
    ) throws {
        let parsed = try UpstreamEndpoint.parse(url)
        #expect(parsed.endpoint == UpstreamEndpoint(usesTLS: tls, host: host, port: port))
        #expect(parsed.target == target)
        #expect(parsed.endpoint.hostHeader == hostHeader)
    }

    @Test(arguments: [
        ("api.openai.com/v1", "expected an absolute URL"),
        ("ftp://example.com", "the scheme must be http or https"),
        ("http://user:pw@example.com/", "credentials in the URL"),
        ("http://example.com:99999/", "the port must be a number"),
        ("http:///v1", "the URL has no host"),
        ("http://[::1/v1", "unterminated IPv6 address"),
    ])
    func badURLsSayWhatIsWrong(url: String, reason: String) {
        #expect(throws: UpstreamURLError.self) { try UpstreamEndpoint.parse(url) }
        do {
            _ = try UpstreamEndpoint.parse(url)
        } catch {
            #expect(error.reason.contains(reason))
            #expect(error.description.contains(url))
        }
    }
}

/// A self-signed certificate for `localhost` and `127.0.0.1` (P-256, valid until 2126), made with
/// `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
/// -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1`.
enum TestCertificate {
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBmjCCAUGgAwIBAgIUQgNvpVC/wDTC1DOHsG/WufVCV0gwCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEyNTE5MDQ1MloYDzIxMjYxMTAx
        MTkwNDUyWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAARwuwsNXvGdQeWwSlpsoUTqEHJIksr6L+lxe9JNHZZbHKaicbxfLXk5
        fz7213ZXLSBezJt/dF/9jm4QzNXU3M1Ro28wbTAdBgNVHQ4EFgQUKJOufgShBtJd
        gzK24tZu9VmYWTcwHwYDVR0jBBgwFoAUKJOufgShBtJdgzK24tZu9VmYWTcwDwYD
        VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
        zj0EAwIDRwAwRAIgRM/Wgxzk4A39t0L07+xGKXIBTO2NIcr4PNvyopYv3pQCIDJb
        k01GNaK6yUJJLYr1/oXaB54TGAUH96j0LDktGoJ5
        -----END CERTIFICATE-----
        """
    static let privateKeyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg5yuxhHlNSjMMpz+9
        NEIDYR7F92NJhDL4mlrvwm2vaIihRANCAARwuwsNXvGdQeWwSlpsoUTqEHJIksr6
        L+lxe9JNHZZbHKaicbxfLXk5fz7213ZXLSBezJt/dF/9jm4QzNXU3M1R
        -----END PRIVATE KEY-----
        """

    static func serverContext() throws -> NIOSSLContext {
        let configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem))],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)))
        return try NIOSSLContext(configuration: configuration)
    }

    static func trustingClientConfiguration() throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .certificates([try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)])
        return configuration
    }
}
