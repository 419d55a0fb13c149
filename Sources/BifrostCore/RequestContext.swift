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

    private struct State {
        var values = ContextValues()
        var responseHeaders = HeaderFields()
        /// Which of the chain's first 64 plugins were entered (their PreHook's turn came and
        /// the request was in their scope), and the chain's plugin names (shared, not copied).
        var entered: (bits: UInt64, names: [String]) = (0, [])
        /// Each plugin's host operations and their results, for PreHooks called again.
        var hostOperations: [String: HostOperationLog] = [:]
        /// Writes (and reads no hook waited for) to perform once the hooks are done.
        var deferredOperations: [(plugin: String, operation: HostOperation)] = []
    }

    private let state: LockedValue<State>
    /// Whether any response header was set: most requests have none, and reading this
    /// costs no lock.
    private let hasResponseHeaders = Atomic<Bool>(false)
    /// Whether a hook queued host operations; most requests have none.
    private let hasDeferredOperations = Atomic<Bool>(false)
    /// Whether something reads the answer's typed view (``readsTypedAnswer``).
    private let typedAnswerRead = Atomic<Bool>(false)
    /// Set once, lock-free, when the request starts on a chain.
    private let servingChain = AtomicLazyReference<ChainGenerationTag>()

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
        self.state = LockedValue(State())
    }

    /// Whether something reads the typed view of the answer (whole, or its streamed chunks):
    /// a plugin entered (a PostHook, or a ChunkHook) or the writer of another wire format.
    /// Set before the dispatch, so a decoder reads the typed view as it goes instead of
    /// leaving it in the wire for the first to ask.
    public var readsTypedAnswer: Bool {
        get { typedAnswerRead.load(ordering: .relaxed) }
        set { typedAnswerRead.store(newValue, ordering: .relaxed) }
    }

    /// A value by key; setting `nil` removes it.
    public subscript(key: String) -> ContextValue? {
        get { state.withLock { $0.values[key] } }
        set {
            state.withLock { $0.values[key] = newValue }
        }
    }

    /// The value of the key whose UTF-8 is `key`, which must be valid UTF-8: what a native
    /// plugin passes, read without making a String of it.
    package subscript(utf8 key: UnsafeBufferPointer<UInt8>) -> ContextValue? {
        state.withLock { $0.values[utf8: key] }
    }

    /// Headers plugins set for the client's answer, whatever it turns out to be (a response,
    /// an error, the head of a stream). Headers the answer itself carries take precedence.
    /// Set before a stream starts, they reach its head; later ones are dropped for streams.
    ///
    /// ```swift
    /// context.setResponseHeader("x-ratelimit-remaining-requests", "59")
    /// ```
    public var responseHeaders: HeaderFields {
        guard hasResponseHeaders.load(ordering: .acquiring) else { return HeaderFields() }
        return state.withLock { $0.responseHeaders }
    }

    /// Sets (replaces) a header of the client's answer; see ``responseHeaders``.
    public func setResponseHeader(_ name: String, _ value: String) {
        state.withLock { $0.responseHeaders[name] = value }
        hasResponseHeaders.store(true, ordering: .releasing)
    }

    /// The chain's first 64 plugins entered on this request, plugin `i` of `names` (the
    /// chain's plugin names, in order) at bit `i`.
    ///
    /// ```swift
    /// let (bits, names) = context.enteredPlugins
    /// let ran = names.indices.filter { $0 < 64 && bits & (1 << UInt64($0)) != 0 }.map { names[$0] }
    /// ```
    public var enteredPlugins: (bits: UInt64, names: [String]) { state.withLock { $0.entered } }

    /// Records which plugins the chain entered; see ``enteredPlugins``.
    public func recordEnteredPlugins(_ bits: UInt64, names: [String]) {
        state.withLock { $0.entered = (bits, names) }
    }

    /// The host operations `plugin`'s PreHook started on this request and their results.
    public func hostOperationLog(plugin: String) -> HostOperationLog {
        state.withLock { $0.hostOperations[plugin] } ?? HostOperationLog()
    }

    /// Records a round of `plugin`'s host operations with their results.
    public func recordHostOperations(_ operations: [HostOperation], results: [HostOperationResult], plugin: String) {
        state.withLock { state in
            var log = state.hostOperations.removeValue(forKey: plugin) ?? HostOperationLog()
            log.operations += operations
            log.results += results
            log.rounds += 1
            state.hostOperations[plugin] = log
        }
    }

    /// Queues operations to perform once the hooks are done (a PostHook's writes).
    public func deferHostOperations(_ operations: [HostOperation], plugin: String) {
        state.withLock { state in
            for operation in operations { state.deferredOperations.append((plugin, operation)) }
        }
        hasDeferredOperations.store(true, ordering: .releasing)
    }

    /// Whether operations are queued, without taking them (lock-free).
    var hasDeferredHostOperations: Bool { hasDeferredOperations.load(ordering: .acquiring) }

    /// Takes the queued operations, in the order they were queued; empty (and lock-free)
    /// when none were.
    public func takeDeferredHostOperations() -> [(plugin: String, operation: HostOperation)] {
        guard hasDeferredOperations.load(ordering: .acquiring) else { return [] }
        hasDeferredOperations.store(false, ordering: .releasing)
        return state.withLock { state in
            defer { state.deferredOperations = [] }
            return state.deferredOperations
        }
    }

    /// The chain generation the request runs on; `nil` until it starts on one (a request
    /// refused before, such as a body that does not parse, has none).
    ///
    /// ```swift
    /// print(context.chainGeneration?.number ?? 0)
    /// ```
    public var chainGeneration: ChainGenerationTag? { servingChain.load() }

    /// Records the chain generation the request runs on; the first one recorded stays.
    public func recordChainGeneration(_ tag: ChainGenerationTag) {
        _ = servingChain.storeIfNil(tag)
    }

    /// Keys the host writes and plugins only read (``ContextValue/number`` unless noted):
    /// nanoseconds the dispatch took (retries and fallbacks included; for a stream, until it
    /// opened), how many provider attempts it made, as a comma-separated
    /// ``ContextValue/string`` the plugins that faulted on this request, and, as
    /// ``ContextValue/bool`` `true`, that a stream was cut short by its client and that the
    /// answer's usage is counted by the host (PluginSDK/DESIGN.md §2).
    public enum HostKey {
        /// `bifrost.upstream_ns`
        public static let upstreamNanoseconds = "bifrost.upstream_ns"
        /// `bifrost.attempts`
        public static let attempts = "bifrost.attempts"
        /// `bifrost.faulted`
        public static let faultedPlugins = "bifrost.faulted"
        /// `bifrost.cut_short`: the client left before the stream ended; PostHooks see the
        /// part of the answer received until then.
        public static let cutShort = "bifrost.cut_short"
        /// `bifrost.usage_estimated`: the upstream's usage did not arrive (or arrived only in
        /// part) and the host counted it from the text.
        public static let usageEstimated = "bifrost.usage_estimated"
        /// The prefix reserved for the host; plugins may not write keys that start with it.
        public static let reservedPrefix = "bifrost."
    }

    /// Records that the client left a stream before it ended, and whether the usage of the
    /// part received was counted by the host.
    public func recordCutShort(usageEstimated: Bool) {
        state.withLock {
            $0.values[HostKey.cutShort] = .bool(true)
            if usageEstimated { $0.values[HostKey.usageEstimated] = .bool(true) }
        }
    }

    /// Records that the dispatch took `nanoseconds` over `attempts` provider attempts.
    public func recordDispatch(nanoseconds: UInt64, attempts: Int) {
        state.withLock {
            $0.values[HostKey.upstreamNanoseconds] = .number(Double(nanoseconds))
            $0.values[HostKey.attempts] = .number(Double(attempts))
        }
    }

    /// Records that `plugin` faulted on this request (either failure policy).
    public func recordFault(of plugin: String) {
        state.withLock {
            if case .string(let earlier)? = $0.values[HostKey.faultedPlugins] {
                $0.values[HostKey.faultedPlugins] = .string(earlier + "," + plugin)
            } else {
                $0.values[HostKey.faultedPlugins] = .string(plugin)
            }
        }
    }

    /// Every value, as a snapshot.
    public var allValues: [String: ContextValue] { state.withLock { $0.values.all } }

    /// A new request id: `req-`, 12 hex digits fixed at start-up, 12 counting up.
    ///
    /// Unique within a process and across restarts (with overwhelming probability), and
    /// cheap: no system call per request.
    public static func makeRequestID() -> String {
        let sequence = requestCounter.add(1, ordering: .relaxed).newValue
        return String(unsafeUninitializedCapacity: 28) { bytes in
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
            return 28
        }
    }

    private static let processPrefix: UInt64 = UInt64.random(in: 0..<(1 << 48))
    private static let requestCounter = Atomic<UInt64>(0)

    /// The monotonic clock in nanoseconds, for durations.
    public static func monotonicNanoseconds() -> UInt64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return UInt64(spec.tv_sec) * 1_000_000_000 + UInt64(spec.tv_nsec)
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
