public import BifrostCore
import BifrostWire
public import Logging
import NIOCore
import NIOHTTP1

/// The HTTP layer every provider shares: one attempt of one request to an upstream API.
///
/// It applies the provider's timeouts, keeps the secret out of every error and log line, and turns
/// every failure into a ``BifrostError`` in OpenAI's shape, with `source: .provider(name)`:
///
/// | failure | status | `type` / `code` |
/// |---|---|---|
/// | upstream answered 4xx/5xx | same status | the upstream's type, code and message (OpenAI's or Anthropic's error JSON); `retry-after`, `retry-after-ms` kept in `headers` |
/// | connection refused, DNS failure, bad URL | 502 | `upstream_error` / `upstream_unreachable` |
/// | connection reset or closed early, stream cut short | 502 | `upstream_error` / `upstream_reset` |
/// | connect timeout, no response within `timeouts.request`, stream idle longer than `timeouts.streamIdle` | 504 | `upstream_error` / `upstream_timeout` |
/// | unreadable 2xx body or stream event | 502 | `upstream_error` / `malformed_response` |
/// | the caller's task was cancelled | 499 | `request_cancelled` |
///
/// ```swift
/// let client = UpstreamClient(provider: "openai", httpClient: http, timeouts: settings.timeouts, logger: logger)
/// let response = try await client.send(UpstreamRequest(url: "https://api.openai.com/v1/chat/completions",
///                                                      headers: headers, body: body))
/// ```
public struct UpstreamClient: Sendable {
    /// The provider's name, for errors and logs.
    public let provider: String
    /// The shared HTTP client.
    public let httpClient: UpstreamHTTPClient
    /// The provider's timeouts.
    public let timeouts: ProviderSettings.Timeouts
    /// Where request outcomes are logged, at debug level (never with secrets).
    public let logger: Logger
    /// The wire format of the upstream's error bodies, kept on errors for clients of that format.
    public let wireFormat: WireFormat?

    /// The largest 2xx body read whole; a larger one is a 502 `malformed_response`.
    static let maxBodyBytes = 256 << 20
    /// The most of an error body kept for its message.
    static let maxErrorBodyBytes = 1 << 20

    /// Creates a client for one provider over a shared ``UpstreamHTTPClient``.
    ///
    /// ```swift
    /// let client = UpstreamClient(provider: "openai", httpClient: http, timeouts: .init(request: .seconds(30)))
    /// ```
    public init(
        provider: String, httpClient: UpstreamHTTPClient, timeouts: ProviderSettings.Timeouts,
        logger: Logger = Logger(label: "bifrost.upstream"), wireFormat: WireFormat? = nil
    ) {
        self.wireFormat = wireFormat
        self.provider = provider
        self.httpClient = httpClient
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Sends a request and reads the whole 2xx body, within `timeouts.request`.
    ///
    /// The exchange runs on the caller's event loop when the caller runs on one (as HTTP requests
    /// do): one promise, no extra task, and no timer of its own (the connection's timer serves it).
    ///
    /// ```swift
    /// let response = try await client.send(request)
    /// let chat = try ChatResponse(openAIJSON: response.body, provider: "openai")
    /// ```
    public func send(_ request: UpstreamRequest) async throws(BifrostError) -> UpstreamResponse {
        let response = try await exchange(request, bodyLimit: Self.maxBodyBytes)
        if !(200..<300).contains(response.status) {
            throw upstreamError(status: response.status, headers: response.headers, body: response.body, secret: request.secret)
        }
        return response
    }

    /// Sends a request and reads its whole answer, whatever the status, within `timeouts.request`
    /// (a plugin's callout). A body longer than `bodyLimit` bytes fails with 502 and code
    /// ``responseTooLargeCode``, the exchange cut there.
    ///
    /// ```swift
    /// let answer = try await client.exchange(UpstreamRequest(method: "GET", url: "http://127.0.0.1:9000/check"), bodyLimit: 1 << 20)
    /// ```
    public func exchange(_ request: UpstreamRequest, bodyLimit: Int) async throws(BifrostError) -> UpstreamResponse {
        let started = ContinuousClock.now
        let pool = httpClient.pool()
        let exchange = CollectingExchange(
            promise: pool.eventLoop.makePromise(), limit: bodyLimit, requestTimeout: timeouts.request)
        let response: UpstreamResponse
        do {
            response = try await run(exchange, request, on: pool, until: exchange.promise.futureResult)
        } catch let error as UpstreamResponseTooLarge where bodyLimit < Self.maxBodyBytes {
            throw BifrostError(
                status: 502, type: "upstream_error", code: Self.responseTooLargeCode,
                message: "the answer's body is longer than \(error.limit) bytes", source: .provider(provider))
        } catch {
            throw classify(error, request: request, started: started)
        }
        log(request, status: response.status, started: started)
        return response
    }

    /// The code of the error ``exchange(_:bodyLimit:)`` throws for a body over its limit.
    public static let responseTooLargeCode = "response_too_large"

    /// Sends a request and opens its 2xx body as a stream of chunks.
    ///
    /// The response head and the first body bytes must arrive within `timeouts.request`; after that
    /// each piece must follow the previous one within `timeouts.streamIdle`, or the stream ends with a
    /// 504. An error status is read and thrown here, before any chunk. `decoder` turns server-sent
    /// events into chunks on the connection's event loop, which are forwarded as they arrive; the
    /// stream ends at the decoder's end marker (the rest of the body is drained so the connection
    /// can be reused). Cancelling the stream's consumer closes the upstream connection.
    ///
    /// Back-pressure: when ``UpstreamHTTPClient/Configuration/streamBufferChunks`` chunks wait
    /// for the consumer, the connection stops reading its socket until the consumer has taken
    /// half of them, so the upstream is slowed by TCP rather than buffered in memory. A consumer
    /// that takes nothing for `timeouts.streamIdle` while reading is paused ends the stream.
    ///
    /// ```swift
    /// let stream = try await client.stream(request, decoder: OpenAIChunkDecoder(provider: "openai", model: "gpt-4o"))
    /// ```
    public func stream<Decoder: ServerSentEventChunkDecoder>(_ request: UpstreamRequest, decoder: Decoder)
        async throws(BifrostError) -> ChatStream
    {
        let started = ContinuousClock.now
        let pool = httpClient.pool()
        let buffer = ChatChunkBuffer(capacity: httpClient.configuration.streamBufferChunks)
        let exchange = StreamingExchange(
            client: self, request: request, started: started, decoder: decoder, opened: pool.eventLoop.makePromise(),
            buffer: buffer)
        buffer.onDemand { pool.eventLoop.execute { exchange.resumeReading() } }
        buffer.onCancel { pool.eventLoop.execute { exchange.cancel() } }
        do {
            try await run(exchange, request, on: pool, until: exchange.opened.futureResult)
        } catch {
            buffer.finish()
            throw classify(error, request: request, started: started)
        }
        return ChatStream(buffer)
    }

    /// Starts `exchange` on `pool` within the provider's timeouts and waits for `answered`;
    /// cancelling the caller cancels the exchange (its connection is closed).
    private func run<Value: Sendable>(
        _ exchange: UpstreamExchange, _ request: UpstreamRequest, on pool: UpstreamConnectionPool,
        until answered: EventLoopFuture<Value>
    ) async throws -> Value {
        httpClient.start(
            exchange, request: request, deadline: .now() + TimeAmount(timeouts.request),
            connectTimeout: TimeAmount(timeouts.connect), on: pool)
        return try await withTaskCancellationHandler {
            try await answered.get()
        } onCancel: {
            pool.eventLoop.execute { exchange.cancel() }
        }
    }

    func log(_ request: UpstreamRequest, status: Int, started: ContinuousClock.Instant) {
        logger.debug(
            "upstream answered",
            metadata: [
                "provider": "\(provider)", "key": "\(request.keyID)", "url": "\(request.url)", "status": "\(status)",
                "ms": "\((ContinuousClock.now - started).wholeMilliseconds)",
            ])
    }

    static func fields(_ headers: HTTPHeaders) -> HeaderFields {
        var fields = HeaderFields()
        for (name, value) in headers { fields.add(name: name, value: value) }
        return fields
    }
}

/// Reads a whole response into a promise.
final class CollectingExchange: UpstreamExchange, @unchecked Sendable {
    let promise: EventLoopPromise<UpstreamResponse>
    private let limit: Int
    private let requestTimeout: Duration
    private var head: HTTPResponseHead?
    private var body: ByteBuffer?

    init(promise: EventLoopPromise<UpstreamResponse>, limit: Int, requestTimeout: Duration) {
        self.promise = promise
        self.limit = limit
        self.requestTimeout = requestTimeout
    }

    override var timeoutReason: String {
        "no complete response from upstream within \(requestTimeout.wholeMilliseconds) ms"
    }

    override func receivedHead(_ head: HTTPResponseHead) {
        self.head = head
    }

    override func receivedBody(_ buffer: ByteBuffer) {
        if body == nil {
            body = buffer
        } else {
            var buffer = buffer
            body!.writeBuffer(&buffer)
        }
        if body!.readableBytes > limit { abort(UpstreamResponseTooLarge(limit: limit)) }
    }

    override func receivedEnd() {
        guard let head else { return promise.fail(UpstreamConnectionClosed()) }
        var body = body ?? ByteBuffer()
        promise.succeed(
            UpstreamResponse(
                status: Int(head.status.code), headers: UpstreamClient.fields(head.headers),
                body: body.readBytes(length: body.readableBytes) ?? []))
    }

    override func failed(_ error: any Error) {
        promise.fail(error)
    }
}

/// Decodes a streamed response into chunks as its pieces arrive.
final class StreamingExchange<Decoder: ServerSentEventChunkDecoder>: UpstreamExchange, @unchecked Sendable {
    /// Succeeds at a 2xx head; fails with the upstream's error, or why there was no answer.
    let opened: EventLoopPromise<Void>
    private let buffer: ChatChunkBuffer
    private let client: UpstreamClient
    private let request: UpstreamRequest
    private let started: ContinuousClock.Instant
    private var parser = ServerSentEventParser()
    private var decoder: Decoder
    /// The head of an error answer, whose body is being read for its message.
    private var errorHead: HTTPResponseHead?
    private var errorBody = ByteBuffer()
    private var isOpen = false
    private var isFlowing = false
    /// Whether the chunk stream ended (the connection may still be draining).
    private var isFinished = false
    /// Whether reading is paused because the buffer is full.
    private var isPaused = false

    init(
        client: UpstreamClient, request: UpstreamRequest, started: ContinuousClock.Instant, decoder: Decoder,
        opened: EventLoopPromise<Void>, buffer: ChatChunkBuffer
    ) {
        self.client = client
        self.request = request
        self.started = started
        self.decoder = decoder
        self.opened = opened
        self.buffer = buffer
    }

    override var timeoutReason: String {
        if isPaused {
            return "the stream's reader took nothing for more than \(client.timeouts.streamIdle.wholeMilliseconds) ms"
        }
        return isFlowing
            ? "upstream stream idle for more than \(client.timeouts.streamIdle.wholeMilliseconds) ms"
            : "no response from upstream within \(client.timeouts.request.wholeMilliseconds) ms"
    }

    /// The consumer has room again: the socket is read again, and the idle time counts anew.
    func resumeReading() {
        guard isPaused, !isEnded else { return }
        isPaused = false
        connection?.resumeReading()
        connection?.extendDeadline(to: .now() + TimeAmount(client.timeouts.streamIdle))
    }

    private func forward(_ chunks: [ChatChunk]) {
        for chunk in chunks {
            if buffer.yield(chunk) == .full, !isPaused {
                isPaused = true
                connection?.pauseReading()
            }
        }
    }

    override func receivedHead(_ head: HTTPResponseHead) {
        let status = Int(head.status.code)
        guard (200..<300).contains(status) else {
            errorHead = head
            return
        }
        client.log(request, status: status, started: started)
        isOpen = true
        opened.succeed(())
    }

    override func receivedBody(_ buffer: ByteBuffer) {
        if errorHead != nil {
            var buffer = buffer
            if errorBody.readableBytes < UpstreamClient.maxErrorBodyBytes { errorBody.writeBuffer(&buffer) }
            return
        }
        isFlowing = true
        connection?.extendDeadline(to: .now() + TimeAmount(client.timeouts.streamIdle))
        guard !isFinished else { return }  // drained, so the connection can be reused
        do {
            for event in try parser.feed(buffer.readableBytesView) where !decoder.isFinished {
                forward(try decoder.decode(event))
            }
        } catch {
            return abort(error)
        }
        if decoder.isFinished {
            isFinished = true
            self.buffer.finish()
        }
    }

    override func receivedEnd() {
        if let errorHead { return failOpening(errorHead) }
        guard !isFinished else { return }
        isFinished = true
        do {
            for event in parser.finish() where !decoder.isFinished {
                forward(try decoder.decode(event))
            }
            if !decoder.isFinished { try decoder.finish() }
            buffer.finish()
        } catch {
            buffer.finish(throwing: client.classify(error, request: request, started: started))
        }
    }

    override func failed(_ error: any Error) {
        if !isOpen {
            if let errorHead, !(error is CancellationError) { return failOpening(errorHead) }
            opened.fail(error)
        } else if !isFinished {
            isFinished = true
            buffer.finish(throwing: client.classify(error, request: request, started: started))
        }
    }

    private func failOpening(_ head: HTTPResponseHead) {
        let status = Int(head.status.code)
        client.log(request, status: status, started: started)
        opened.fail(
            client.upstreamError(
                status: status, headers: UpstreamClient.fields(head.headers),
                body: errorBody.readBytes(length: errorBody.readableBytes) ?? [], secret: request.secret))
    }
}

/// A 2xx body larger than the client reads whole.
struct UpstreamResponseTooLarge: Error, CustomStringConvertible {
    var limit: Int
    var description: String { "the upstream response is larger than \(limit >> 20) MiB" }
}

/// One request to an upstream: method, URL, headers, body, and the secret to keep out of errors.
///
/// ```swift
/// let request = UpstreamRequest(url: "http://127.0.0.1:8080/v1/chat/completions",
///                               headers: HeaderFields([("content-type", "application/json")]), body: body)
/// ```
public struct UpstreamRequest: Sendable {
    /// `POST`, `GET`, ….
    public var method: String
    /// The absolute URL.
    public var url: String {
        get { parsedURL.string }
        set { parsedURL = UpstreamURL(newValue) }
    }
    /// The URL, parsed.
    public var parsedURL: UpstreamURL
    /// The header fields sent.
    public var headers: HeaderFields
    /// The body, if any.
    public var body: [UInt8]?
    /// The API key's id, for logs.
    public var keyID: String
    /// The secret in the headers, scrubbed from any error message that might echo it.
    public var secret: String?

    /// Creates a request.
    ///
    /// ```swift
    /// let request = UpstreamRequest(url: url, headers: headers, body: body, keyID: credentials.keyID,
    ///                               secret: credentials.secret)
    /// ```
    public init(
        method: String = "POST", url: String, headers: HeaderFields = HeaderFields(), body: [UInt8]? = nil,
        keyID: String = "none", secret: String? = nil
    ) {
        self.init(method: method, url: UpstreamURL(url), headers: headers, body: body, keyID: keyID, secret: secret)
    }

    /// Creates a request to a URL parsed beforehand.
    ///
    /// ```swift
    /// let request = UpstreamRequest(url: chatURL, headers: headers, body: body)
    /// ```
    public init(
        method: String = "POST", url: UpstreamURL, headers: HeaderFields = HeaderFields(), body: [UInt8]? = nil,
        keyID: String = "none", secret: String? = nil
    ) {
        self.method = method
        self.parsedURL = url
        self.headers = headers
        self.body = body
        self.keyID = keyID
        self.secret = secret
    }
}

/// A complete upstream response.
///
/// ```swift
/// let response = try await client.send(request)
/// print(response.status, response.headers["content-type"] ?? "")
/// ```
public struct UpstreamResponse: Sendable {
    /// The status code.
    public var status: Int
    /// The header fields.
    public var headers: HeaderFields
    /// The body.
    public var body: [UInt8]
}

/// Turns the server-sent events of one upstream stream into chat chunks.
///
/// ```swift
/// struct Silent: ServerSentEventChunkDecoder {
///     var isFinished = false
///     mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk] { [] }
///     func finish() throws(BifrostError) {}
/// }
/// ```
public protocol ServerSentEventChunkDecoder: Sendable {
    /// Whether the stream's end marker was seen; later events are ignored.
    var isFinished: Bool { get }
    /// The chunks one event amounts to; throws for an error event or malformed data.
    mutating func decode(_ event: ServerSentEvent) throws(BifrostError) -> [ChatChunk]
    /// Called when the body ended before ``isFinished``: throws if that is an error.
    func finish() throws(BifrostError)
}
