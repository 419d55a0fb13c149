import Synchronization

/// The per-request store shared by every hook of one request, and the request's fixed facts.
///
/// A PreHook writes a value (a start time, a cache key) and a PostHook of the same request
/// reads it. Hooks of one request run one after another, but a plugin may hand the context
/// to its own tasks, so access is synchronised.
///
/// ```swift
/// context["cache.key"] = .string("abc")
/// if case .string(let key)? = context["cache.key"] { print(key) }
/// ```
public final class RequestContext: Sendable {
    /// A unique id for the request, also sent to the client as `x-request-id`.
    public let requestID: String
    /// Wall-clock arrival, nanoseconds since the Unix epoch.
    public let arrivalTimeNanoseconds: UInt64
    /// Monotonic arrival, for measuring durations.
    public let arrivalInstant: ContinuousClock.Instant
    /// Who sent the request, as the transport identified it. Never a secret.
    public let clientID: String
    /// The route the request arrived on, e.g. `/v1/chat/completions`.
    public let route: String

    private let values: LockedValue<[String: ContextValue]>

    /// Creates a context.
    public init(
        requestID: String = RequestContext.makeRequestID(),
        arrivalTimeNanoseconds: UInt64 = RequestContext.wallClockNanoseconds(),
        clientID: String = "anonymous",
        route: String = "/v1/chat/completions"
    ) {
        self.requestID = requestID
        self.arrivalTimeNanoseconds = arrivalTimeNanoseconds
        self.arrivalInstant = .now
        self.clientID = clientID
        self.route = route
        self.values = LockedValue([:])
    }

    /// A value by key; setting `nil` removes it.
    public subscript(key: String) -> ContextValue? {
        get { values.withLock { $0[key] } }
        set { values.withLock { $0[key] = newValue } }
    }

    /// Every value, as a snapshot.
    public var allValues: [String: ContextValue] { values.withLock { $0 } }

    /// A new request id: `req-`, 12 hex digits fixed at start-up, 12 counting up.
    ///
    /// Unique within a process and across restarts (with overwhelming probability), and
    /// cheap: no system call per request.
    public static func makeRequestID() -> String {
        let sequence = requestCounter.add(1, ordering: .relaxed).newValue
        var bytes = [UInt8](repeating: 0, count: 28)
        bytes[0] = UInt8(ascii: "r")
        bytes[1] = UInt8(ascii: "e")
        bytes[2] = UInt8(ascii: "q")
        bytes[3] = UInt8(ascii: "-")
        let digits: StaticString = "0123456789abcdef"
        var prefix = processPrefix
        var counter = sequence
        for index in stride(from: 15, through: 4, by: -1) {
            bytes[index] = digits.utf8Start[Int(prefix & 0xF)]
            prefix >>= 4
        }
        for index in stride(from: 27, through: 16, by: -1) {
            bytes[index] = digits.utf8Start[Int(counter & 0xF)]
            counter >>= 4
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let processPrefix: UInt64 = UInt64.random(in: 0..<(1 << 48))
    private static let requestCounter = Atomic<UInt64>(0)

    /// Now, in nanoseconds since the Unix epoch.
    public static func wallClockNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
    }
}

/// A value in a ``RequestContext``.
public enum ContextValue: Sendable, Hashable {
    case bool(Bool)
    case number(Double)
    case string(String)
    /// Any other JSON value, as JSON text.
    case json(String)
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
