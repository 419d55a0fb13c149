/// The chat request as a PreHook sees it: a view over the host's `bifrost_request` handle.
///
/// Reads copy from the host; writes are copied by the host and seen by later plugins and
/// the provider. Valid only during the hook call that received it. Every accessor throws
/// a ``HostCallError`` if the host refuses; let it propagate (the hook then faults).
///
/// ```swift
/// func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
///     if try request.model == "gpt-4" { try request.setModel("gpt-4o-mini") }
///     try request.setParam("temperature", 0.2)
///     try request.messages.insert(role: "system", content: "Be brief.", at: 0)
///     return .continue
/// }
/// ```
public struct HookRequest {
    /// The raw `bifrost_request *` handle.
    ///
    /// ```swift
    /// _ = api.pointee.request_get_model(request.handle, &model)
    /// ```
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The provider name, e.g. `openai` (from the client's `provider/model`).
    ///
    /// ```swift
    /// if try request.provider == "mock" { … }
    /// ```
    public var provider: String {
        get throws {
            let get = try hostFunction(api.pointee.request_get_provider, "request_get_provider")
            return try readHostString("request_get_provider") { get(handle, $0) } ?? ""
        }
    }

    /// Routes the request to another provider.
    ///
    /// ```swift
    /// try request.setProvider("anthropic")
    /// ```
    public func setProvider(_ provider: String) throws {
        let set = try hostFunction(api.pointee.request_set_provider, "request_set_provider")
        try withHostString(provider) { try check(set(handle, $0), "request_set_provider") }
    }

    /// The model name at the provider, e.g. `gpt-4o-mini`.
    ///
    /// ```swift
    /// let model = try request.model
    /// ```
    public var model: String {
        get throws {
            let get = try hostFunction(api.pointee.request_get_model, "request_get_model")
            return try readHostString("request_get_model") { get(handle, $0) } ?? ""
        }
    }

    /// Replaces the model.
    ///
    /// ```swift
    /// try request.setModel("gpt-4o-mini")
    /// ```
    public func setModel(_ model: String) throws {
        let set = try hostFunction(api.pointee.request_set_model, "request_set_model")
        try withHostString(model) { try check(set(handle, $0), "request_set_model") }
    }

    /// The conversation, as a view with count, indexed access and editing.
    ///
    /// ```swift
    /// let last = try request.messages[try request.messages.count - 1]
    /// ```
    public var messages: HookMessages { HookMessages(handle: handle, api: api) }

    /// A parameter by its OpenAI name (`temperature`, `max_tokens`, `stop`, …), or `nil`.
    ///
    /// ```swift
    /// let maxTokens = try request.param("max_tokens")?.intValue
    /// ```
    public func param(_ name: String) throws -> HookValue? {
        let get = try hostFunction(api.pointee.request_get_param, "request_get_param")
        return try withHostString(name) { name in
            try readHostValue("request_get_param") { get(handle, name, $0) }
        }
    }

    /// The request as canonical OpenAI chat JSON without the `omitting` parameters (ABI 1.2):
    /// object keys sorted at every level, so equal requests give equal text. The base of a
    /// cache key.
    ///
    /// ```swift
    /// let key = try request.canonicalJSON(omitting: ["user", "stream", "stream_options"])
    /// ```
    public func canonicalJSON(omitting omitted: [String] = []) throws -> String {
        let get = try newerHostFunction(api, \.request_to_canonical_json, "request_to_canonical_json")
        var value = bifrost_str(ptr: nil, len: 0)
        try withHostStringArray(omitted) { names, count in
            try check(get(handle, names, count, &value), "request_to_canonical_json")
        }
        return String(borrowing: value)
    }

    /// The names of every parameter the request carries, in no particular order (ABI 1.2).
    ///
    /// ```swift
    /// for name in try request.parameterNames().sorted() where name != "user" { … }
    /// ```
    public func parameterNames() throws -> [String] {
        let count = try newerHostFunction(api, \.request_param_count, "request_param_count")
        let name = try newerHostFunction(api, \.request_param_name, "request_param_name")
        var total = 0
        try check(count(handle, &total), "request_param_count")
        return try (0..<total).map { index in
            try readHostString("request_param_name") { name(handle, index, $0) } ?? ""
        }
    }

    /// Sets a parameter; `nil` or `.null` removes it.
    ///
    /// ```swift
    /// try request.setParam("max_tokens", 256)
    /// try request.setParam("stop", .json(#"["\n\n"]"#))
    /// ```
    public func setParam(_ name: String, _ value: HookValue?) throws {
        let set = try hostFunction(api.pointee.request_set_param, "request_set_param")
        try withHostString(name) { name in
            try (value ?? .null).withHostValue { value in try check(set(handle, name, value), "request_set_param") }
        }
    }

    /// A request header (case-insensitive name), or `nil`.
    ///
    /// ```swift
    /// let key = try request.header("x-api-key")
    /// ```
    public func header(_ name: String) throws -> String? {
        let get = try hostFunction(api.pointee.request_get_header, "request_get_header")
        return try withHostString(name) { name in
            try readHostString("request_get_header") { get(handle, name, $0) }
        }
    }

    /// Sets a request header, replacing any of that name.
    ///
    /// ```swift
    /// try request.setHeader("x-tenant", "acme")
    /// ```
    public func setHeader(_ name: String, _ value: String) throws {
        let set = try hostFunction(api.pointee.request_set_header, "request_set_header")
        try withHostStrings(name, value) { try check(set(handle, $0, $1), "request_set_header") }
    }

    /// Removes a request header; removing an absent one is not an error.
    ///
    /// ```swift
    /// try request.removeHeader("authorization")
    /// ```
    public func removeHeader(_ name: String) throws {
        let remove = try hostFunction(api.pointee.request_remove_header, "request_remove_header")
        try withHostString(name) { _ = try checkFound(remove(handle, $0), "request_remove_header") }
    }

    /// Free-form metadata travelling with the request (never sent upstream), or `nil`.
    ///
    /// ```swift
    /// let tenant = try request.metadata("tenant")
    /// ```
    public func metadata(_ key: String) throws -> String? {
        let get = try hostFunction(api.pointee.request_get_metadata, "request_get_metadata")
        return try withHostString(key) { key in
            try readHostString("request_get_metadata") { get(handle, key, $0) }
        }
    }

    /// Sets a metadata value.
    ///
    /// ```swift
    /// try request.setMetadata("tenant", "acme")
    /// ```
    public func setMetadata(_ key: String, _ value: String) throws {
        let set = try hostFunction(api.pointee.request_set_metadata, "request_set_metadata")
        try withHostStrings(key, value) { try check(set(handle, $0, $1), "request_set_metadata") }
    }

    /// The slow path: the whole request as OpenAI chat JSON. Costs microseconds; prefer
    /// the accessors.
    ///
    /// ```swift
    /// let body = try request.json()
    /// ```
    public func json() throws -> String {
        let get = try hostFunction(api.pointee.request_to_json, "request_to_json")
        return try readHostString("request_to_json") { get(handle, $0) } ?? ""
    }

    /// The slow path: replaces the whole request from OpenAI chat JSON.
    ///
    /// ```swift
    /// try request.replace(json: #"{"model":"mock/echo","messages":[{"role":"user","content":"Hi"}]}"#)
    /// ```
    public func replace(json: String) throws {
        let replace = try hostFunction(api.pointee.request_replace_from_json, "request_replace_from_json")
        try withHostString(json) { try check(replace(handle, $0), "request_replace_from_json") }
    }
}
