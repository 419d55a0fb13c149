// State that outlives a request (counters and values) and HTTP callouts (ABI 1.7).
//
// Reads (a counter read, a value read, a callout) are PreHook only and answer `.pending` the
// first time: return `PreHookDecision.pending`, and the host calls the PreHook again with the
// same calls, in the same order, now `.ready`. Writes answer at once in every hook and are
// performed after it returns.

/// The result of a host operation that may not have finished yet (ABI 1.7).
///
/// ```swift
/// switch try context.value(forKey: "greeting") {
/// case .pending: return .pending
/// case .ready(let bytes): use(bytes)
/// }
/// ```
public enum HostResult<Value> {
    /// The host started the operation; return ``PreHookDecision/pending`` and make the same
    /// call again when the PreHook is called again.
    ///
    /// ```swift
    /// if case .pending = result { return .pending }
    /// ```
    case pending
    /// The operation's result.
    ///
    /// ```swift
    /// if case .ready(let reading) = result { print(reading.value) }
    /// ```
    case ready(Value)
}

extension HostResult: Sendable where Value: Sendable {}
extension HostResult: Equatable where Value: Equatable {}
extension HostResult: Hashable where Value: Hashable {}

/// A counter after an add: its value and the time left in its window.
///
/// ```swift
/// if case .ready(let reading) = try context.addToCounter("req:0:alice", 1, windowMilliseconds: 60_000),
///     reading.value > 60
/// { retryAfter = reading.resetsInMilliseconds / 1000 }
/// ```
public struct CounterReading: Sendable, Hashable {
    /// The counter after the add.
    ///
    /// ```swift
    /// reading.value  // 3
    /// ```
    public var value: Int64
    /// Milliseconds until the counter's window ends and it starts again from 0.
    ///
    /// ```swift
    /// reading.resetsInMilliseconds  // 41_250
    /// ```
    public var resetsInMilliseconds: UInt64

    /// Creates a reading (for tests; the host's come from ``HookContext/addToCounter(_:_:windowMilliseconds:)``).
    ///
    /// ```swift
    /// let reading = CounterReading(value: 3, resetsInMilliseconds: 41_250)
    /// ```
    public init(value: Int64, resetsInMilliseconds: UInt64) {
        self.value = value
        self.resetsInMilliseconds = resetsInMilliseconds
    }
}

/// An HTTP request a PreHook sends to a service it consults (a DLP or an auth service).
///
/// ```swift
/// let request = CalloutRequest(method: "POST", url: "http://dlp.internal/check",
///                              headers: ["content-type": "application/json"], body: Array(json.utf8))
/// ```
public struct CalloutRequest: Sendable, Hashable {
    /// `GET`, `POST`, …
    ///
    /// ```swift
    /// request.method = "GET"
    /// ```
    public var method: String
    /// An absolute `http://` or `https://` URL.
    ///
    /// ```swift
    /// request.url = "https://auth.internal/v1/verify"
    /// ```
    public var url: String
    /// Header names and values, sent sorted by name.
    ///
    /// ```swift
    /// request.headers["authorization"] = "Bearer \(token)"
    /// ```
    public var headers: [String: String]
    /// The body; empty for none.
    ///
    /// ```swift
    /// request.body = Array("{}".utf8)
    /// ```
    public var body: [UInt8]
    /// The longest the exchange may take, 1 to 30 000 ms; 0 lets the host choose (1 s).
    ///
    /// ```swift
    /// request.timeoutMilliseconds = 250
    /// ```
    public var timeoutMilliseconds: UInt32
    /// The largest answer body accepted, up to 16 MiB; 0 lets the host choose (1 MiB).
    ///
    /// ```swift
    /// request.maxResponseBytes = 64 * 1024
    /// ```
    public var maxResponseBytes: UInt32

    /// Creates a request.
    ///
    /// ```swift
    /// let request = CalloutRequest(method: "GET", url: "http://auth.internal/ok", timeoutMilliseconds: 200)
    /// ```
    public init(
        method: String, url: String, headers: [String: String] = [:], body: [UInt8] = [],
        timeoutMilliseconds: UInt32 = 0, maxResponseBytes: UInt32 = 0
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeoutMilliseconds = timeoutMilliseconds
        self.maxResponseBytes = maxResponseBytes
    }
}

/// A service's answer to a callout (any status, 500 included).
///
/// ```swift
/// if response.status == 200, response.headers["x-verdict"] == "allow" { return .continue }
/// ```
public struct CalloutResponse: Sendable, Hashable {
    /// The HTTP status, e.g. 200.
    ///
    /// ```swift
    /// response.status  // 200
    /// ```
    public var status: Int
    /// Header values by lowercase name (a repeated header keeps its last value).
    ///
    /// ```swift
    /// response.headers["content-type"]  // "application/json"
    /// ```
    public var headers: [String: String]
    /// The answer body.
    ///
    /// ```swift
    /// let text = String(decoding: response.body, as: UTF8.self)
    /// ```
    public var body: [UInt8]

    /// Creates an answer (for tests; the host's come from ``HookContext/callout(_:)``).
    ///
    /// ```swift
    /// let response = CalloutResponse(status: 200, headers: [:], body: Array("ok".utf8))
    /// ```
    public init(status: Int, headers: [String: String], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// How a callout ended: an answer, or one of the failures that are not the plugin's fault.
///
/// ```swift
/// switch outcome {
/// case .answered(let response): return response.status == 200 ? .continue : .reject(denied)
/// case .unavailable, .timedOut, .tooLarge: return .reject(serviceDown)
/// }
/// ```
public enum CalloutOutcome: Sendable, Hashable {
    /// The service answered.
    ///
    /// ```swift
    /// case .answered(let response): print(response.status)
    /// ```
    case answered(CalloutResponse)
    /// The service could not be reached (refused, reset, name not found, TLS failed):
    /// `BIFROST_ERR_UNAVAILABLE`.
    ///
    /// ```swift
    /// case .unavailable: context.log(.warning, "dlp unreachable")
    /// ```
    case unavailable
    /// The service did not answer within the request's timeout: `BIFROST_ERR_TIMEOUT`.
    ///
    /// ```swift
    /// case .timedOut: return .reject(Rejection(status: 504, type: "timeout", message: "auth timed out"))
    /// ```
    case timedOut
    /// The answer's body was longer than the request's `maxResponseBytes`: `BIFROST_ERR_TOO_LARGE`.
    ///
    /// ```swift
    /// case .tooLarge: context.log(.warning, "verdict too large")
    /// ```
    case tooLarge
}

extension HookContext {
    /// Adds `amount` (negative subtracts, 0 only reads) to the counter `key` and reads it, a
    /// PreHook read (ABI 1.7): atomic on the gateway's state backend and exact across the
    /// replicas sharing it. A counter that does not exist starts at 0 and lives
    /// `windowMilliseconds` (> 0) from that first add: a fixed window. Throws a
    /// ``HostCallError`` on a host older than 1.7 or outside a PreHook.
    ///
    /// ```swift
    /// guard case .ready(let reading) = try context.addToCounter("req:0:\(client)", 1, windowMilliseconds: 60_000)
    /// else { return .pending }
    /// ```
    public func addToCounter(_ key: String, _ amount: Int64, windowMilliseconds: UInt64) throws
        -> HostResult<CounterReading>
    {
        let add = try newerHostFunction(api, \.state_counter_add, "state_counter_add", since: 7)
        var value: Int64 = 0
        var resetsIn: UInt64 = 0
        let status = withHostString(key) { add(handle, $0, amount, windowMilliseconds, &value, &resetsIn) }
        if status == BIFROST_PENDING { return .pending }
        try check(status, "state_counter_add")
        return .ready(CounterReading(value: value, resetsInMilliseconds: resetsIn))
    }

    /// Adds `amount` to the counter `key` without reading it, a write (ABI 1.7): works in
    /// every hook and is performed after the hook returns, e.g. a PostHook charging the
    /// tokens a response used. The window starts as in ``addToCounter(_:_:windowMilliseconds:)``.
    ///
    /// ```swift
    /// try context.chargeCounter("tok:0:\(client)", Int64(usage.totalTokens), windowMilliseconds: 60_000)
    /// ```
    public func chargeCounter(_ key: String, _ amount: Int64, windowMilliseconds: UInt64) throws {
        let add = try newerHostFunction(api, \.state_counter_add, "state_counter_add", since: 7)
        try withHostString(key) {
            try check(add(handle, $0, amount, windowMilliseconds, nil, nil), "state_counter_add")
        }
    }

    /// The value stored under `key`, `nil` when there is none or it expired, a PreHook read
    /// (ABI 1.7). Values are the plugin's own (other plugins cannot read them) and shared by
    /// the replicas on one state backend.
    ///
    /// ```swift
    /// switch try context.value(forKey: cacheKey) {
    /// case .pending: return .pending
    /// case .ready(let bytes?): return .respond(decode(bytes))
    /// case .ready(nil): return .continue
    /// }
    /// ```
    public func value(forKey key: String) throws -> HostResult<[UInt8]?> {
        let get = try newerHostFunction(api, \.state_value_get, "state_value_get", since: 7)
        var bytes = bifrost_bytes()
        let status = withHostString(key) { get(handle, $0, &bytes) }
        if status == BIFROST_PENDING { return .pending }
        guard try checkFound(status, "state_value_get") else { return .ready(nil) }
        guard let pointer = bytes.ptr, bytes.len > 0 else { return .ready([]) }
        return .ready(Array(UnsafeBufferPointer(start: pointer, count: bytes.len)))
    }

    /// Stores `value` (at most 4 MiB) under `key` for `timeToLiveMilliseconds` (0: until
    /// removed or evicted), a write (ABI 1.7): works in every hook, performed after it returns.
    ///
    /// ```swift
    /// try context.setValue(encoded, forKey: cacheKey, timeToLiveMilliseconds: 300_000)
    /// ```
    public func setValue(_ value: [UInt8], forKey key: String, timeToLiveMilliseconds: UInt64 = 0) throws {
        let set = try newerHostFunction(api, \.state_value_set, "state_value_set", since: 7)
        try withHostString(key) { key in
            try value.withUnsafeBufferPointer { buffer in
                // The host never sees NULL with a length, even for an empty value.
                let pointer =
                    buffer.baseAddress
                    ?? UnsafeRawPointer(emptyCString()).assumingMemoryBound(to: UInt8.self)
                let bytes = bifrost_bytes(ptr: pointer, len: buffer.count)
                try check(set(handle, key, bytes, timeToLiveMilliseconds), "state_value_set")
            }
        }
    }

    /// Removes the value `key` (absent is not an error), a write (ABI 1.7).
    ///
    /// ```swift
    /// try context.removeValue(forKey: cacheKey)
    /// ```
    public func removeValue(forKey key: String) throws {
        let remove = try newerHostFunction(api, \.state_value_remove, "state_value_remove", since: 7)
        try withHostString(key) { try check(remove(handle, $0), "state_value_remove") }
    }

    /// Sends an HTTP request to a service, a PreHook read (ABI 1.7; declare
    /// ``SensitiveData/callouts`` in the plugin's capabilities). An unreachable service, a
    /// timeout or a too large answer come back as a ``CalloutOutcome`` failure, not a throw.
    ///
    /// ```swift
    /// switch try context.callout(CalloutRequest(method: "GET", url: "http://auth.internal/ok")) {
    /// case .pending: return .pending
    /// case .ready(.answered(let response)) where response.status == 200: return .continue
    /// case .ready: return .reject(Rejection(status: 403, type: "permission_error", message: "denied"))
    /// }
    /// ```
    public func callout(_ request: CalloutRequest) throws -> HostResult<CalloutOutcome> {
        let send = try newerHostFunction(api, \.callout, "callout", since: 7)
        let headers = request.headers.sorted { $0.key < $1.key }
        var response = bifrost_callout_response()
        response.struct_size = UInt32(MemoryLayout<bifrost_callout_response>.size)
        let status = withHostStrings(request.method, request.url) { method, url in
            withHostStringArray(headers.map(\.key)) { names, count in
                withHostStringArray(headers.map(\.value)) { values, _ in
                    request.body.withUnsafeBufferPointer { body in
                        var raw = bifrost_callout_request()
                        raw.struct_size = UInt32(MemoryLayout<bifrost_callout_request>.size)
                        raw.timeout_ms = request.timeoutMilliseconds
                        raw.method = method
                        raw.url = url
                        raw.header_names = names
                        raw.header_values = values
                        raw.header_count = count
                        raw.body = bifrost_bytes(ptr: body.baseAddress, len: body.count)
                        raw.max_response_bytes = request.maxResponseBytes
                        return send(handle, &raw, &response)
                    }
                }
            }
        }
        switch status {
        case BIFROST_PENDING: return .pending
        case BIFROST_ERR_UNAVAILABLE: return .ready(.unavailable)
        case BIFROST_ERR_TIMEOUT: return .ready(.timedOut)
        case BIFROST_ERR_TOO_LARGE: return .ready(.tooLarge)
        default: try check(status, "callout")
        }
        var answerHeaders: [String: String] = [:]
        if let names = response.header_names, let values = response.header_values {
            for index in 0..<response.header_count {
                answerHeaders[String(borrowing: names[index])] = String(borrowing: values[index])
            }
        }
        let body =
            response.body.ptr.map { Array(UnsafeBufferPointer(start: $0, count: response.body.len)) } ?? []
        return .ready(.answered(CalloutResponse(status: Int(response.status), headers: answerHeaders, body: body)))
    }
}
