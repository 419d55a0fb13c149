/// The per-request key/value store shared by every hook of one request, and the request's
/// fixed facts (id, arrival time, client, route).
///
/// A view over the host's `bifrost_context` handle, valid only during the hook call that
/// received it. Keys are shared by all plugins of the chain: prefix yours with your
/// plugin's name.
///
/// ```swift
/// // PreHook
/// try context.set("timing-headers.start", .number(Double(context.host.monotonicNanoseconds())))
/// // PostHook
/// if let start = try context["timing-headers.start"]?.doubleValue { … }
/// ```
public struct HookContext {
    /// The raw `bifrost_context *` handle.
    ///
    /// ```swift
    /// _ = host.api!.pointee.context_route(context.handle, &route)
    /// ```
    public let handle: OpaquePointer?
    let api: UnsafePointer<bifrost_host_api>
    let token: OpaquePointer?

    init(handle: OpaquePointer?, api: UnsafePointer<bifrost_host_api>, token: OpaquePointer?) {
        self.handle = handle
        self.api = api
        self.token = token
    }

    /// The host's lasting services (clock, logger), for use beyond this hook.
    ///
    /// ```swift
    /// let now = context.host.monotonicNanoseconds()
    /// ```
    public var host: PluginHost { PluginHost(api: api, token: token) }

    /// A value by key, or `nil` if no hook of this request set it.
    ///
    /// ```swift
    /// if case .string(let key)? = try context["cache.key"] { … }
    /// ```
    public subscript(key: String) -> HookValue? {
        get throws {
            let get = try hostFunction(api.pointee.context_get, "context_get")
            return try withHostString(key) { key in
                try readHostValue("context_get") { get(handle, key, $0) }
            }
        }
    }

    /// Nanoseconds the provider call took, retries and fallbacks included (for a stream, until
    /// it opened); `nil` before the dispatch or when a PreHook answered. The host's
    /// `bifrost.upstream_ns` key.
    ///
    /// ```swift
    /// if let upstream = try context.upstreamNanoseconds { latency.record(Double(upstream) / 1e9) }
    /// ```
    public var upstreamNanoseconds: UInt64? {
        get throws { try self["bifrost.upstream_ns"]?.doubleValue.map { UInt64($0) } }
    }

    /// The plugins that faulted on this request so far (the host's `bifrost.faulted` key).
    ///
    /// ```swift
    /// let faulted = try context.faultedPlugins  // ["flaky-plugin"]
    /// ```
    public var faultedPlugins: [String] {
        get throws {
            guard case .string(let names)? = try self["bifrost.faulted"] else { return [] }
            return names.split(separator: ",").map(String.init)
        }
    }

    /// Whether the client left a stream before it ended (the host's `bifrost.cut_short` key):
    /// the PostHook's response is the part received until then, billed as such.
    ///
    /// ```swift
    /// if try context.cutShort { abandoned.record(1) }
    /// ```
    public var cutShort: Bool {
        get throws { try self["bifrost.cut_short"] == .bool(true) }
    }

    /// Whether the host counted the response's usage from its text because the upstream's did
    /// not arrive (the host's `bifrost.usage_estimated` key; a stream its client left).
    ///
    /// ```swift
    /// let exact = try !context.usageEstimated
    /// ```
    public var usageEstimated: Bool {
        get throws { try self["bifrost.usage_estimated"] == .bool(true) }
    }

    /// Sets a header of the client's answer, whatever it turns out to be: a response, an
    /// error, or the head of a stream (ABI 1.2). Set in a PreHook, it reaches a streamed
    /// answer too; headers the answer itself carries take precedence.
    ///
    /// ```swift
    /// try context.setResponseHeader("x-ratelimit-remaining-requests", "59")
    /// ```
    public func setResponseHeader(_ name: String, _ value: String) throws {
        let set = try newerHostFunction(api, \.context_set_response_header, "context_set_response_header")
        try withHostStrings(name, value) { try check(set(handle, $0, $1), "context_set_response_header") }
    }

    /// Sets a value for the rest of the request; `nil` or `.null` removes the key.
    ///
    /// ```swift
    /// try context.set("cache.key", .string(digest))
    /// try context.set("cache.key", nil)  // removes it
    /// ```
    public func set(_ key: String, _ value: HookValue?) throws {
        let set = try hostFunction(api.pointee.context_set, "context_set")
        try withHostString(key) { key in
            try (value ?? .null).withHostValue { value in try check(set(handle, key, value), "context_set") }
        }
    }

    /// The request's unique id (also sent to the client as `x-request-id`).
    ///
    /// ```swift
    /// let id = try context.requestID  // "req-3f2a…"
    /// ```
    public var requestID: String {
        get throws {
            let get = try hostFunction(api.pointee.context_request_id, "context_request_id")
            return try readHostString("context_request_id") { get(handle, $0) } ?? ""
        }
    }

    /// Wall-clock arrival time, nanoseconds since the Unix epoch.
    ///
    /// ```swift
    /// let arrivedAt = try context.arrivalTimeNanoseconds
    /// ```
    public var arrivalTimeNanoseconds: UInt64 {
        get throws {
            let get = try hostFunction(api.pointee.context_arrival_time_ns, "context_arrival_time_ns")
            var value: UInt64 = 0
            try check(get(handle, &value), "context_arrival_time_ns")
            return value
        }
    }

    /// Who sent the request, as the transport identified it (never a secret).
    ///
    /// ```swift
    /// let client = try context.clientID
    /// ```
    public var clientID: String {
        get throws {
            let get = try hostFunction(api.pointee.context_client_id, "context_client_id")
            return try readHostString("context_client_id") { get(handle, $0) } ?? ""
        }
    }

    /// The route the request arrived on, e.g. `/v1/chat/completions`.
    ///
    /// ```swift
    /// guard try context.route == "/v1/chat/completions" else { return .continue }
    /// ```
    public var route: String {
        get throws {
            let get = try hostFunction(api.pointee.context_route, "context_route")
            return try readHostString("context_route") { get(handle, $0) } ?? ""
        }
    }

    /// The host's monotonic clock in nanoseconds.
    ///
    /// ```swift
    /// let start = context.monotonicNanoseconds()
    /// ```
    @inline(__always)
    public func monotonicNanoseconds() -> UInt64 { host.monotonicNanoseconds() }

    /// The plugin's logger.
    ///
    /// ```swift
    /// context.logger.debug("miss")
    /// ```
    public var logger: PluginLogger { PluginLogger(host: api, token: token) }

    /// Writes a log line attributed to the plugin. Never throws.
    ///
    /// ```swift
    /// context.log(.info, "cache hit for \(try context.requestID)")
    /// ```
    public func log(_ level: PluginLogLevel, _ message: String) { logger.log(level, message) }
}
