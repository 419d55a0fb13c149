/// Token counts of a response (`bifrost_usage`).
///
/// ```swift
/// let usage = HookUsage(promptTokens: 12, completionTokens: 30)  // totalTokens 42
/// ```
public struct HookUsage: Sendable, Hashable {
    /// Tokens in the prompt.
    ///
    /// ```swift
    /// usage.promptTokens
    /// ```
    public var promptTokens: Int
    /// Tokens generated.
    ///
    /// ```swift
    /// usage.completionTokens
    /// ```
    public var completionTokens: Int
    /// Their sum, as reported.
    ///
    /// ```swift
    /// usage.totalTokens
    /// ```
    public var totalTokens: Int

    /// Creates counts; `totalTokens` defaults to the sum.
    ///
    /// ```swift
    /// HookUsage(promptTokens: 3, completionTokens: 4).totalTokens  // 7
    /// ```
    public init(promptTokens: Int = 0, completionTokens: Int = 0, totalTokens: Int? = nil) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
        self.totalTokens = totalTokens ?? (promptTokens + completionTokens)
    }

    init(_ raw: bifrost_usage) {
        self.init(
            promptTokens: Int(truncatingIfNeeded: raw.prompt_tokens),
            completionTokens: Int(truncatingIfNeeded: raw.completion_tokens),
            totalTokens: Int(truncatingIfNeeded: raw.total_tokens))
    }

    var raw: bifrost_usage {
        bifrost_usage(
            prompt_tokens: Int64(promptTokens), completion_tokens: Int64(completionTokens),
            total_tokens: Int64(totalTokens))
    }
}
