/// Chooses which of a provider's keys an attempt uses: weighted random over the keys allowed
/// for the model, avoiding keys that already failed this request with 401, 403 or 429.
///
/// ```swift
/// let selector = KeySelector(provider: "openai", keys: [APIKey(id: "openai#0", secret: "sk-…", weight: 3)])
/// var generator = SystemRandomNumberGenerator()
/// let allowed = try selector.allowedKeys(for: "gpt-4o-mini")
/// let key = KeySelector.pick(from: allowed, avoiding: [], using: &generator)
/// ```
public struct KeySelector: Sendable {
    /// The provider, named in errors.
    public let provider: String
    /// Every key of the provider, in configuration order.
    public let keys: [APIKey]

    /// Creates a selector.
    public init(provider: String, keys: [APIKey]) {
        self.provider = provider
        self.keys = keys
    }

    /// The keys that may be used for `model`; throws a 404 naming the model when the provider
    /// has keys but none allows it. An empty result means the provider needs no key.
    public func allowedKeys(for model: String) throws(BifrostError) -> [APIKey] {
        guard !keys.isEmpty else { return [] }
        let allowed = keys.filter { key in key.weight > 0 && (key.models?.contains(model) ?? true) }
        guard allowed.isEmpty else { return allowed }
        throw BifrostError(
            status: 404, type: "invalid_request_error", code: "model_not_found", param: "model",
            message:
                "provider '\(provider)' has no key allowed to use model '\(model)' "
                + "(keys: \(keys.map(\.id).joined(separator: ", ")); see each key's \"models\" in the configuration)",
            source: .provider(provider))
    }

    /// Picks one key at random in proportion to the weights, preferring keys not in `avoiding`;
    /// when every key is to be avoided, picks among all. `nil` only for an empty list.
    public static func pick(from keys: [APIKey], avoiding: Set<String>) -> APIKey? {
        // The system generator is used without `inout`: the thread sanitizer reports concurrent
        // `inout` accesses to the empty generator struct as races on one shared address.
        pick(from: keys, avoiding: avoiding) { Double.random(in: 0..<$0) }
    }

    /// The same with a given generator (a seeded one in tests).
    public static func pick(
        from keys: [APIKey], avoiding: Set<String>, using generator: inout some RandomNumberGenerator
    ) -> APIKey? {
        pick(from: keys, avoiding: avoiding) { Double.random(in: 0..<$0, using: &generator) }
    }

    /// `draw(n)` returns a number in `0..<n`.
    private static func pick(from keys: [APIKey], avoiding: Set<String>, draw: (Double) -> Double) -> APIKey? {
        let fresh = avoiding.isEmpty ? keys : keys.filter { !avoiding.contains($0.id) }
        let candidates = fresh.isEmpty ? keys : fresh
        guard candidates.count > 1 else { return candidates.first }
        let total = candidates.reduce(0) { $0 + max(0, $1.weight) }
        guard total > 0, total.isFinite else {
            return candidates[min(candidates.count - 1, Int(draw(Double(candidates.count))))]
        }
        var point = draw(total)
        for key in candidates {
            point -= max(0, key.weight)
            if point < 0 { return key }
        }
        return candidates.last
    }

    /// Whether some key of `keys` is not in `avoiding`.
    static func hasFreshKey(_ keys: [APIKey], avoiding: Set<String>) -> Bool {
        keys.contains { !avoiding.contains($0.id) }
    }
}
