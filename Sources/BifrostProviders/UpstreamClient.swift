public import AsyncHTTPClient
public import BifrostCore
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
    public let httpClient: HTTPClient
    /// The provider's timeouts.
    public let timeouts: ProviderSettings.Timeouts
    /// Where request outcomes are logged, at debug level (never with secrets).
    public let logger: Logger

    /// Creates a client for one provider over a shared `HTTPClient`.
    ///
    /// ```swift
    /// let client = UpstreamClient(provider: "openai", httpClient: http, timeouts: .init(request: .seconds(30)))
    /// ```
    public init(
        provider: String, httpClient: HTTPClient, timeouts: ProviderSettings.Timeouts,
        logger: Logger = Logger(label: "bifrost.upstream")
    ) {
        self.provider = provider
        self.httpClient = httpClient
        self.timeouts = timeouts
        self.logger = logger
    }

    /// Makes the gateway's one `HTTPClient`, sized for the given providers.
    ///
    /// Pool settings: HTTP/1.1 keep-alive, idle connections kept 60 s; up to
    /// `max(maxConcurrentRequests)` connections per host (at least 8), so a provider's concurrency
    /// limit, not the pool, is what queues requests; HTTP/2 is negotiated over TLS when the upstream
    /// offers it (AsyncHTTPClient's default, system trust roots); connect timeout = the longest
    /// `timeouts.connect` of the providers (AsyncHTTPClient sets it per client, not per request);
    /// a failed connection attempt is not retried inside the pool (the dispatcher retries, and a
    /// refused connection fails at once); redirects are not followed (they would carry the API key
    /// elsewhere); no read timeout at this level (each request has its own deadlines); no tracing spans.
    /// Shut it down with `try await http.shutdown()`.
    ///
    /// ```swift
    /// let http = UpstreamClient.makeHTTPClient(for: configuration.providers)
    /// defer { Task { try? await http.shutdown() } }
    /// ```
    public static func makeHTTPClient(for providers: [ProviderSettings] = []) -> HTTPClient {
        let connect = providers.map(\.timeouts.connect).max() ?? ProviderSettings.Timeouts().connect
        let connections = max(8, providers.map(\.maxConcurrentRequests).max() ?? 64)
        var pool = HTTPClient.Configuration.ConnectionPool(
            idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: connections)
        pool.retryConnectionEstablishment = false
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: HTTPClient.Configuration.Timeout(connect: .nanoseconds(connect.nanoseconds)),
            connectionPool: pool,
            decompression: .disabled)
        // The gateway bootstraps no tracer; without this, every request still starts a no-op span
        // (about 3 % of the gateway's CPU per request, measured with `perf`).
        configuration.tracing.tracer = nil
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Sends a request and reads the whole 2xx body, within `timeouts.request`.
    ///
    /// Uses AsyncHTTPClient's `EventLoopFuture` API, whose deadline covers the whole exchange (head
    /// and body) on the client's event loop: no watchdog task, no extra task per request. (The
    /// `async` API's deadline ends at the response head, and it spawns a task on the global
    /// executor for every request to register the request with an actor: a thread wake-up each.)
    ///
    /// ```swift
    /// let response = try await client.send(request)
    /// let chat = try ChatResponse(openAIJSON: response.body, provider: "openai")
    /// ```
    public func send(_ request: UpstreamRequest) async throws(BifrostError) -> UpstreamResponse {
        let started = ContinuousClock.now
        let response: UpstreamResponse
        do {
            response = try await collect(request)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            let reason = "no complete response from upstream within \(timeouts.request.milliseconds) ms"
            throw classify(UpstreamTimeout(reason: reason), request: request, started: started)
        } catch {
            throw classify(error, request: request, started: started)
        }
        log(request, status: response.status, started: started)
        if !(200..<300).contains(response.status) {
            throw upstreamError(status: response.status, headers: response.headers, body: response.body, secret: request.secret)
        }
        return response
    }

    /// One exchange with the whole body read (at most 256 MiB); cancelling the caller cancels it.
    private func collect(_ request: UpstreamRequest) async throws -> UpstreamResponse {
        var headers = HTTPHeaders()
        headers.reserveCapacity(request.headers.count)
        for field in request.headers { headers.add(name: field.name, value: field.value) }
        let http = try HTTPClient.Request(
            url: request.url, method: HTTPMethod(rawValue: request.method), headers: headers,
            body: request.body.map { .bytes($0) })
        let task = httpClient.execute(
            request: http, delegate: ResponseAccumulator(request: http, maxBodySize: 256 << 20), eventLoop: .indifferent,
            deadline: .now() + .nanoseconds(timeouts.request.nanoseconds), logger: clientLogger)
        let response = try await withTaskCancellationHandler {
            try await task.futureResult.get()
        } onCancel: {
            task.cancel()
        }
        var body = response.body ?? ByteBuffer()
        return UpstreamResponse(
            status: Int(response.status.code), headers: Self.fields(response.headers),
            body: body.readBytes(length: body.readableBytes) ?? [])
    }

    /// The logger AsyncHTTPClient gets: ours when it would print AsyncHTTPClient's debug lines,
    /// otherwise none (it sets per-request metadata on the logger it gets, which costs even when
    /// nothing is printed).
    private var clientLogger: Logger {
        logger.logLevel <= .debug ? logger : Self.silentLogger
    }

    private static let silentLogger = Logger(label: "bifrost.upstream.silent", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Sends a request and opens its 2xx body as a stream of chunks.
    ///
    /// The response head and the first body bytes must arrive within `timeouts.request`; after that
    /// each piece must follow the previous one within `timeouts.streamIdle`, or the stream ends with a
    /// 504. An error status is read and thrown here, before any chunk. `decoder` turns server-sent
    /// events into chunks, which are forwarded as they arrive; cancelling the stream's consumer
    /// cancels the upstream request (the connection is closed).
    ///
    /// ```swift
    /// let stream = try await client.stream(request, decoder: OpenAIChunkDecoder(provider: "openai", model: "gpt-4o"))
    /// ```
    public func stream<Decoder: ServerSentEventChunkDecoder>(_ request: UpstreamRequest, decoder: Decoder)
        async throws(BifrostError) -> ChatStream
    {
        let watchdog = UpstreamWatchdog(
            timeout: timeouts.request, reason: "no response from upstream within \(timeouts.request.milliseconds) ms",
            eventLoop: httpClient.eventLoopGroup.any())
        let started = ContinuousClock.now
        let response: HTTPClientResponse
        do {
            response = try await watchdog.guarding { [self] in try await execute(request) }
        } catch {
            throw classify(error, request: request, started: started)
        }
        let status = Int(response.status.code)
        if !(200..<300).contains(status) {
            let body: [UInt8]
            do {
                body = try await watchdog.guarding {
                    var buffer = try await response.body.collect(upTo: 1 << 20)
                    return buffer.readBytes(length: buffer.readableBytes) ?? []
                }
            } catch {
                body = []
            }
            log(request, status: status, started: started)
            throw upstreamError(status: status, headers: Self.fields(response.headers), body: body, secret: request.secret)
        }
        log(request, status: status, started: started)
        // Unbounded: a slow consumer must not lose chunks; the body is bounded by max_tokens.
        let (stream, continuation) = AsyncThrowingStream<ChatChunk, any Error>.makeStream(bufferingPolicy: .unbounded)
        let idle = timeouts.streamIdle
        // The pump runs on the event loop of the caller (when it runs on one, as HTTP requests do):
        // each chunk goes from the upstream connection to the client's without a thread wake-up.
        let task = Task(executorPreference: UpstreamLoopExecutor(httpClient.eventLoopGroup.any())) { [self] in
            do {
                try await watchdog.guarding {
                    var parser = ServerSentEventParser()
                    var decoder = decoder
                    for try await buffer in response.body {
                        watchdog.extend(by: idle, reason: "upstream stream idle for more than \(idle.milliseconds) ms")
                        if decoder.isFinished { continue }  // drain, so the connection can be reused
                        for event in try parser.feed(buffer.readableBytesView) where !decoder.isFinished {
                            for chunk in try decoder.decode(event) { continuation.yield(chunk) }
                        }
                    }
                    if !decoder.isFinished {
                        for event in parser.finish() where !decoder.isFinished {
                            for chunk in try decoder.decode(event) { continuation.yield(chunk) }
                        }
                        if !decoder.isFinished { try decoder.finish() }
                    }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: classify(error, request: request, started: started))
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return ChatStream(stream)
    }

    private func execute(_ request: UpstreamRequest) async throws -> HTTPClientResponse {
        var http = HTTPClientRequest(url: request.url)
        http.method = HTTPMethod(rawValue: request.method)
        for field in request.headers { http.headers.add(name: field.name, value: field.value) }
        if let body = request.body { http.body = .bytes(ByteBuffer(bytes: body)) }
        return try await httpClient.execute(
            http, deadline: .now() + .nanoseconds(timeouts.request.nanoseconds) + .seconds(1), logger: clientLogger)
    }

    private func log(_ request: UpstreamRequest, status: Int, started: ContinuousClock.Instant) {
        logger.debug(
            "upstream answered",
            metadata: [
                "provider": "\(provider)", "key": "\(request.keyID)", "url": "\(request.url)", "status": "\(status)",
                "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
    }

    static func fields(_ headers: HTTPHeaders) -> HeaderFields {
        var fields = HeaderFields()
        for (name, value) in headers { fields.add(name: name, value: value) }
        return fields
    }
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
    public var url: String
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
        self.method = method
        self.url = url
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

/// Runs a Swift task's jobs on a NIO event loop (see ``UpstreamClient/stream(_:decoder:)``).
private final class UpstreamLoopExecutor: TaskExecutor {
    let eventLoop: any EventLoop

    init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
