import BifrostCore
import NIOCore
import NIOHTTP1
import NIOPosix
public import NIOSSL

/// One request the fake upstream received.
public struct RecordedRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The request target.
    public var path: String
    /// Headers by lower-cased name.
    public var headers: [String: String]
    /// The body's bytes.
    public var body: [UInt8]

    /// The body as text.
    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// What the fake upstream does with a request.
public enum FakeReply: Sendable {
    /// A complete response.
    case json(status: Int = 200, body: String, headers: [(String, String)] = [])
    /// An SSE response: `chunks` written one by one, `delay` before each after the first, then the end.
    case sse(chunks: [String], delay: Duration = .zero)
    /// SSE chunks forever, `interval` apart, until the connection closes.
    case sseForever(interval: Duration)
    /// Never answers (the connection stays open).
    case hang
    /// Closes the connection without answering.
    case reset
    /// Sends the head of an SSE response and one chunk, then goes silent.
    case sseThenHang(first: String)
    /// Writes these bytes as they are (no HTTP framing added), then closes the connection.
    case raw(String)
    /// `events` OpenAI chunk events of `contentBytes` characters each, as fast as the socket
    /// takes them (each write of a batch waits until it is in the socket), then `[DONE]`; the content of
    /// event `n` starts with `n` and a space. ``FakeUpstream/bodyBytesWritten`` counts them.
    case sseFlood(events: Int, contentBytes: Int)
}

/// A small HTTP/1.1 server on 127.0.0.1 whose replies a test scripts; it records what it received.
///
/// ```swift
/// let upstream = try await FakeUpstream.start { _ in .json(body: #"{"choices":[]}"#) }
/// defer { Task { await upstream.stop() } }
/// ```
public final class FakeUpstream: Sendable {
    /// Decides the reply to each request.
    public typealias Handler = @Sendable (RecordedRequest) async -> FakeReply

    /// The bound port.
    public let port: Int
    private let channel: any Channel
    private let state = LockedValue(State())

    private struct State {
        public var requests: [RecordedRequest] = []
        public var closedConnections: [ContinuousClock.Instant] = []
        public var openedConnections = 0
        public var lastChunkWritten: ContinuousClock.Instant?
        public var bodyBytesWritten = 0
    }

    /// Every request received so far.
    public var requests: [RecordedRequest] { state.withLock { $0.requests } }
    /// How many connections were accepted.
    public var openedConnections: Int { state.withLock { $0.openedConnections } }
    /// When connections closed.
    public var closedConnections: [ContinuousClock.Instant] { state.withLock { $0.closedConnections } }
    /// When the last chunk of the last `.sse` reply was about to be written.
    public var lastChunkWritten: ContinuousClock.Instant? { state.withLock { $0.lastChunkWritten } }

    /// How many body bytes `.sseFlood` replies have written into their sockets so far.
    public var bodyBytesWritten: Int { state.withLock { $0.bodyBytesWritten } }

    /// `http://127.0.0.1:<port>/v1`, or `https://…` when the server speaks TLS.
    public var baseURL: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)/v1" }
    private let usesTLS: Bool

    private init(channel: any Channel, usesTLS: Bool) {
        self.channel = channel
        self.port = channel.localAddress?.port ?? 0
        self.usesTLS = usesTLS
    }

    /// Starts a server answering every request with `handler`'s reply, over TLS when `tls` is given.
    public static func start(tls: NIOSSLContext? = nil, _ handler: @escaping Handler) async throws -> FakeUpstream {
        let box = LockedValue<FakeUpstream?>(nil)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    box.withLock { $0 }?.state.withLock { $0.openedConnections += 1 }
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(
                        FakeUpstreamHandler(handler: handler, server: { box.withLock { $0 } }))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let server = FakeUpstream(channel: channel, usesTLS: tls != nil)
        box.withLock { $0 = server }
        return server
    }

    /// Stops listening. (Accepted connections close when their client closes them.)
    public func stop() async {
        try? await channel.close()
    }

    /// A port nothing listens on (bound, then released).
    public static func unusedPort() async throws -> Int {
        let server = try await start { _ in .hang }
        let port = server.port
        await server.stop()
        return port
    }

    fileprivate func record(_ request: RecordedRequest) { state.withLock { $0.requests.append(request) } }
    fileprivate func recordClose() { state.withLock { $0.closedConnections.append(.now) } }
    fileprivate func recordLastChunk() { state.withLock { $0.lastChunkWritten = .now } }
    fileprivate func recordWritten(_ bytes: Int) { state.withLock { $0.bodyBytesWritten += bytes } }
}

private final class FakeUpstreamHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let handler: FakeUpstream.Handler
    let server: @Sendable () -> FakeUpstream?
    var head: HTTPRequestHead?
    var body: [UInt8] = []

    init(handler: @escaping FakeUpstream.Handler, server: @escaping @Sendable () -> FakeUpstream?) {
        self.handler = handler
        self.server = server
    }

    func channelInactive(context: ChannelHandlerContext) {
        server()?.recordClose()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
        case .body(var buffer):
            body.append(contentsOf: buffer.readBytes(length: buffer.readableBytes) ?? [])
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            let request = RecordedRequest(method: head.method.rawValue, path: head.uri, headers: headers, body: body)
            server()?.record(request)
            let channel = context.channel
            let handler = handler
            let server = server
            Task {
                let reply = await handler(request)
                await performFakeReply(reply, on: channel, server: server)
            }
        }
    }

}

/// Writes a scripted reply on a connection.
private func performFakeReply(_ reply: FakeReply, on channel: any Channel, server: @Sendable () -> FakeUpstream?) async {
    func head(_ status: Int, _ headers: [(String, String)]) -> HTTPServerResponsePart {
        .head(HTTPResponseHead(version: .http1_1, status: .init(statusCode: status), headers: HTTPHeaders(headers)))
    }
    func chunk(_ text: String) -> HTTPServerResponsePart {
        .body(.byteBuffer(ByteBuffer(string: text)))
    }
    let sseHeaders = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]
    do {
        switch reply {
        case .json(let status, let text, let extra):
            let headers = [("content-type", "application/json"), ("content-length", "\(text.utf8.count)")] + extra
            try await channel.writeAndFlush(head(status, headers)).get()
            try await channel.writeAndFlush(chunk(text)).get()
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        case .sse(let chunks, let delay):
            try await channel.writeAndFlush(head(200, sseHeaders)).get()
            for (index, text) in chunks.enumerated() {
                if index > 0 && delay > .zero { try await Task.sleep(for: delay) }
                // Noted before the write: a client that stops at `[DONE]` may check before this task resumes after it.
                if index == chunks.count - 1 { server()?.recordLastChunk() }
                try await channel.writeAndFlush(chunk(text)).get()
            }
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        case .sseForever(let interval):
            try await channel.writeAndFlush(head(200, sseHeaders)).get()
            var count = 0
            while channel.isActive {
                count += 1
                let data = #"data: {"id":"c","choices":[{"index":0,"delta":{"content":"\#(count) "}}]}"#
                try await channel.writeAndFlush(chunk(data + "\n\n")).get()
                try await Task.sleep(for: interval)
            }
        case .sseFlood(let events, let contentBytes):
            try await channel.writeAndFlush(head(200, sseHeaders)).get()
            let padding = [UInt8](repeating: UInt8(ascii: "x"), count: contentBytes)
            // Events go out in writes of about 256 KiB, so the flood outruns any reader.
            let perWrite = max(1, (256 << 10) / (contentBytes + 64))
            for first in stride(from: 0, to: events, by: perWrite) {
                var batch = channel.allocator.buffer(capacity: perWrite * (contentBytes + 80))
                for number in first..<min(events, first + perWrite) {
                    batch.writeString(#"data: {"id":"f","choices":[{"index":0,"delta":{"content":""#)
                    batch.writeString(String(number))
                    batch.writeString(" ")
                    batch.writeBytes(padding)
                    batch.writeString(#""}}]}"# + "\n\n")
                }
                let size = batch.readableBytes
                try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(batch))).get()
                server()?.recordWritten(size)
            }
            try await channel.writeAndFlush(chunk("data: [DONE]\n\n")).get()
            try await channel.writeAndFlush(HTTPServerResponsePart.end(nil)).get()
        case .hang:
            break
        case .reset:
            try await channel.close()
        case .raw(let text):
            // Written below the HTTP handlers, straight to the socket.
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                let encoder = try pipeline.context(handlerType: HTTPResponseEncoder.self)
                encoder.writeAndFlush(NIOAny(ByteBuffer(string: text)), promise: nil)
            }.get()
            try await Task.sleep(for: .milliseconds(20))
            try await channel.close()
        case .sseThenHang(let first):
            try await channel.writeAndFlush(head(200, sseHeaders)).get()
            try await channel.writeAndFlush(chunk(first)).get()
        }
    } catch {
        // The client went away; nothing to do.
    }
}
