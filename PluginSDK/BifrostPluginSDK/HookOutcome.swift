/// What a request ends with, as a hook sees it: a response, an error, or (in a PreHook)
/// nothing yet. A view over the host's `bifrost_outcome` handle, valid only during the hook
/// call that received it.
///
/// ```swift
/// func postHook(outcome: HookOutcome, context: HookContext) throws {
///     if let response = try outcome.response {
///         try response.setHeader("x-served-by", "bifrost")
///     } else if let error = try outcome.error, try error.status == 503 {
///         try outcome.recover(ShortCircuitResponse(content: "The service is busy; try again."))
///     }
/// }
/// ```
public struct HookOutcome {
    /// The raw `bifrost_outcome *` handle.
    ///
    /// ```swift
    /// _ = api.pointee.outcome_get_response(outcome.handle, &response)
    /// ```
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The response, or `nil` if the outcome is an error (or empty).
    ///
    /// ```swift
    /// if let response = try outcome.response { try response.setHeader("x-a", "b") }
    /// ```
    public var response: HookResponse? {
        get throws {
            let get = try hostFunction(api.pointee.outcome_get_response, "outcome_get_response")
            var response: OpaquePointer?
            let status = get(handle, &response)
            if status == BIFROST_ERR_WRONG_STATE || status == BIFROST_ERR_NOT_FOUND { return nil }
            try check(status, "outcome_get_response")
            return HookResponse(handle: response, api: api)
        }
    }

    /// The error, or `nil` if the outcome is a response (or empty).
    ///
    /// ```swift
    /// if let error = try outcome.error { context.log(.warning, "failed: \(try error.message)") }
    /// ```
    public var error: HookError? {
        get throws {
            let get = try hostFunction(api.pointee.outcome_get_error, "outcome_get_error")
            var error: OpaquePointer?
            let status = get(handle, &error)
            if status == BIFROST_ERR_WRONG_STATE || status == BIFROST_ERR_NOT_FOUND { return nil }
            try check(status, "outcome_get_error")
            return HookError(handle: error, api: api)
        }
    }

    /// Replaces the outcome with an empty response (no choices, zero usage, the request's
    /// provider and model) and returns it to fill.
    ///
    /// ```swift
    /// let response = try outcome.respond()
    /// try response.appendChoice(content: "Hello", finishReason: "stop")
    /// ```
    @discardableResult
    public func respond() throws -> HookResponse {
        let set = try hostFunction(api.pointee.outcome_set_response, "outcome_set_response")
        var response: OpaquePointer?
        try check(set(handle, &response), "outcome_set_response")
        return HookResponse(handle: response, api: api)
    }

    /// Replaces the outcome with the given one-choice response.
    ///
    /// ```swift
    /// try outcome.respond(ShortCircuitResponse(content: "cached", headers: ["x-cache": "hit"]))
    /// ```
    @discardableResult
    public func respond(_ answer: ShortCircuitResponse) throws -> HookResponse {
        let response = try respond()
        try response.appendChoice(content: answer.content, finishReason: answer.finishReason)
        try response.setUsage(answer.usage)
        if let model = answer.model { try response.setModel(model) }
        for name in answer.headers.keys.sorted() { try response.setHeader(name, answer.headers[name]!) }
        return response
    }

    /// In a PostHook, turns an error into the given response (same as ``respond(_:)``).
    ///
    /// ```swift
    /// if try outcome.error != nil { try outcome.recover(ShortCircuitResponse(content: "fallback")) }
    /// ```
    @discardableResult
    public func recover(_ answer: ShortCircuitResponse) throws -> HookResponse {
        try respond(answer)
    }

    /// Replaces the outcome with an error (status 400–599) and returns it for more fields.
    ///
    /// ```swift
    /// try outcome.fail(status: 502, type: "bad_response", message: "upstream answer was empty")
    /// ```
    @discardableResult
    public func fail(status: Int, type: String, message: String) throws -> HookError {
        let set = try hostFunction(api.pointee.outcome_set_error, "outcome_set_error")
        var error: OpaquePointer?
        try withHostStrings(type, message) { type, message in
            try check(set(handle, Int32(clamping: status), type, message, &error), "outcome_set_error")
        }
        return HookError(handle: error, api: api)
    }

    /// Replaces the outcome with the given error, code and headers included.
    ///
    /// ```swift
    /// try outcome.fail(Rejection(status: 451, type: "content_filter", message: "Blocked", code: "policy"))
    /// ```
    @discardableResult
    public func fail(_ rejection: Rejection) throws -> HookError {
        let error = try fail(status: rejection.status, type: rejection.type, message: rejection.message)
        if let code = rejection.code { try error.setCode(code) }
        for name in rejection.headers.keys.sorted() { try error.setHeader(name, rejection.headers[name]!) }
        return error
    }
}
