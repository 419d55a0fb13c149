/// An error a client sees: an HTTP status and OpenAI's `{"error": {…}}` fields.
///
/// Rejections by plugins, plugin faults, provider failures and malformed requests all end
/// as a `BifrostError`. It is a struct so it can grow without breaking callers.
///
/// ```swift
/// let limited = BifrostError(status: 429, type: "rate_limit_exceeded", message: "Slow down")
/// ```
public struct BifrostError: Error, Sendable, Hashable {
    /// Where an error came from.
    public enum Source: Sendable, Hashable {
        /// The gateway itself (a malformed request, an unknown route).
        case gateway
        /// A plugin, by name: a rejection or a fault.
        case plugin(String)
        /// A provider, by name.
        case provider(String)
    }

    /// The HTTP status, 400–599.
    public var status: Int
    /// OpenAI's `type`, e.g. `invalid_request_error`.
    public var type: String
    /// OpenAI's `code`, e.g. `model_not_found`.
    public var code: String?
    /// OpenAI's `param`: the request field at fault.
    public var param: String?
    /// A message for the client.
    public var message: String
    /// Extra HTTP headers for the client, e.g. `retry-after`.
    public var headers: HeaderFields
    /// What produced the error.
    public var source: Source
    /// The fallbacks (`provider/model`) tried after the requested model failed, in order;
    /// empty when none was.
    ///
    /// ```swift
    /// if error.fallbacksTried.isEmpty { print("no fallback was tried") }
    /// ```
    public var fallbacksTried: [String] = []
    /// The upstream's own error body (or stream `error` event), for a client of the same format,
    /// who then gets it as the upstream sent it.
    public var wire: WireBody?

    /// Creates an error.
    public init(
        status: Int,
        type: String,
        code: String? = nil,
        param: String? = nil,
        message: String,
        headers: HeaderFields = HeaderFields(),
        source: Source = .gateway
    ) {
        self.status = status
        self.type = type
        self.code = code
        self.param = param
        self.message = message
        self.headers = headers
        self.source = source
    }
}

extension BifrostError {
    /// The plugin that rejected the request or faulted, if a plugin caused the error.
    ///
    /// ```swift
    /// if let plugin = error.plugin { print("refused by", plugin) }
    /// ```
    public var plugin: String? {
        if case .plugin(let name) = source { return name }
        return nil
    }

    /// The provider that failed, if a provider caused the error.
    ///
    /// ```swift
    /// if let provider = error.provider { print("upstream failure at", provider) }
    /// ```
    public var provider: String? {
        if case .provider(let name) = source { return name }
        return nil
    }

    /// Whether a fallback was tried before the request failed.
    ///
    /// ```swift
    /// if error.triedFallbacks { print("fallbacks:", error.fallbacksTried) }
    /// ```
    public var triedFallbacks: Bool { !fallbacksTried.isEmpty }

    /// A plugin kept asking the request to wait beyond the chain's total bound.
    /// A fail-closed plugin's state backend could not be reached: 503 naming the plugin.
    public static func stateUnavailable(plugin: String, reason: String) -> BifrostError {
        var headers = HeaderFields()
        headers["retry-after"] = "1"
        return BifrostError(
            status: 503, type: "service_unavailable", code: "state_unavailable",
            message:
                "plugin '\(plugin)' cannot reach the gateway's state backend (\(reason)); its state policy is fail-closed, so the request was not served",
            headers: headers, source: .plugin(plugin))
    }

    public static func waitedTooLong(plugin: String, limit: Duration) -> BifrostError {
        var headers = HeaderFields()
        headers["retry-after"] = "1"
        return BifrostError(
            status: 503, type: "plugin_wait_exceeded", code: "wait_exceeded",
            message: "plugin '\(plugin)' kept the request waiting longer than \(limit.wholeMilliseconds) ms in all",
            headers: headers, source: .plugin(plugin))
    }

    /// The request was cancelled (its client left) while a plugin had it waiting.
    public static func cancelledWhileWaiting(plugin: String) -> BifrostError {
        BifrostError(
            status: 499, type: "request_cancelled", code: "cancelled",
            message: "the request was cancelled while plugin '\(plugin)' had it waiting", source: .plugin(plugin))
    }

    /// 400 for a request the gateway cannot read.
    public static func invalidRequest(_ message: String, param: String? = nil, code: String? = nil) -> BifrostError {
        BifrostError(status: 400, type: "invalid_request_error", code: code, param: param, message: message)
    }

    /// 404 for a provider or model the gateway does not serve.
    public static func modelNotFound(_ message: String) -> BifrostError {
        BifrostError(status: 404, type: "invalid_request_error", code: "model_not_found", param: "model", message: message)
    }

    /// 500 for a plugin that broke its contract.
    public static func pluginFault(_ fault: PluginFault) -> BifrostError {
        BifrostError(
            status: 500, type: "plugin_error", code: "plugin_fault",
            message: "plugin '\(fault.plugin)' failed in \(fault.hook.rawValue): \(fault.message)",
            source: .plugin(fault.plugin))
    }
}
