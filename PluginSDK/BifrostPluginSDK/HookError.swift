/// An error inside an outcome: a view over the host's `bifrost_error` handle, valid only
/// during the hook call that received it.
///
/// ```swift
/// if let error = try outcome.error, try error.status == 429 {
///     try error.setMessage("Too many requests; slow down.")
///     try error.setHeader("retry-after", "5")
/// }
/// ```
public struct HookError {
    /// The raw `bifrost_error *` handle.
    ///
    /// ```swift
    /// _ = api.pointee.error_get_status(error.handle, &status)
    /// ```
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>) {
        self.handle = handle
        self.api = api
    }

    /// The HTTP status, 400–599.
    ///
    /// ```swift
    /// let status = try error.status
    /// ```
    public var status: Int {
        get throws {
            let get = try hostFunction(api.pointee.error_get_status, "error_get_status")
            var status: Int32 = 0
            try check(get(handle, &status), "error_get_status")
            return Int(status)
        }
    }

    /// Replaces the HTTP status (400–599).
    ///
    /// ```swift
    /// try error.setStatus(503)
    /// ```
    public func setStatus(_ status: Int) throws {
        let set = try hostFunction(api.pointee.error_set_status, "error_set_status")
        try check(set(handle, Int32(clamping: status)), "error_set_status")
    }

    /// OpenAI's error `type`, e.g. `rate_limit_exceeded`.
    ///
    /// ```swift
    /// let type = try error.type
    /// ```
    public var type: String {
        get throws {
            let get = try hostFunction(api.pointee.error_get_type, "error_get_type")
            return try readHostString("error_get_type") { get(handle, $0) } ?? ""
        }
    }

    /// Replaces the error `type`.
    ///
    /// ```swift
    /// try error.setType("server_error")
    /// ```
    public func setType(_ type: String) throws {
        let set = try hostFunction(api.pointee.error_set_type, "error_set_type")
        try withHostString(type) { try check(set(handle, $0), "error_set_type") }
    }

    /// OpenAI's error `code`, or `nil` when the error has none.
    ///
    /// ```swift
    /// if try error.code == "model_not_found" { … }
    /// ```
    public var code: String? {
        get throws {
            let get = try hostFunction(api.pointee.error_get_code, "error_get_code")
            return try readHostString("error_get_code") { get(handle, $0) }
        }
    }

    /// Sets the error `code`.
    ///
    /// ```swift
    /// try error.setCode("quota_exceeded")
    /// ```
    public func setCode(_ code: String) throws {
        let set = try hostFunction(api.pointee.error_set_code, "error_set_code")
        try withHostString(code) { try check(set(handle, $0), "error_set_code") }
    }

    /// The message the client sees.
    ///
    /// ```swift
    /// let message = try error.message
    /// ```
    public var message: String {
        get throws {
            let get = try hostFunction(api.pointee.error_get_message, "error_get_message")
            return try readHostString("error_get_message") { get(handle, $0) } ?? ""
        }
    }

    /// Replaces the message the client sees.
    ///
    /// ```swift
    /// try error.setMessage("Please retry in a minute.")
    /// ```
    public func setMessage(_ message: String) throws {
        let set = try hostFunction(api.pointee.error_set_message, "error_set_message")
        try withHostString(message) { try check(set(handle, $0), "error_set_message") }
    }

    /// Who caused the error (ABI 1.2): `kind` is `gateway`, `plugin` or `provider`, `name`
    /// the plugin's or provider's name (empty for the gateway).
    ///
    /// ```swift
    /// if try error.source.kind == "plugin" { rejectedBy = try error.source.name }
    /// ```
    public var source: (kind: String, name: String) {
        get throws {
            let get = try newerHostFunction(api, \.error_get_source, "error_get_source")
            var kind = bifrost_str(ptr: nil, len: 0)
            var name = bifrost_str(ptr: nil, len: 0)
            try check(get(handle, &kind, &name), "error_get_source")
            return (String(borrowing: kind), String(borrowing: name))
        }
    }

    /// A header sent to the client with the error (case-insensitive name), or `nil` (ABI 1.1).
    ///
    /// ```swift
    /// let retryAfter = try error.header("retry-after")
    /// ```
    public func header(_ name: String) throws -> String? {
        let get = try newerHostFunction(api, \.error_get_header, "error_get_header")
        return try withHostString(name) { name in try readHostString("error_get_header") { get(handle, name, $0) } }
    }

    /// Sets a header sent to the client with the error, e.g. `retry-after`.
    ///
    /// ```swift
    /// try error.setHeader("retry-after", "30")
    /// ```
    public func setHeader(_ name: String, _ value: String) throws {
        let set = try hostFunction(api.pointee.error_set_header, "error_set_header")
        try withHostStrings(name, value) { try check(set(handle, $0, $1), "error_set_header") }
    }
}
