/// How a chat request ends: with a response or with an error.
///
/// PostHooks receive the outcome and may change it either way.
///
/// ```swift
/// var outcome = ChatOutcome.failure(.invalidRequest("no messages"))
/// outcome = .response(ChatResponse(provider: "mock", model: "echo", choices: [.init(content: "fallback")]))
/// ```
public enum ChatOutcome: Sendable, Hashable {
    case response(ChatResponse)
    case failure(BifrostError)

    /// The response, if the outcome is one.
    public var response: ChatResponse? {
        if case .response(let response) = self { return response }
        return nil
    }

    /// The error, if the outcome is one.
    public var error: BifrostError? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

extension ChatOutcome {
    /// Adds the headers of `defaults` that the response or error does not already carry.
    mutating func addDefaultHeaders(_ defaults: HeaderFields) {
        guard !defaults.isEmpty else { return }
        // Taken out of `self`, so the headers are not copied to be changed.
        switch consume self {
        case .response(var response):
            response.headers.addMissing(defaults)
            self = .response(response)
        case .failure(var error):
            error.headers.addMissing(defaults)
            self = .failure(error)
        }
    }
}
