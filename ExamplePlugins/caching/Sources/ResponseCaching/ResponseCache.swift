public import BifrostPluginSDK

/// An exact-match response cache: a request whose provider, model, messages and
/// output-affecting parameters equal an earlier one's gets that earlier answer without a
/// call to the provider, replayed as a stream to a streaming client.
///
/// The key is the request's canonical JSON (keys sorted at every level) without `user`,
/// `stream` and `stream_options`. Answers expire after `ttl_seconds` and the store is
/// bounded by entries and bytes (least recently used out first). Every answer carries
/// `x-bifrost-cache: hit`, `miss` or `bypass`; a request header `x-bifrost-cache: bypass`
/// or the parameter `"store": false` skips the cache. Errors, multi-choice and tool-call answers are never stored.
/// With the configuration `"store": "shared"` answers live in the gateway's state instead,
/// shared by the replicas on one state backend.
///
/// ```swift
/// let cache = try ResponseCache(configuration: PluginConfiguration(text: #"{"ttl_seconds": 60}"#))
/// ```
public struct ResponseCache: PreHookPlugin, PostHookPlugin {
    /// `caching`.
    ///
    /// ```swift
    /// ResponseCache.name  // "caching"
    /// ```
    public static let name = "caching"
    /// The cache key is the request's canonical JSON and the entry the answer's text.
    public static var capabilities: SensitiveData { [.messageContent] }

    /// The plugin's version.
    ///
    /// ```swift
    /// ResponseCache.version  // "1.0.0"
    /// ```
    public static let version = "1.0.0"

    /// The context key with this request's cache status, `hit`, `miss` or `bypass`, for
    /// other plugins (monitoring, logging) to read.
    ///
    /// ```swift
    /// try context[ResponseCache.statusKey]?.stringValue  // "hit"
    /// ```
    public static let statusKey = "caching.status"

    /// The header on answers and, with the value `bypass`, on requests.
    public static let header = "x-bifrost-cache"

    static let keyKey = "caching.key"

    /// One stored answer.
    struct Entry: Sendable {
        var content: String
        var finishReason: String
        var usage: HookUsage
        var model: String
        var storedAt: UInt64
    }

    /// The checked configuration.
    ///
    /// ```swift
    /// cache.configuration.maxEntries  // 10000
    /// ```
    public let configuration: CacheConfiguration
    let store: PluginLock<LRUStore<CacheKey, Entry>>
    private let host: PluginHost
    let entries: PluginMetricSeries
    let bytes: PluginMetricSeries

    /// Reads and checks the configuration and defines the cache's gauges.
    ///
    /// ```swift
    /// let cache = try ResponseCache(configuration: PluginConfiguration(text: "{}"))
    /// ```
    public init(configuration: PluginConfiguration) throws {
        self.configuration = try CacheConfiguration(configuration)
        store = PluginLock(LRUStore(maxEntries: self.configuration.maxEntries, maxBytes: self.configuration.maxBytes))
        host = configuration.host
        entries = try host.defineGauge("bifrost_cache_entries", help: "Answers held by the caching plugin.").series()
        bytes = try host.defineGauge("bifrost_cache_bytes", help: "Bytes held by the caching plugin (keys and answers).")
            .series()
    }

    /// Answers from the cache when it can; otherwise notes the key for the PostHook.
    ///
    /// ```swift
    /// let decision = try cache.preHook(request: request, context: context)  // .respond on a hit
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        // Chat answers only: an embeddings request whose inputs match a chat prompt must not get its answer.
        if try context.route.hasSuffix("/embeddings") { return .continue }
        // `store: false` (the Responses API's and chat completions' "keep nothing of this") is honoured by keeping nothing.
        if try request.header(Self.header)?.lowercased() == "bypass" || request.param("store") == .bool(false) {
            try mark(context, "bypass")
            return .continue
        }
        let text = try request.canonicalJSON(omitting: configuration.omittedParameters)
        if configuration.store == .shared { return try sharedPreHook(text, context: context) }
        let key = CacheKey(text)
        let now = host.monotonicNanoseconds()
        let entry: Entry? = store.withLock { store in
            guard let entry = store.value(for: key) else { return nil }
            guard now &- entry.storedAt < configuration.ttlNanoseconds else {
                store.removeValue(for: key)
                return nil
            }
            return entry
        }
        if let entry { return try hit(entry, ageNanoseconds: now &- entry.storedAt, context: context) }
        return try miss(text, context: context)
    }

    /// `store: shared`: one value read; an entry that does not decode is a miss.
    private func sharedPreHook(_ text: String, context: HookContext) throws -> PreHookDecision {
        switch try context.value(forKey: SharedEntry.stateKey(text)) {
        case .pending:
            return .pending
        case .ready(let bytes):
            guard let bytes, let entry = SharedEntry.decode(bytes, key: text) else { return try miss(text, context: context) }
            // Stored on another replica by its wall clock, which may run ahead of this one's.
            let now = try context.arrivalTimeNanoseconds
            return try hit(entry, ageNanoseconds: now > entry.storedAt ? now - entry.storedAt : 0, context: context)
        }
    }

    private func hit(_ entry: Entry, ageNanoseconds: UInt64, context: HookContext) throws -> PreHookDecision {
        try mark(context, "hit")
        return .respond(
            ShortCircuitResponse(
                content: entry.content, finishReason: entry.finishReason, usage: entry.usage, model: entry.model,
                headers: [Self.header: "hit", "age": String(ageNanoseconds / 1_000_000_000)]))
    }

    private func miss(_ text: String, context: HookContext) throws -> PreHookDecision {
        try mark(context, "miss")
        try context.set(Self.keyKey, .string(text))
        return .continue
    }

    /// Stores a fresh answer.
    ///
    /// ```swift
    /// try cache.postHook(outcome: outcome, context: context)
    /// ```
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        guard let response = try outcome.response, case .string(let key)? = try context[Self.keyKey] else { return }
        try remember(response, key: key, context: context)
    }

    /// Records the status for other plugins and as the answer's header (a stream's head too).
    private func mark(_ context: HookContext, _ status: String) throws {
        try context.set(Self.statusKey, .string(status))
        try context.setResponseHeader(Self.header, status)
    }

    private func remember(_ response: HookResponse, key text: String, context: HookContext) throws {
        guard try response.choiceCount == 1 else { return }
        let finishReason = try response.finishReason(at: 0) ?? "stop"
        guard finishReason != "tool_calls", finishReason != "function_call" else { return }
        let content = try response.content(at: 0)
        let size = text.utf8.count + content.utf8.count + 128
        guard size <= configuration.maxEntryBytes else { return }
        if configuration.store == .shared {
            // Replicas' monotonic clocks are unrelated, so a shared entry is dated by the wall clock.
            let entry = Entry(
                content: content, finishReason: finishReason, usage: try response.usage, model: try response.model,
                storedAt: try context.arrivalTimeNanoseconds)
            try context.setValue(
                SharedEntry.encode(entry, key: text), forKey: SharedEntry.stateKey(text),
                timeToLiveMilliseconds: max(1, configuration.ttlNanoseconds / 1_000_000))
            return
        }
        let key = CacheKey(text)
        let entry = Entry(
            content: content, finishReason: finishReason, usage: try response.usage, model: try response.model,
            storedAt: host.monotonicNanoseconds())
        let (count, total) = store.withLock { store in
            store.insert(entry, for: key, bytes: size)
            return (store.count, store.totalBytes)
        }
        entries.set(Double(count))
        bytes.set(Double(total))
    }
}

/// A cache key: the canonical request, hashed once. The store's map then hashes one integer
/// per operation instead of the whole request text each time.
struct CacheKey: Hashable, Sendable {
    let text: String
    let digest: Int

    init(_ text: String) {
        self.text = text
        digest = text.hashValue
    }

    func hash(into hasher: inout Hasher) { hasher.combine(digest) }

    static func == (lhs: CacheKey, rhs: CacheKey) -> Bool { lhs.digest == rhs.digest && lhs.text == rhs.text }
}
