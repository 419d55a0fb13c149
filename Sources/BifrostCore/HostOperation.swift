/// One thing a hook asked of the gateway's host services (PluginSDK/DESIGN.md §7): state
/// that outlives a request, or an HTTP callout.
///
/// Reads (``isRead``) have a result the hook waits for, by returning
/// ``PreHookResult/pending(_:)`` and being called again; writes are performed after the hook
/// and nothing waits on them.
///
/// ```swift
/// let add = HostOperation.counterAdd(key: Array("requests".utf8), amount: 1, window: .seconds(60), reads: true)
/// add.isRead  // true
/// ```
public enum HostOperation: Sendable, Hashable {
    /// Adds `amount` to a counter in a fixed window; with `reads`, the hook gets the counter.
    case counterAdd(key: [UInt8], amount: Int64, window: Duration, reads: Bool)
    /// Reads the value under a key.
    case valueGet(key: [UInt8])
    /// Stores a value under a key, for `timeToLive` (`nil`: until removed or evicted).
    case valueSet(key: [UInt8], value: [UInt8], timeToLive: Duration?)
    /// Removes the value under a key.
    case valueRemove(key: [UInt8])
    /// Sends an HTTP request.
    case callout(CalloutRequest)

    /// Whether the hook waits for a result.
    public var isRead: Bool {
        switch self {
        case .counterAdd(_, _, _, let reads): reads
        case .valueGet, .callout: true
        case .valueSet, .valueRemove: false
        }
    }

    /// Whether `other`, issued at this one's position when a hook is called again, is the
    /// same call: the same function and key (or URL), so its recorded result is the answer.
    public func isRepeated(by other: HostOperation) -> Bool {
        switch (self, other) {
        case (.counterAdd(let key, _, _, let reads), .counterAdd(let otherKey, _, _, let otherReads)):
            key == otherKey && reads == otherReads
        case (.valueGet(let key), .valueGet(let otherKey)): key == otherKey
        case (.valueSet(let key, _, _), .valueSet(let otherKey, _, _)): key == otherKey
        case (.valueRemove(let key), .valueRemove(let otherKey)): key == otherKey
        case (.callout(let request), .callout(let otherRequest)):
            request.method == otherRequest.method && request.url == otherRequest.url
        default: false
        }
    }

    /// The operation's name in logs and metric labels, e.g. `counter_add`.
    public var name: String {
        switch self {
        case .counterAdd: "counter_add"
        case .valueGet: "value_get"
        case .valueSet: "value_set"
        case .valueRemove: "value_remove"
        case .callout: "callout"
        }
    }
}

/// What one ``HostOperation`` came to.
///
/// ```swift
/// if case .counter(let value, let resetsIn) = result, value > 600 { reject(after: resetsIn) }
/// ```
public enum HostOperationResult: Sendable, Hashable {
    /// A counter after the add, and the time left in its window.
    case counter(value: Int64, resetsIn: Duration)
    /// The value read; `nil` when there is none.
    case value([UInt8]?)
    /// A write was performed.
    case written
    /// A callout's answer.
    case callout(CalloutResponse)
    /// A callout that got no answer.
    case calloutFailed(CalloutFailure)
}

/// An HTTP request a hook sends to a service it consults.
///
/// ```swift
/// let check = CalloutRequest(method: "POST", url: "http://127.0.0.1:9000/scan", body: Array(text.utf8))
/// ```
public struct CalloutRequest: Sendable, Hashable {
    /// The default and the longest timeout.
    public static let defaultTimeout: Duration = .seconds(1)
    /// The longest timeout a callout may ask for.
    public static let maximumTimeout: Duration = .seconds(30)
    /// The default and the largest answer body accepted.
    public static let defaultMaximumResponseBytes = 1 << 20
    /// The largest answer body a callout may accept.
    public static let maximumResponseBytes = 16 << 20

    /// `GET`, `POST`, ...
    public var method: String
    /// An absolute `http://` or `https://` URL.
    public var url: String
    /// The request's headers, in order.
    public var headers: HeaderFields
    /// The body; empty for none.
    public var body: [UInt8]
    /// The longest the exchange may take.
    public var timeout: Duration
    /// The largest answer body accepted; a longer one fails with ``CalloutFailure/Code/tooLarge``.
    public var maximumResponseBytes: Int

    /// A request.
    public init(
        method: String, url: String, headers: HeaderFields = HeaderFields(), body: [UInt8] = [],
        timeout: Duration = CalloutRequest.defaultTimeout,
        maximumResponseBytes: Int = CalloutRequest.defaultMaximumResponseBytes
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }
}

/// A callout's answer.
///
/// ```swift
/// response.status  // 200
/// ```
public struct CalloutResponse: Sendable, Hashable {
    /// The HTTP status.
    public var status: Int
    /// The answer's headers, names lowercase, in order.
    public var headers: HeaderFields
    /// The body.
    public var body: [UInt8]

    /// An answer.
    public init(status: Int, headers: HeaderFields = HeaderFields(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// Why a callout got no answer. Grows by adding codes; compare ``code``, never the message.
///
/// ```swift
/// if failure.code == .timeout { /* the service is slow: decide without it */ }
/// ```
public struct CalloutFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        let name: String
        /// The service could not be reached: refused, reset, unknown host, TLS failed.
        public static let unavailable = Code(name: "unavailable")
        /// No complete answer within the callout's timeout.
        public static let timeout = Code(name: "timeout")
        /// The answer's body is longer than the callout accepts.
        public static let tooLarge = Code(name: "too_large")
        /// The request itself is malformed (a URL that is not http or https).
        public static let invalidRequest = Code(name: "invalid_request")
        /// The name, e.g. `timeout`.
        public var description: String { name }
    }

    /// What kind of failure.
    public var code: Code
    /// What happened, for a log line: the service's address, never a header or the body.
    public var message: String

    /// A failure of `code` saying `message`.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code): \(message)" }
}
