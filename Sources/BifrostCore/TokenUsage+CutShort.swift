extension TokenUsage {
    /// About how many tokens a text of `utf8Count` bytes is: one per four bytes, rounded up
    /// (English prose averages a little over four characters per token). A count for billing
    /// an answer whose usage never arrived, not a tokenizer.
    static func estimatedTokens(utf8Count: Int) -> Int { (utf8Count + 3) / 4 }

    /// The usage of a stream its client left: what the upstream reported so far, with the
    /// counts it did not report (or reported below what the text shows: Anthropic counts
    /// output tokens at the start and again only at the end) counted from the text, prompt
    /// from `request`'s messages and completion from `partial`'s choices. `estimated` says
    /// whether any count is the host's.
    ///
    /// ```swift
    /// let (usage, estimated) = TokenUsage.cutShort(reported: nil, request: request, partial: assembly.response)
    /// ```
    public static func cutShort(reported: TokenUsage?, request: ChatRequest, partial: ChatResponse)
        -> (usage: TokenUsage, estimated: Bool)
    {
        var usage = reported ?? TokenUsage()
        var estimated = false
        if usage.promptTokens == 0 {
            let bytes = request.messages.reduce(0) { total, message in
                total + message.content.utf8.count
                    + ToolCall.list(message.extra["tool_calls"]).reduce(0) { $0 + $1.name.utf8.count + $1.arguments.utf8.count }
            }
            usage.promptTokens = estimatedTokens(utf8Count: bytes)
            estimated = true
        }
        let completionBytes = partial.choices.reduce(0) { total, choice in
            total + choice.content.utf8.count + (choice.reasoning?.utf8.count ?? 0) + (choice.refusal?.utf8.count ?? 0)
                + choice.toolCalls.reduce(0) { $0 + $1.name.utf8.count + $1.arguments.utf8.count }
        }
        let counted = estimatedTokens(utf8Count: completionBytes)
        if counted > usage.completionTokens {
            usage.completionTokens = counted
            estimated = true
        }
        usage.totalTokens = usage.promptTokens + usage.completionTokens
        return (usage, estimated)
    }
}
