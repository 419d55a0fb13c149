import BifrostCore
import BifrostHTTP
import BifrostTestSupport
import Logging
import Testing

@Suite("Server lifecycle")
struct ServerLifecycleTests {
    @Test("binding a port in use throws an error naming host:port and the reason")
    func bindFailure() async throws {
        try await withServer { client, _ in
            let second = BifrostHTTPServer(
                bifrost: try await makeBifrost(), configuration: HTTPServerConfiguration(port: client.port),
                logger: quietLogger())
            do {
                _ = try await second.start()
                Issue.record("a second server bound port \(client.port)")
                try await second.shutdown()
            } catch let error as HTTPServerError {
                #expect(error.kind == .bindFailed)
                #expect(error.description.contains("127.0.0.1:\(client.port)"))
                #expect(error.description.contains("Address already in use"))
            }
            // The first server is unaffected.
            #expect(try await client.get("/health").status == 200)
        }
    }

    @Test("start twice is refused; shutdown twice is harmless")
    func startTwice() async throws {
        let server = BifrostHTTPServer(
            bifrost: try await makeBifrost(), configuration: HTTPServerConfiguration(port: 0), logger: quietLogger()
        )
        let port = try await server.start()
        #expect(port > 0)
        await #expect(throws: HTTPServerError.self) { _ = try await server.start() }
        try await server.shutdown()
        try await server.shutdown()
    }

    @Test("shutdown stops accepting and closes idle keep-alive connections")
    func shutdownClosesConnections() async throws {
        let server = BifrostHTTPServer(
            bifrost: try await makeBifrost(), configuration: HTTPServerConfiguration(port: 0), logger: quietLogger()
        )
        let port = try await server.start()
        let client = HTTPTestClient(port: port, timeout: .seconds(5))
        try await client.withConnection { connection in
            #expect(try await connection.send("GET", "/health").status == 200)
            try await server.shutdown()
            let rest = try await connection.readRaw(atLeast: 1)
            #expect(rest.isEmpty)
        }
        await #expect(throws: HTTPTestClientError.self) { _ = try await client.get("/health") }
    }

    @Test("shutdown lets a request in flight finish")
    func shutdownDrainsInFlight() async throws {
        let (entered, signal) = AsyncStream.makeStream(of: Void.self)
        let server = BifrostHTTPServer(
            bifrost: try await makeBifrost(
                [ChainEntry(SignallingPlugin(signal: signal))],
                providers: [MockProvider(latency: .milliseconds(200))]),
            configuration: HTTPServerConfiguration(port: 0), logger: quietLogger())
        let port = try await server.start()
        let client = HTTPTestClient(port: port)
        async let answer = client.postJSON("/v1/chat/completions", chatJSON("late"))
        // Shut down only once the request is inside the chain.
        for await _ in entered { break }
        try await server.shutdown()
        let response = try await answer
        #expect(response.status == 200)
        #expect(response.text.contains("Echo: late"))
    }
}
