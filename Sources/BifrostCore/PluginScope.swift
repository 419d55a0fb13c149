/// Where a plugin runs: the routes, models and clients it is limited to. Outside its scope a
/// plugin is not called at all for a request (not its PreHook, so not its PostHook or chunk
/// hook either).
///
/// Each list holds glob patterns (`*` any run of characters, `?` one character); an empty
/// list admits everything. A model pattern with a `/` matches `provider/model` (`openai/gpt-4*`),
/// one without matches the model at any provider (`gpt-4o*`). Client patterns match the
/// client id the transport gives a request (`key:` and a hash of the client's key, never the
/// key itself, or the peer's address).
///
/// ```swift
/// let scope = PluginScope(routes: ["/v1/chat/*"], models: ["gpt-4o*"])
/// scope.admits(route: "/v1/chat/completions", provider: "openai", model: "gpt-4o-mini", client: "key:00ff")  // true
/// ```
public struct PluginScope: Sendable, Hashable {
    /// Route patterns, e.g. `/v1/chat/completions`.
    public var routes: [String]
    /// Model patterns, e.g. `gpt-4o*` or `anthropic/*`.
    public var models: [String]
    /// Client id patterns, e.g. `key:9f86d081884c7d65`.
    public var clients: [String]

    /// Creates a scope; an empty list admits every value of its kind.
    public init(routes: [String] = [], models: [String] = [], clients: [String] = []) {
        self.routes = routes
        self.models = models
        self.clients = clients
    }

    /// Whether the scope admits every request (every list empty).
    public var isUnrestricted: Bool { routes.isEmpty && models.isEmpty && clients.isEmpty }

    /// Whether a request on `route` for `provider/model` from `client` is in scope.
    public func admits(route: String, provider: String, model: String, client: String) -> Bool {
        Self.anyMatches(routes, route) && Self.anyModelMatches(models, provider: provider, model: model)
            && Self.anyMatches(clients, client)
    }

    private static func anyMatches(_ patterns: [String], _ text: String) -> Bool {
        guard !patterns.isEmpty else { return true }
        return patterns.contains { GlobPattern.matches($0, text) }
    }

    private static func anyModelMatches(_ patterns: [String], provider: String, model: String) -> Bool {
        guard !patterns.isEmpty else { return true }
        return patterns.contains { pattern in
            guard let slash = pattern.utf8.firstIndex(of: UInt8(ascii: "/")) else { return GlobPattern.matches(pattern, model) }
            let providerPattern = Substring(pattern.utf8[..<slash])
            let modelPattern = Substring(pattern.utf8[pattern.utf8.index(after: slash)...])
            return GlobPattern.matches(providerPattern, Substring(provider))
                && GlobPattern.matches(modelPattern, Substring(model))
        }
    }
}

/// Glob matching (`*`, `?`) over UTF-8 bytes, without allocating.
enum GlobPattern {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        matches(Substring(pattern), Substring(text))
    }

    static func matches(_ pattern: Substring, _ text: Substring) -> Bool {
        let pattern = pattern.utf8
        let text = text.utf8
        var p = pattern.startIndex
        var t = text.startIndex
        // Where the last `*` was and the text position it is currently assumed to cover up to.
        var star: (pattern: Substring.UTF8View.Index, text: Substring.UTF8View.Index)?
        while t != text.endIndex {
            if p != pattern.endIndex, pattern[p] == UInt8(ascii: "*") {
                star = (pattern.index(after: p), t)
                p = pattern.index(after: p)
            } else if p != pattern.endIndex, pattern[p] == UInt8(ascii: "?") || pattern[p] == text[t] {
                p = pattern.index(after: p)
                t = text.index(after: t)
            } else if let last = star {
                // Let the last `*` swallow one more byte and try again from there.
                let next = text.index(after: last.text)
                star = (last.pattern, next)
                p = last.pattern
                t = next
            } else {
                return false
            }
        }
        while p != pattern.endIndex, pattern[p] == UInt8(ascii: "*") { p = pattern.index(after: p) }
        return p == pattern.endIndex
    }
}
