/// A chat response inside an outcome: a view over the host's `bifrost_response` handle,
/// valid only during the hook call that received it.
///
/// ```swift
/// if let response = try outcome.response {
///     let text = try response.content(at: 0)
///     try response.setContent(text.replacingOccurrences(of: "secret", with: "[redacted]"), at: 0)
///     try response.setHeader("x-redacted", "1")
/// }
/// ```
public struct HookResponse {
    /// The raw `bifrost_response *` handle.
    ///
    /// ```swift
    /// _ = api.pointee.response_choice_count(response.handle, &count)
    /// ```
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The number of choices.
    ///
    /// ```swift
    /// for choice in 0..<(try response.choiceCount) { … }
    /// ```
    public var choiceCount: Int {
        get throws {
            let get = try hostFunction(api.pointee.response_choice_count, "response_choice_count")
            var count = 0
            try check(get(handle, &count), "response_choice_count")
            return count
        }
    }

    /// The text of a choice.
    ///
    /// ```swift
    /// let text = try response.content(at: 0)
    /// ```
    public func content(at choice: Int = 0) throws -> String {
        let get = try hostFunction(api.pointee.response_get_content, "response_get_content")
        let choice = try hostIndex(choice, "response_get_content")
        return try readHostString("response_get_content") { get(handle, choice, $0) } ?? ""
    }

    /// Replaces the text of a choice.
    ///
    /// ```swift
    /// try response.setContent("Hello!", at: 0)
    /// ```
    public func setContent(_ content: String, at choice: Int = 0) throws {
        let set = try hostFunction(api.pointee.response_set_content, "response_set_content")
        let choice = try hostIndex(choice, "response_set_content")
        try withHostString(content) { try check(set(handle, choice, $0), "response_set_content") }
    }

    /// Why generation of a choice stopped (`stop`, `length`, …), or `nil` when unknown.
    ///
    /// ```swift
    /// if try response.finishReason(at: 0) == "length" { … }
    /// ```
    public func finishReason(at choice: Int = 0) throws -> String? {
        let get = try hostFunction(api.pointee.response_get_finish_reason, "response_get_finish_reason")
        let choice = try hostIndex(choice, "response_get_finish_reason")
        return try readHostString("response_get_finish_reason") { get(handle, choice, $0) }
    }

    /// Sets why generation of a choice stopped.
    ///
    /// ```swift
    /// try response.setFinishReason("content_filter", at: 0)
    /// ```
    public func setFinishReason(_ reason: String, at choice: Int = 0) throws {
        let set = try hostFunction(api.pointee.response_set_finish_reason, "response_set_finish_reason")
        let choice = try hostIndex(choice, "response_set_finish_reason")
        try withHostString(reason) { try check(set(handle, choice, $0), "response_set_finish_reason") }
    }

    /// Appends an assistant choice.
    ///
    /// ```swift
    /// try response.appendChoice(content: "Hello", finishReason: "stop")
    /// ```
    public func appendChoice(content: String, finishReason: String = "stop") throws {
        let append = try hostFunction(api.pointee.response_append_choice, "response_append_choice")
        try withHostStrings(content, finishReason) { try check(append(handle, $0, $1), "response_append_choice") }
    }

    /// Token counts.
    ///
    /// ```swift
    /// let tokens = try response.usage.totalTokens
    /// ```
    public var usage: HookUsage {
        get throws {
            let get = try hostFunction(api.pointee.response_get_usage, "response_get_usage")
            var usage = bifrost_usage()
            try check(get(handle, &usage), "response_get_usage")
            return HookUsage(usage)
        }
    }

    /// Replaces the token counts.
    ///
    /// ```swift
    /// try response.setUsage(HookUsage(promptTokens: 10, completionTokens: 5))
    /// ```
    public func setUsage(_ usage: HookUsage) throws {
        let set = try hostFunction(api.pointee.response_set_usage, "response_set_usage")
        var raw = usage.raw
        try check(set(handle, &raw), "response_set_usage")
    }

    /// The provider that served the response.
    ///
    /// ```swift
    /// let provider = try response.provider
    /// ```
    public var provider: String {
        get throws {
            let get = try hostFunction(api.pointee.response_get_provider, "response_get_provider")
            return try readHostString("response_get_provider") { get(handle, $0) } ?? ""
        }
    }

    /// The model that served the response.
    ///
    /// ```swift
    /// let model = try response.model
    /// ```
    public var model: String {
        get throws {
            let get = try hostFunction(api.pointee.response_get_model, "response_get_model")
            return try readHostString("response_get_model") { get(handle, $0) } ?? ""
        }
    }

    /// Replaces the reported model.
    ///
    /// ```swift
    /// try response.setModel("cache")
    /// ```
    public func setModel(_ model: String) throws {
        let set = try hostFunction(api.pointee.response_set_model, "response_set_model")
        try withHostString(model) { try check(set(handle, $0), "response_set_model") }
    }

    /// A header sent to the client with the response (case-insensitive name), or `nil`.
    ///
    /// ```swift
    /// let seen = try response.header("x-bifrost-plugins-seen")
    /// ```
    public func header(_ name: String) throws -> String? {
        let get = try hostFunction(api.pointee.response_get_header, "response_get_header")
        return try withHostString(name) { name in
            try readHostString("response_get_header") { get(handle, name, $0) }
        }
    }

    /// Sets a header sent to the client with the response, replacing any of that name.
    ///
    /// ```swift
    /// try response.setHeader("x-cache", "hit")
    /// ```
    public func setHeader(_ name: String, _ value: String) throws {
        let set = try hostFunction(api.pointee.response_set_header, "response_set_header")
        try withHostStrings(name, value) { try check(set(handle, $0, $1), "response_set_header") }
    }

    /// The slow path: the whole response as OpenAI chat completion JSON.
    ///
    /// ```swift
    /// let body = try response.json()
    /// ```
    public func json() throws -> String {
        let get = try hostFunction(api.pointee.response_to_json, "response_to_json")
        return try readHostString("response_to_json") { get(handle, $0) } ?? ""
    }

    /// The slow path: replaces the whole response from OpenAI chat completion JSON.
    ///
    /// ```swift
    /// try response.replace(json: cachedBody)
    /// ```
    public func replace(json: String) throws {
        let replace = try hostFunction(api.pointee.response_replace_from_json, "response_replace_from_json")
        try withHostString(json) { try check(replace(handle, $0), "response_replace_from_json") }
    }
}
