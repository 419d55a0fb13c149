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

    private let values: Mutex<[String: ContextValue]>
    private let attachments: Mutex<[ObjectIdentifier: AnyObject]>

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
        self.values = Mutex([:])
        self.attachments = Mutex([:])
    }

    /// A value by key; setting `nil` removes it.
    public subscript(key: String) -> ContextValue? {
        get { values.withLock { $0[key] } }
        set { values.withLock { $0[key] = newValue } }
    }

    /// Every value, as a snapshot.
    public var allValues: [String: ContextValue] { values.withLock { $0 } }

    /// Per-request state that a plugin adapter keeps for itself, created on first use.
    ///
    /// The key is the state's type, so adapters cannot collide.
    public func attachment<State: AnyObject & Sendable>(_ type: State.Type, create: () -> State) -> State {
        attachments.withLock { storage in
            let key = ObjectIdentifier(type)
            if let existing = storage[key] { return unsafeDowncast(existing, to: State.self) }
            let state = create()
            storage[key] = state
            return state
        }
    }

    /// A new random request id, `req-` and 24 hex digits.
    public static func makeRequestID() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt32
        let hex = String(high, radix: 16) + String(low, radix: 16)
        return "req-" + String(repeating: "0", count: max(0, 24 - hex.count)) + hex
    }

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
