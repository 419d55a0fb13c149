extension ChatMessage {
    /// The `extra` key under which a Responses API input item with no chat counterpart (an
    /// `item_reference`, a built-in tool's call or output) is kept as it came.
    public static let responsesItemKey = "responses_item"
}

extension ChatRequest {
    /// Request fields that name state an upstream keeps (a stored response, a conversation):
    /// only an upstream that keeps it can serve them.
    public static let serverStateParameters = ["previous_response_id", "conversation"]

    /// The 400 for a provider that keeps no server-side state and speaks no Responses items,
    /// naming the first field of the request it cannot serve; `nil` when there is none.
    ///
    /// A provider that answered without that state would answer another question than the
    /// client asked, so it refuses instead.
    ///
    /// ```swift
    /// if let refusal = request.serverStateRefusal(provider: "mock") { throw refusal }
    /// ```
    public func serverStateRefusal(provider: String) -> BifrostError? {
        for name in Self.serverStateParameters {
            guard let value = parameters[name], value != .null else { continue }
            return .invalidRequest(
                "'\(name)' needs an upstream that keeps responses and conversations; provider '\(provider)' keeps none",
                param: name, code: "unsupported_parameter")
        }
        for (index, message) in messages.enumerated() {
            guard let item = message.extra[ChatMessage.responsesItemKey] else { continue }
            let type = item.objectField("type")?.stringValue ?? "unknown"
            return .invalidRequest(
                "input item of type '\(type)' (message \(index)) has no counterpart at provider '\(provider)'",
                param: "input", code: "unsupported_parameter")
        }
        return nil
    }
}
