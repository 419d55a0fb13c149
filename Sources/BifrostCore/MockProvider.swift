/// The built-in provider that answers without a network: deterministic, with usage counts.
///
/// Model `echo` answers `Echo: ` and the last user message; model `fail` always fails
/// with a 503, for exercising error paths. Token counts are one token per four UTF-8 bytes
/// (rounded up) plus three per message, so they are stable across runs.
///
/// ```swift
/// let mock = MockProvider(latency: .milliseconds(20))
/// ```
public struct MockProvider: Provider {
    public let name: String
    public let models = ["echo", "fail"]
    /// How long each answer takes.
    public let latency: Duration

    /// Creates the mock provider.
    public init(name: String = "mock", latency: Duration = .zero) {
        self.name = name
        self.latency = latency
    }

    public func chatCompletion(_ request: ChatRequest, context: RequestContext) async throws(BifrostError) -> ChatResponse {
        if latency > .zero {
            do { try await Task.sleep(for: latency) } catch {
                throw BifrostError(status: 499, type: "request_cancelled", message: "the request was cancelled")
            }
        }
        if request.model == "fail" {
            throw BifrostError(
                status: 503, type: "provider_error", code: "mock_failure",
                message: "the mock provider's model 'fail' always fails", source: .provider(name))
        }
        let lastUser = request.messages.last(where: { $0.role == "user" })?.content ?? ""
        let answer = "Echo: " + lastUser
        let promptTokens = request.messages.reduce(0) { $0 + Self.tokenCount($1.content) + 3 }
        return ChatResponse(
            id: "chatcmpl-" + context.requestID,
            created: Int(context.arrivalTimeNanoseconds / 1_000_000_000),
            provider: name,
            model: request.model,
            choices: [ChatChoice(content: answer, finishReason: "stop")],
            usage: TokenUsage(promptTokens: promptTokens, completionTokens: Self.tokenCount(answer)))
    }

    static func tokenCount(_ text: String) -> Int { (text.utf8.count + 3) / 4 }
}
