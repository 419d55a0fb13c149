/// How to reach one provider and how to treat it: base URL, keys, timeouts, retries,
/// fallbacks, concurrency. Read from the configuration file's `providers` section.
///
/// ```swift
/// let openai = ProviderSettings(name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1",
///                               keys: [APIKey(id: "openai#0", secret: "sk-…")], models: ["gpt-4o-mini"])
/// ```
public struct ProviderSettings: Sendable, Hashable {
    /// The wire protocol a provider speaks, by name. The providers target registers the kinds
    /// it can make (`ProviderKinds`); the core only names the built-in ones.
    public struct Kind: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        /// The kind's name, as the configuration file writes it.
        public var rawValue: String

        /// A kind by name.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// OpenAI's API, and every OpenAI-compatible server (vLLM, Ollama, Groq, …).
        public static let openai = Kind(rawValue: "openai")
        /// Anthropic's Messages API.
        public static let anthropic = Kind(rawValue: "anthropic")
        /// The built-in mock.
        public static let mock = Kind(rawValue: "mock")

        public var description: String { rawValue }
    }

    /// The name clients use as the prefix of `provider/model` (`openai`, `groq`, `local`).
    public var name: String
    /// The wire protocol.
    public var kind: Kind
    /// The API's base URL, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:11434/v1`.
    public var baseURL: String
    /// The keys to rotate over; empty for servers without authentication.
    public var keys: [APIKey]
    /// The models served, without the provider prefix; empty means any model is passed through.
    public var models: [String]
    /// Connect, request and stream-idle timeouts.
    public var timeouts: Timeouts
    /// Retries of one provider before falling back.
    public var retry: RetryPolicy
    /// Requests in flight at once to this provider.
    public var maxConcurrentRequests: Int
    /// Requests waiting for a slot; beyond this a request is refused with 503 at once.
    public var maxQueuedRequests: Int
    /// Default fallbacks per model (`"gpt-4o": ["anthropic/claude-3-5-haiku-latest"]`).
    public var fallbacks: [String: [String]]
    /// Extra headers sent upstream with every request (e.g. `anthropic-version`).
    public var headers: [String: String]
    /// Extra time each answer takes; only the built-in mock honours it (demos, shutdown tests).
    ///
    /// ```swift
    /// var slow = GatewayConfiguration.defaultMockSettings
    /// slow.mockLatency = .milliseconds(200)
    /// ```
    public var mockLatency: Duration = .zero

    /// Creates settings with production-minded defaults.
    public init(
        name: String,
        kind: Kind,
        baseURL: String,
        keys: [APIKey] = [],
        models: [String] = [],
        timeouts: Timeouts = Timeouts(),
        retry: RetryPolicy = RetryPolicy(),
        maxConcurrentRequests: Int = 64,
        maxQueuedRequests: Int = 256,
        fallbacks: [String: [String]] = [:],
        headers: [String: String] = [:]
    ) {
        self.name = name
        self.kind = kind
        self.baseURL = baseURL
        self.keys = keys
        self.models = models
        self.timeouts = timeouts
        self.retry = retry
        self.maxConcurrentRequests = maxConcurrentRequests
        self.maxQueuedRequests = maxQueuedRequests
        self.fallbacks = fallbacks
        self.headers = headers
    }

    /// How long to wait.
    public struct Timeouts: Sendable, Hashable {
        /// Establishing the connection (TCP and TLS).
        public var connect: Duration
        /// A whole non-streamed request, and a stream's first byte.
        public var request: Duration
        /// The longest silence between two chunks of a stream.
        public var streamIdle: Duration

        /// Creates timeouts.
        public init(connect: Duration = .seconds(10), request: Duration = .seconds(600), streamIdle: Duration = .seconds(60)) {
            self.connect = connect
            self.request = request
            self.streamIdle = streamIdle
        }
    }

    /// Exponential backoff with jitter.
    public struct RetryPolicy: Sendable, Hashable {
        /// Attempts at this provider, the first included (1 = no retry).
        public var maxAttempts: Int
        /// The wait before the first retry; doubles each time, with jitter.
        public var initialBackoff: Duration
        /// The longest wait, also the cap on an upstream's `Retry-After`.
        public var maxBackoff: Duration

        /// Creates a policy.
        public init(maxAttempts: Int = 3, initialBackoff: Duration = .milliseconds(250), maxBackoff: Duration = .seconds(8)) {
            self.maxAttempts = maxAttempts
            self.initialBackoff = initialBackoff
            self.maxBackoff = maxBackoff
        }
    }
}

/// One API key of a provider.
///
/// ```swift
/// let key = APIKey(id: "openai#0", secret: "sk-…", weight: 2, models: ["gpt-4o-mini"])
/// ```
public struct APIKey: Sendable, Hashable, CustomStringConvertible {
    /// A name safe to log, e.g. `openai#0`.
    public var id: String
    /// The secret. Never logged, never in an error or on `/api/*`.
    public var secret: String
    /// The key's share of traffic relative to the provider's other keys.
    public var weight: Double
    /// The models this key may be used for; `nil` means all.
    public var models: Set<String>?

    /// Creates a key.
    public init(id: String, secret: String, weight: Double = 1, models: Set<String>? = nil) {
        self.id = id
        self.secret = secret
        self.weight = weight
        self.models = models
    }

    /// The key's id only: keys print without their secret.
    public var description: String { id }

    /// The credentials of one attempt with this key.
    public var credentials: ProviderCredentials { ProviderCredentials(keyID: id, secret: secret) }
}
