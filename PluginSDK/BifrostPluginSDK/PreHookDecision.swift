/// What a PreHook decided.
///
/// ```swift
/// func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
///     if let cached = cache[try request.model] { return .respond(ShortCircuitResponse(content: cached)) }
///     if overLimit { return .reject(Rejection(status: 429, type: "rate_limit_exceeded", message: "Slow down", headers: ["retry-after": "1"])) }
///     return .continue
/// }
/// ```
public enum PreHookDecision: Sendable, Hashable {
    /// Go on to the next plugin with the request as it now stands.
    ///
    /// ```swift
    /// return .continue
    /// ```
    case `continue`
    /// Answer now: the provider is not called, later PreHooks are skipped, PostHooks of
    /// the plugins entered so far (this one included) still run.
    ///
    /// ```swift
    /// return .respond(ShortCircuitResponse(content: cached, headers: ["x-cache": "hit"]))
    /// ```
    case respond(ShortCircuitResponse)
    /// Refuse the request with an error the client sees (status, type, message).
    ///
    /// ```swift
    /// return .reject(Rejection(status: 403, type: "permission_error", message: "Model not allowed"))
    /// ```
    case reject(Rejection)
    /// Call this PreHook again for the same request after `nanoseconds` (ABI 1.2): a rate
    /// limiter that delays instead of rejecting. No thread is held while the request waits;
    /// bound the total yourself (one wait is capped at 60 s by the host).
    ///
    /// ```swift
    /// return .wait(nanoseconds: 250_000_000)
    /// ```
    case wait(nanoseconds: UInt64)
    /// Call this PreHook again for the same request once the host operations it started have
    /// results (ABI 1.7): return it when a state read or a callout answered ``HostResult/pending``.
    /// On the call again, make the same calls in the same order; they now return `.ready`.
    ///
    /// ```swift
    /// guard case .ready(let reading) = try context.addToCounter("req:0:\(client)", 1, windowMilliseconds: 60_000)
    /// else { return .pending }
    /// ```
    case pending
}

/// A response written by a plugin: a PreHook's answer (cache hit) or a PostHook's recovery.
///
/// ```swift
/// ShortCircuitResponse(content: "cached answer", usage: HookUsage(promptTokens: 9, completionTokens: 2),
///                      headers: ["x-cache": "hit"])
/// ```
public struct ShortCircuitResponse: Sendable, Hashable {
    /// The assistant message of the single choice.
    ///
    /// ```swift
    /// answer.content = "Hello"
    /// ```
    public var content: String
    /// Why generation stopped, e.g. `stop`.
    ///
    /// ```swift
    /// answer.finishReason = "length"
    /// ```
    public var finishReason: String
    /// Token counts to report.
    ///
    /// ```swift
    /// answer.usage = HookUsage(promptTokens: 9, completionTokens: 2)
    /// ```
    public var usage: HookUsage
    /// The model to report; `nil` keeps the request's.
    ///
    /// ```swift
    /// answer.model = "cache"
    /// ```
    public var model: String?
    /// Headers sent to the client with the response.
    ///
    /// ```swift
    /// answer.headers["x-cache"] = "hit"
    /// ```
    public var headers: [String: String]

    /// Creates a one-choice response.
    ///
    /// ```swift
    /// let answer = ShortCircuitResponse(content: "Hello")
    /// ```
    public init(
        content: String,
        finishReason: String = "stop",
        usage: HookUsage = HookUsage(),
        model: String? = nil,
        headers: [String: String] = [:]
    ) {
        self.content = content
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
        self.headers = headers
    }
}

/// An error a plugin answers with: a PreHook's rejection or a PostHook's failure.
///
/// ```swift
/// Rejection(status: 429, type: "rate_limit_exceeded", message: "Slow down", headers: ["retry-after": "2"])
/// ```
public struct Rejection: Sendable, Hashable {
    /// The HTTP status, 400–599.
    ///
    /// ```swift
    /// rejection.status = 403
    /// ```
    public var status: Int
    /// OpenAI's error `type`, e.g. `rate_limit_exceeded`.
    ///
    /// ```swift
    /// rejection.type = "permission_error"
    /// ```
    public var type: String
    /// The message the client sees.
    ///
    /// ```swift
    /// rejection.message = "Quota exhausted"
    /// ```
    public var message: String
    /// OpenAI's error `code`, if any.
    ///
    /// ```swift
    /// rejection.code = "quota_exceeded"
    /// ```
    public var code: String?
    /// Headers sent to the client with the error, e.g. `retry-after`.
    ///
    /// ```swift
    /// rejection.headers["retry-after"] = "30"
    /// ```
    public var headers: [String: String]

    /// Creates a rejection.
    ///
    /// ```swift
    /// let rejection = Rejection(status: 403, type: "permission_error", message: "Model not allowed")
    /// ```
    public init(status: Int, type: String, message: String, code: String? = nil, headers: [String: String] = [:]) {
        self.status = status
        self.type = type
        self.message = message
        self.code = code
        self.headers = headers
    }
}
