public import BifrostCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One HTTP response as a test sees it.
///
/// ```swift
/// let response = try await client.send("GET", "/health")
/// #expect(response.status == 200)
/// #expect(response.headers["content-type"] == "application/json")
/// #expect(try response.json() == ["status": "ok"])
/// ```
public struct HTTPTestResponse: Sendable, Hashable {
    /// The status code.
    ///
    /// ```swift
    /// #expect(response.status == 404)
    /// ```
    public var status: Int
    /// Header fields by lowercased name; repeated fields joined with `, `.
    ///
    /// ```swift
    /// #expect(response.headers["retry-after"] == "7")
    /// ```
    public var headers: [String: String]
    /// The body, de-chunked.
    ///
    /// ```swift
    /// #expect(response.body.count == Int(response.headers["content-length"]!))
    /// ```
    public var body: [UInt8]

    /// Creates a response.
    ///
    /// ```swift
    /// let response = HTTPTestResponse(status: 200, headers: ["content-type": "application/json"], body: Array("{}".utf8))
    /// ```
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The body as UTF-8 text.
    ///
    /// ```swift
    /// #expect(response.text == #"{"status":"ok"}"#)
    /// ```
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON.
    ///
    /// ```swift
    /// #expect(try response.json().objectField("object") == "list")
    /// ```
    public func json() throws -> JSONValue { try JSONValue.parse(body) }

    /// Every response in `bytes`, in order: what a pipelining client reads from one connection.
    ///
    /// ```swift
    /// let responses = try HTTPTestResponse.parseAll(try await client.sendRaw(pipelinedRequests))
    /// ```
    public static func parseAll(_ bytes: [UInt8]) throws -> [HTTPTestResponse] {
        var parser = HTTPResponseParser(buffer: bytes[...])
        var responses: [HTTPTestResponse] = []
        while !parser.buffer.isEmpty {
            guard let response = try parser.next(endOfInput: true) else {
                throw HTTPTestClientError.malformedResponse("incomplete response at the end of the input")
            }
            responses.append(response)
        }
        return responses
    }
}

/// Why a test request failed.
///
/// ```swift
/// await #expect(throws: HTTPTestClientError.self) { _ = try await client.get("/health") }
/// ```
public enum HTTPTestClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No complete answer within the client's timeout; the value says what was awaited.
    ///
    /// ```swift
    /// HTTPTestClientError.timedOut("reading a response")
    /// ```
    case timedOut(String)
    /// A socket call failed, e.g. `connect` with `ECONNREFUSED` once the server is down.
    ///
    /// ```swift
    /// HTTPTestClientError.socket("connect", errno: ECONNREFUSED)
    /// ```
    case socket(String, errno: Int32)
    /// The server closed the connection before a complete response.
    ///
    /// ```swift
    /// HTTPTestClientError.connectionClosed
    /// ```
    case connectionClosed
    /// The bytes were not an HTTP/1.x response.
    ///
    /// ```swift
    /// HTTPTestClientError.malformedResponse("bad status line 'SSH-2.0'")
    /// ```
    case malformedResponse(String)

    /// What failed, in words, e.g. `connect failed: Connection refused (errno 111)`.
    ///
    /// ```swift
    /// print(error.description)
    /// ```
    public var description: String {
        switch self {
        case .timedOut(let what): "timed out \(what)"
        case .socket(let call, let code):
            "\(call) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .connectionClosed: "the server closed the connection before a complete response"
        case .malformedResponse(let reason): "malformed HTTP response: \(reason)"
        }
    }
}

/// A tiny HTTP/1.1 client over real sockets, for tests.
///
/// Each call opens its own connection (with `Connection: close`), unless it runs inside
/// ``withConnection(_:)``. At most ``maxConcurrentConnections`` connections are open at once
/// across all clients, so a test may fire thousands of requests; the rest wait their turn.
/// Every call gives up after ``timeout``. Hosts are IPv4 literals (`localhost` means `127.0.0.1`).
///
/// ```swift
/// let client = HTTPTestClient(port: port)
/// let response = try await client.postJSON("/v1/chat/completions", #"{"model":"mock/echo","messages":[…]}"#)
/// ```
public struct HTTPTestClient: Sendable {
    /// The server's port.
    ///
    /// ```swift
    /// let client = HTTPTestClient(port: try await server.start())
    /// ```
    public var port: Int
    /// The server's IPv4 address.
    ///
    /// ```swift
    /// let client = HTTPTestClient(port: 8080, host: "127.0.0.1")
    /// ```
    public var host: String
    /// How long connecting, and then each exchange, may take; 10 seconds unless set.
    ///
    /// ```swift
    /// let patient = HTTPTestClient(port: port, timeout: .seconds(30))
    /// ```
    public var timeout: Duration

    /// How many connections all clients together keep open at most; further calls wait.
    ///
    /// ```swift
    /// print(HTTPTestClient.maxConcurrentConnections)  // 64
    /// ```
    public static let maxConcurrentConnections = 64

    /// Creates a client.
    ///
    /// ```swift
    /// let client = HTTPTestClient(port: port)
    /// ```
    public init(port: Int, host: String = "127.0.0.1", timeout: Duration = .seconds(10)) {
        self.port = port
        self.host = host
        self.timeout = timeout
    }

    /// Sends one request on a new connection and reads the response.
    ///
    /// `Host`, `Content-Length` (when there is a body) and `Connection: close` are added
    /// unless `headers` has them.
    ///
    /// ```swift
    /// let response = try await client.send("GET", "/v1/models", headers: ["x-request-id": "abc"])
    /// ```
    public func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil
    ) async throws -> HTTPTestResponse {
        var headers = headers
        if !headers.keys.contains(where: { $0.lowercased() == "connection" }) {
            headers["Connection"] = "close"
        }
        let request = Self.encodeRequest(
            method, path, host: host, port: port, headers: headers, body: body)
        return try await withConnection { connection in
            try await connection.sendEncoded(request, method: method)
        }
    }

    /// Sends `POST path` with a JSON body.
    ///
    /// ```swift
    /// let response = try await client.postJSON("/v1/chat/completions", #"{"model":"mock/echo"}"#)
    /// ```
    public func postJSON(_ path: String, _ json: String, headers: [String: String] = [:]) async throws
        -> HTTPTestResponse
    {
        var headers = headers
        if !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers["Content-Type"] = "application/json"
        }
        return try await send("POST", path, headers: headers, body: Array(json.utf8))
    }

    /// Sends `GET path`.
    ///
    /// ```swift
    /// let health = try await client.get("/health")
    /// ```
    public func get(_ path: String, headers: [String: String] = [:]) async throws -> HTTPTestResponse {
        try await send("GET", path, headers: headers)
    }

    /// Writes `bytes` as they are on a new connection and returns everything the server sends
    /// until it closes the connection (a reset counts as a close).
    ///
    /// Make the server close: end with a request that has `Connection: close`, or send bytes
    /// that are not HTTP. Throws ``HTTPTestClientError/timedOut(_:)`` if it does not.
    ///
    /// ```swift
    /// let bytes = try await client.sendRaw(Array("GET /health HTTP/1.1\r\nConnection: close\r\n\r\n".utf8))
    /// ```
    public func sendRaw(_ bytes: [UInt8]) async throws -> [UInt8] {
        try await withConnection { connection in
            try await connection.writeAndReadUntilClosed(bytes)
        }
    }

    /// Runs `body` with one open connection, for keep-alive and pipelining tests; the
    /// connection is closed afterwards.
    ///
    /// ```swift
    /// try await client.withConnection { connection in
    ///     for _ in 0..<100 { _ = try await connection.send("GET", "/health") }
    /// }
    /// ```
    public func withConnection<Result: Sendable>(
        _ body: (HTTPTestConnection) async throws -> Result
    ) async throws -> Result {
        await ConnectionLimiter.shared.acquire()
        let connection: HTTPTestConnection
        do {
            connection = try await HTTPTestConnection.open(host: host, port: port, timeout: timeout)
        } catch {
            await ConnectionLimiter.shared.release()
            throw error
        }
        do {
            let result = try await body(connection)
            connection.close()
            await ConnectionLimiter.shared.release()
            return result
        } catch {
            connection.close()
            await ConnectionLimiter.shared.release()
            throw error
        }
    }

    /// The bytes of an HTTP/1.1 request.
    static func encodeRequest(
        _ method: String, _ path: String, host: String, port: Int, headers: [String: String],
        body: [UInt8]?
    ) -> [UInt8] {
        var head = "\(method) \(path) HTTP/1.1\r\n"
        let names = Set(headers.keys.map { $0.lowercased() })
        if !names.contains("host") { head += "Host: \(host):\(port)\r\n" }
        if let body, !names.contains("content-length"), !names.contains("transfer-encoding") {
            head += "Content-Length: \(body.count)\r\n"
        }
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) { head += "\(name): \(value)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + (body ?? [])
    }
}

/// One open connection of an ``HTTPTestClient``: requests on it reuse the connection.
///
/// ```swift
/// try await client.withConnection { connection in
///     let first = try await connection.send("GET", "/health")
///     let second = try await connection.send("GET", "/v1/models")
/// }
/// ```
public final class HTTPTestConnection: Sendable {
    private let descriptor: Int32
    private let host: String
    private let port: Int
    private let timeout: Duration
    /// Bytes read past the end of the last response.
    private let leftover = LockedValue<[UInt8]>([])
    private let closed = Atomic<Bool>(false)

    private init(descriptor: Int32, host: String, port: Int, timeout: Duration) {
        self.descriptor = descriptor
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    deinit { close() }

    static func open(host: String, port: Int, timeout: Duration) async throws -> HTTPTestConnection {
        let descriptor = try await BlockingIO.run {
            try Socket.connect(host: host, port: port, deadline: .now + timeout)
        }
        return HTTPTestConnection(descriptor: descriptor, host: host, port: port, timeout: timeout)
    }

    /// Sends a request and reads its response, leaving the connection open unless the
    /// headers say `Connection: close`.
    ///
    /// ```swift
    /// let response = try await connection.send("POST", "/v1/chat/completions", body: Array(json.utf8))
    /// ```
    public func send(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil
    ) async throws -> HTTPTestResponse {
        let request = HTTPTestClient.encodeRequest(
            method, path, host: host, port: port, headers: headers, body: body)
        return try await sendEncoded(request, method: method)
    }

    /// Writes bytes as they are (e.g. several pipelined requests) without reading.
    ///
    /// ```swift
    /// try await connection.write(Array("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
    /// ```
    public func write(_ bytes: [UInt8]) async throws {
        let descriptor = descriptor
        let deadline = ContinuousClock.now + timeout
        try await BlockingIO.run { try Socket.writeAll(descriptor, bytes, deadline: deadline) }
    }

    /// Reads the next response on the connection; `method` is the request's, for `HEAD`.
    ///
    /// ```swift
    /// let response = try await connection.readResponse()
    /// ```
    public func readResponse(method: String = "GET") async throws -> HTTPTestResponse {
        let deadline = ContinuousClock.now + timeout
        return try await BlockingIO.run { try self.readResponse(method: method, deadline: deadline) }
    }

    /// Reads raw bytes until at least `count` have arrived or the server closes; returns them
    /// all (an empty array means the server closed the connection).
    ///
    /// ```swift
    /// let interim = try await connection.readRaw(atLeast: 12)  // e.g. "HTTP/1.1 100 Continue"
    /// ```
    public func readRaw(atLeast count: Int) async throws -> [UInt8] {
        let descriptor = descriptor
        let deadline = ContinuousClock.now + timeout
        return try await BlockingIO.run {
            try self.leftover.withLock { leftover in
                var received = leftover
                leftover = []
                while received.count < count,
                    try Socket.read(
                        descriptor, into: &received, deadline: deadline, what: "reading raw bytes")
                {}
                return received
            }
        }
    }

    /// Half-closes the connection: the server sees the end of the request stream but can still answer.
    ///
    /// ```swift
    /// connection.shutdownOutput()
    /// let response = try await connection.readResponse()
    /// ```
    public func shutdownOutput() {
        _ = shutdown(descriptor, Int32(SHUT_WR))
    }

    /// Closes the connection; later calls fail. ``HTTPTestClient/withConnection(_:)`` does this for you.
    ///
    /// ```swift
    /// connection.close()
    /// ```
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        _ = systemClose(descriptor)
    }

    func sendEncoded(_ request: [UInt8], method: String) async throws -> HTTPTestResponse {
        let descriptor = descriptor
        let deadline = ContinuousClock.now + timeout
        return try await BlockingIO.run {
            try Socket.writeAll(descriptor, request, deadline: deadline)
            return try self.readResponse(method: method, deadline: deadline)
        }
    }

    func writeAndReadUntilClosed(_ bytes: [UInt8]) async throws -> [UInt8] {
        let descriptor = descriptor
        let deadline = ContinuousClock.now + timeout
        return try await BlockingIO.run {
            do {
                try Socket.writeAll(descriptor, bytes, deadline: deadline)
            } catch HTTPTestClientError.socket(_, let code) where code == EPIPE || code == ECONNRESET {
                // The server closed early (e.g. after a 400); what it sent is still readable.
            }
            var received: [UInt8] = []
            while try Socket.read(
                descriptor, into: &received, deadline: deadline, what: "waiting for the server to close")
            {}
            return received
        }
    }

    private func readResponse(method: String, deadline: ContinuousClock.Instant) throws
        -> HTTPTestResponse
    {
        try leftover.withLock { leftover in
            var parser = HTTPResponseParser(buffer: leftover[...], headRequest: method == "HEAD")
            while true {
                if let response = try parser.next(endOfInput: false) {
                    leftover = Array(parser.buffer)
                    return response
                }
                var more: [UInt8] = []
                let open = try Socket.read(
                    descriptor, into: &more, deadline: deadline, what: "reading a response")
                if !open {
                    guard let response = try parser.next(endOfInput: true) else {
                        throw HTTPTestClientError.connectionClosed
                    }
                    leftover = Array(parser.buffer)
                    return response
                }
                parser.buffer.append(contentsOf: more)
            }
        }
    }
}

/// Parses HTTP/1.x responses from a growing buffer.
struct HTTPResponseParser {
    var buffer: ArraySlice<UInt8>
    var headRequest = false

    /// The next complete response, consumed from ``buffer``; `nil` if more bytes are needed.
    /// With `endOfInput`, a body without length ends at the end of the buffer.
    mutating func next(endOfInput: Bool) throws -> HTTPTestResponse? {
        while true {
            guard let headEnd = Self.find([13, 10, 13, 10], in: buffer) else {
                if endOfInput && !buffer.isEmpty {
                    throw HTTPTestClientError.malformedResponse("no end of head in \(buffer.count) bytes")
                }
                return nil
            }
            let headText = String(decoding: buffer[buffer.startIndex..<headEnd], as: UTF8.self)
            var lines = headText.split(separator: "\r\n", omittingEmptySubsequences: false)[...]
            guard let statusLine = lines.popFirst() else {
                throw HTTPTestClientError.malformedResponse("empty head")
            }
            let statusParts = statusLine.split(separator: " ", maxSplits: 2)
            guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."),
                let status = Int(statusParts[1])
            else {
                throw HTTPTestClientError.malformedResponse("bad status line '\(statusLine)'")
            }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else {
                    throw HTTPTestClientError.malformedResponse("bad header line '\(line)'")
                }
                let name = line[..<colon].lowercased()
                let value = String(
                    line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
                headers[name] = headers[name].map { $0 + ", " + value } ?? value
            }
            let bodyStart = headEnd + 4

            if (100..<200).contains(status) && status != 101 {
                buffer = buffer[bodyStart...]
                continue
            }
            if headRequest || status == 204 || status == 304 {
                buffer = buffer[bodyStart...]
                return HTTPTestResponse(status: status, headers: headers, body: [])
            }
            if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
                guard let (body, end) = try Self.dechunk(buffer[bodyStart...]) else { return nil }
                buffer = buffer[end...]
                return HTTPTestResponse(status: status, headers: headers, body: body)
            }
            if let lengthText = headers["content-length"] {
                guard let length = Int(lengthText) else {
                    throw HTTPTestClientError.malformedResponse("bad content-length '\(lengthText)'")
                }
                guard buffer.endIndex - bodyStart >= length else { return nil }
                let body = Array(buffer[bodyStart..<bodyStart + length])
                buffer = buffer[(bodyStart + length)...]
                return HTTPTestResponse(status: status, headers: headers, body: body)
            }
            guard endOfInput else { return nil }
            let body = Array(buffer[bodyStart...])
            buffer = buffer[buffer.endIndex...]
            return HTTPTestResponse(status: status, headers: headers, body: body)
        }
    }

    /// A chunked body and the index after it, or `nil` if incomplete.
    static func dechunk(_ bytes: ArraySlice<UInt8>) throws -> ([UInt8], Int)? {
        var body: [UInt8] = []
        var position = bytes.startIndex
        while true {
            guard let lineEnd = find([13, 10], in: bytes[position...]) else { return nil }
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else {
                throw HTTPTestClientError.malformedResponse("bad chunk size '\(sizeText)'")
            }
            position = lineEnd + 2
            if size == 0 {
                // Trailers, then an empty line.
                while true {
                    guard let end = find([13, 10], in: bytes[position...]) else { return nil }
                    let isEmpty = end == position
                    position = end + 2
                    if isEmpty { return (body, position) }
                }
            }
            guard bytes.endIndex - position >= size + 2 else { return nil }
            body.append(contentsOf: bytes[position..<position + size])
            position += size + 2
        }
    }

    /// The index where `pattern` starts in `bytes`.
    static func find(_ pattern: [UInt8], in bytes: ArraySlice<UInt8>) -> Int? {
        guard bytes.count >= pattern.count else { return nil }
        var index = bytes.startIndex
        while index <= bytes.endIndex - pattern.count {
            if bytes[index] == pattern[0] && bytes[index..<index + pattern.count].elementsEqual(pattern) {
                return index
            }
            index += 1
        }
        return nil
    }
}

/// Bounds the connections open at once across every client in the process.
actor ConnectionLimiter {
    static let shared = ConnectionLimiter(limit: HTTPTestClient.maxConcurrentConnections)

    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { available = limit }

    func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}

/// Runs blocking socket calls on threads of their own, never on Swift's cooperative pool
/// (which the server under test needs) nor on Dispatch's global queues (which on Linux
/// share a small pool with Swift concurrency and do not grow for blocked work).
enum BlockingIO {
    /// The work of one thread: runs the call and resumes the waiting task.
    private final class Job: Sendable {
        let body: @Sendable () -> Void
        init(_ body: @escaping @Sendable () -> Void) { self.body = body }
    }

    static func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws
        -> Result
    {
        try await withCheckedThrowingContinuation { continuation in
            let job = Job { continuation.resume(with: Swift.Result { try work() }) }
            let argument = Unmanaged.passRetained(job).toOpaque()
            var thread = pthread_t()
            let status = pthread_create(
                &thread, nil,
                { argument in
                    #if canImport(Glibc)
                        let job = Unmanaged<Job>.fromOpaque(argument!).takeRetainedValue()
                    #else
                        let job = Unmanaged<Job>.fromOpaque(argument).takeRetainedValue()
                    #endif
                    job.body()
                    return nil
                }, argument)
            if status == 0 {
                pthread_detach(thread)
            } else {
                Unmanaged<Job>.fromOpaque(argument).release()
                continuation.resume(throwing: HTTPTestClientError.socket("pthread_create", errno: status))
            }
        }
    }
}

/// Non-blocking POSIX sockets driven with `poll`, so every call honours a deadline.
enum Socket {
    static func connect(host: String, port: Int, deadline: ContinuousClock.Instant) throws -> Int32 {
        #if canImport(Glibc)
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let descriptor = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard descriptor >= 0 else { throw HTTPTestClientError.socket("socket", errno: errno) }
        do {
            var one: Int32 = 1
            _ = setsockopt(
                descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
                _ = setsockopt(
                    descriptor, SOL_SOCKET, SO_NOSIGPIPE, &one, socklen_t(MemoryLayout<Int32>.size))
            #endif
            _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL, 0) | O_NONBLOCK)

            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(truncatingIfNeeded: port).bigEndian)
            let literal = host == "localhost" ? "127.0.0.1" : host
            guard inet_pton(AF_INET, literal, &address.sin_addr) == 1 else {
                throw HTTPTestClientError.socket("inet_pton(\(host)): not an IPv4 address", errno: EINVAL)
            }
            let result = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    systemConnect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            if result != 0 {
                guard errno == EINPROGRESS else {
                    throw HTTPTestClientError.socket("connect", errno: errno)
                }
                try wait(
                    descriptor, for: Int16(POLLOUT), deadline: deadline, what: "connecting to \(host):\(port)"
                )
                var error: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                _ = getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
                guard error == 0 else { throw HTTPTestClientError.socket("connect", errno: error) }
            }
            return descriptor
        } catch {
            _ = systemClose(descriptor)
            throw error
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], deadline: ContinuousClock.Instant)
        throws
    {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                #if canImport(Glibc)
                    send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, Int32(MSG_NOSIGNAL))
                #else
                    send(descriptor, buffer.baseAddress! + offset, buffer.count - offset, 0)
                #endif
            }
            if written >= 0 {
                offset += written
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(descriptor, for: Int16(POLLOUT), deadline: deadline, what: "writing the request")
            } else if errno != EINTR {
                throw HTTPTestClientError.socket("send", errno: errno)
            }
        }
    }

    /// Appends what arrives to `buffer`; `false` at end of stream (or a reset).
    static func read(
        _ descriptor: Int32, into buffer: inout [UInt8], deadline: ContinuousClock.Instant, what: String
    ) throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress!, $0.count, 0) }
            if count > 0 {
                buffer.append(contentsOf: chunk[..<count])
                return true
            }
            if count == 0 || errno == ECONNRESET { return false }
            if errno == EAGAIN || errno == EWOULDBLOCK {
                try wait(descriptor, for: Int16(POLLIN), deadline: deadline, what: what)
            } else if errno != EINTR {
                throw HTTPTestClientError.socket("recv", errno: errno)
            }
        }
    }

    static func wait(
        _ descriptor: Int32, for events: Int16, deadline: ContinuousClock.Instant, what: String
    ) throws {
        while true {
            let remaining = deadline - .now
            guard remaining > .zero else { throw HTTPTestClientError.timedOut(what) }
            let (seconds, attoseconds) = remaining.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, milliseconds)
            if ready > 0 { return }
            if ready < 0 && errno != EINTR { throw HTTPTestClientError.socket("poll", errno: errno) }
        }
    }
}

// `close` and `connect` are also method names in this file; these name the C functions.
private func systemClose(_ descriptor: Int32) -> Int32 { close(descriptor) }
private func systemConnect(
    _ descriptor: Int32, _ address: UnsafePointer<sockaddr>, _ length: socklen_t
) -> Int32 {
    connect(descriptor, address, length)
}

// MARK: Streamed responses

/// One server-sent event of a streamed response, with when it arrived.
///
/// ```swift
/// let event = try #require(try await stream.next())
/// #expect(event.data.hasPrefix("{"))
/// ```
public struct ServerSentEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` when the event has none (OpenAI's streams).
    ///
    /// ```swift
    /// #expect(event.event == "message_start")
    /// ```
    public var event: String?
    /// The `data:` lines, joined with newlines.
    ///
    /// ```swift
    /// #expect(event.data == "[DONE]")
    /// ```
    public var data: String
    /// When the client had read the event's last byte.
    ///
    /// ```swift
    /// let gap = last.receivedAt - first.receivedAt
    /// ```
    public var receivedAt: ContinuousClock.Instant

    /// Creates an event.
    ///
    /// ```swift
    /// let event = ServerSentEvent(event: nil, data: "[DONE]", receivedAt: .now)
    /// ```
    public init(event: String?, data: String, receivedAt: ContinuousClock.Instant) {
        self.event = event
        self.data = data
        self.receivedAt = receivedAt
    }

    /// The data parsed as JSON.
    ///
    /// ```swift
    /// #expect(try event.json().objectField("object") == "chat.completion.chunk")
    /// ```
    public func json() throws -> JSONValue { try JSONValue.parse(data) }
}

/// A response whose body is read incrementally, event by event, as the server sends it.
///
/// ```swift
/// try await client.withConnection { connection in
///     let stream = try await connection.openEventStream("POST", "/v1/chat/completions", body: Array(json.utf8))
///     #expect(stream.status == 200)
///     while let event = try await stream.next() { print(event.data) }
/// }
/// ```
public final class HTTPTestEventStream: Sendable {
    private struct State {
        /// Bytes read but not yet de-framed.
        var raw: [UInt8]
        /// De-framed body bytes not yet returned as events.
        var body: [UInt8] = []
        /// Bytes of a `content-length` body still to come.
        var remainingLength: Int?
        /// Whether the end of the body was seen.
        var finished = false
        /// Every body byte received so far.
        var received: [UInt8] = []
    }

    /// The status code.
    ///
    /// ```swift
    /// #expect(stream.status == 200)
    /// ```
    public let status: Int
    /// Header fields by lowercased name; repeated fields joined with `, `.
    ///
    /// ```swift
    /// #expect(stream.headers["content-type"] == "text/event-stream")
    /// ```
    public let headers: [String: String]
    private let connection: HTTPTestConnection
    private let chunked: Bool
    private let state: LockedValue<State>

    fileprivate init(
        connection: HTTPTestConnection, status: Int, headers: [String: String], raw: [UInt8]
    ) {
        self.connection = connection
        self.status = status
        self.headers = headers
        self.chunked = headers["transfer-encoding"]?.lowercased().contains("chunked") == true
        var initial = State(raw: raw)
        if !chunked, let length = headers["content-length"].flatMap({ Int($0) }) {
            initial.remainingLength = length
        }
        self.state = LockedValue(initial)
    }

    /// Every body byte received so far, de-chunked, as text.
    ///
    /// ```swift
    /// #expect(stream.receivedText.hasSuffix("data: [DONE]\n\n"))
    /// ```
    public var receivedText: String { state.withLock { String(decoding: $0.received, as: UTF8.self) } }

    /// The next event, waiting for it; `nil` once the body has ended.
    ///
    /// Throws ``HTTPTestClientError/timedOut(_:)`` after the connection's timeout and
    /// ``HTTPTestClientError/connectionClosed`` if the server closes mid-body.
    ///
    /// ```swift
    /// while let event = try await stream.next() { events.append(event) }
    /// ```
    public func next() async throws -> ServerSentEvent? {
        let deadline = ContinuousClock.now + connection.exchangeTimeout
        return try await BlockingIO.run { try self.nextBlocking(deadline: deadline) }
    }

    /// Every remaining event, until the body ends.
    ///
    /// ```swift
    /// let events = try await stream.collect()
    /// ```
    public func collect() async throws -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        while let event = try await next() { events.append(event) }
        return events
    }

    private func nextBlocking(deadline: ContinuousClock.Instant) throws -> ServerSentEvent? {
        try state.withLock { state in
            while true {
                try Self.deframe(&state, chunked: chunked)
                if let event = Self.extractEvent(&state.body) { return event }
                if state.finished { return nil }
                var more: [UInt8] = []
                let open = try connection.readSome(into: &more, deadline: deadline)
                if !open {
                    if chunked || state.remainingLength.map({ $0 > 0 }) == true {
                        throw HTTPTestClientError.connectionClosed
                    }
                    state.finished = true
                    continue
                }
                state.raw.append(contentsOf: more)
            }
        }
    }

    /// Moves complete body bytes from `raw` to `body`.
    private static func deframe(_ state: inout State, chunked: Bool) throws {
        if !chunked {
            var take = state.raw.count
            if let remaining = state.remainingLength {
                take = min(take, remaining)
                state.remainingLength = remaining - take
                if remaining - take == 0 { state.finished = true }
            }
            state.body.append(contentsOf: state.raw[..<take])
            state.received.append(contentsOf: state.raw[..<take])
            state.raw.removeFirst(take)
            return
        }
        while !state.finished {
            let bytes = state.raw[...]
            guard let lineEnd = HTTPResponseParser.find([13, 10], in: bytes) else { return }
            let sizeText = String(decoding: bytes[bytes.startIndex..<lineEnd], as: UTF8.self)
            guard let size = Int(sizeText.split(separator: ";").first ?? "", radix: 16) else {
                throw HTTPTestClientError.malformedResponse("bad chunk size '\(sizeText)'")
            }
            if size == 0 {
                guard HTTPResponseParser.find([13, 10, 13, 10], in: bytes[lineEnd...]) != nil else { return }
                state.finished = true
                state.raw = []
                return
            }
            let start = lineEnd + 2
            guard bytes.endIndex - start >= size + 2 else { return }
            state.body.append(contentsOf: bytes[start..<start + size])
            state.received.append(contentsOf: bytes[start..<start + size])
            state.raw.removeFirst(start + size + 2 - bytes.startIndex)
        }
    }

    /// The first complete event (ended by a blank line) in `body`, consumed.
    private static func extractEvent(_ body: inout [UInt8]) -> ServerSentEvent? {
        while true {
            guard let end = HTTPResponseParser.find([10, 10], in: body[...]) else { return nil }
            let text = String(decoding: body[..<end], as: UTF8.self)
            body.removeFirst(end + 2)
            var name: String?
            var data: [Substring] = []
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("event:") {
                    name = String(line.dropFirst(6).drop(while: { $0 == " " }))
                } else if line.hasPrefix("data:") {
                    var value = line.dropFirst(5)
                    if value.first == " " { value = value.dropFirst() }
                    data.append(value)
                }
            }
            // Comment-only blocks (`: ping`) carry no event.
            if name == nil && data.isEmpty { continue }
            return ServerSentEvent(event: name, data: data.joined(separator: "\n"), receivedAt: .now)
        }
    }
}

extension HTTPTestConnection {
    /// Sends a request and reads only the response's head; the body is then read event by
    /// event from the returned stream. Use one stream per connection, and read it to its end
    /// before sending another request on the connection.
    ///
    /// ```swift
    /// let stream = try await connection.openEventStream("POST", "/v1/chat/completions", body: Array(json.utf8))
    /// let first = try await stream.next()
    /// ```
    public func openEventStream(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil
    ) async throws -> HTTPTestEventStream {
        var headers = headers
        if body != nil, !headers.keys.contains(where: { $0.lowercased() == "content-type" }) {
            headers["Content-Type"] = "application/json"
        }
        let request = HTTPTestClient.encodeRequest(
            method, path, host: host, port: port, headers: headers, body: body)
        let descriptor = descriptor
        let deadline = ContinuousClock.now + timeout
        let (status, responseHeaders, rest) = try await BlockingIO.run {
            try Socket.writeAll(descriptor, request, deadline: deadline)
            return try self.leftover.withLock { leftover -> (Int, [String: String], [UInt8]) in
                var received = leftover
                leftover = []
                while true {
                    if let headEnd = HTTPResponseParser.find([13, 10, 13, 10], in: received[...]) {
                        var parser = HTTPResponseParser(buffer: received[..<(headEnd + 4)])
                        let (status, headers) = try parser.head()
                        if (100..<200).contains(status) && status != 101 {
                            received.removeFirst(headEnd + 4)
                            continue
                        }
                        return (status, headers, Array(received[(headEnd + 4)...]))
                    }
                    guard
                        try Socket.read(
                            descriptor, into: &received, deadline: deadline, what: "reading a response head")
                    else { throw HTTPTestClientError.connectionClosed }
                }
            }
        }
        return HTTPTestEventStream(connection: self, status: status, headers: responseHeaders, raw: rest)
    }

    /// The connection's timeout per exchange.
    fileprivate var exchangeTimeout: Duration { timeout }

    /// Reads what arrives; `false` at the end of the stream.
    fileprivate func readSome(into buffer: inout [UInt8], deadline: ContinuousClock.Instant) throws -> Bool {
        try Socket.read(descriptor, into: &buffer, deadline: deadline, what: "reading a streamed body")
    }
}

extension HTTPTestClient {
    /// Opens a new connection, sends a request, and runs `body` with its response stream;
    /// the connection closes when `body` returns, even mid-stream (as a client that goes away).
    ///
    /// ```swift
    /// let events = try await client.withEventStream("POST", "/v1/chat/completions", body: Array(json.utf8)) { stream in
    ///     try await stream.collect()
    /// }
    /// ```
    public func withEventStream<Result: Sendable>(
        _ method: String, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil,
        _ consume: (HTTPTestEventStream) async throws -> Result
    ) async throws -> Result {
        try await withConnection { connection in
            let stream = try await connection.openEventStream(method, path, headers: headers, body: body)
            return try await consume(stream)
        }
    }
}

extension HTTPResponseParser {
    /// The status and headers of a buffer that holds exactly one head.
    mutating func head() throws -> (Int, [String: String]) {
        let text = String(decoding: buffer, as: UTF8.self)
        var lines = text.split(separator: "\r\n", omittingEmptySubsequences: true)[...]
        guard let statusLine = lines.popFirst() else {
            throw HTTPTestClientError.malformedResponse("empty head")
        }
        let statusParts = statusLine.split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), let status = Int(statusParts[1]) else {
            throw HTTPTestClientError.malformedResponse("bad status line '\(statusLine)'")
        }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else {
                throw HTTPTestClientError.malformedResponse("bad header line '\(line)'")
            }
            let name = line[..<colon].lowercased()
            let value = String(line[line.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" }))
            headers[name] = headers[name].map { $0 + ", " + value } ?? value
        }
        return (status, headers)
    }
}
