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

    // An error travels by value through every typed `throws`, every `Result` a stream stage
    // hands on and every outcome: its fields live in one shared box, so it is one word wide
    // and a copy costs one retain; a change copies the box first when another error shares it.
    private var storage: Storage

    /// The HTTP status, 400–599.
    public var status: Int {
        get { storage.fields.status }
        _modify { yield &self[field: \.status] }
    }
    /// OpenAI's `type`, e.g. `invalid_request_error`.
    public var type: String {
        get { storage.fields.type }
        _modify { yield &self[field: \.type] }
    }
    /// OpenAI's `code`, e.g. `model_not_found`.
    public var code: String? {
        get { storage.fields.code }
        _modify { yield &self[field: \.code] }
    }
    /// OpenAI's `param`: the request field at fault.
    public var param: String? {
        get { storage.fields.param }
        _modify { yield &self[field: \.param] }
    }
    /// A message for the client.
    public var message: String {
        get { storage.fields.message }
        _modify { yield &self[field: \.message] }
    }
    /// Extra HTTP headers for the client, e.g. `retry-after`.
    public var headers: HeaderFields {
        get { storage.fields.headers }
        _modify { yield &self[field: \.headers] }
    }
    /// What produced the error.
    public var source: Source {
        get { storage.fields.source }
        _modify { yield &self[field: \.source] }
    }
    /// The fallbacks (`provider/model`) tried after the requested model failed, in order;
    /// empty when none was.
    ///
    /// ```swift
    /// if error.fallbacksTried.isEmpty { print("no fallback was tried") }
    /// ```
    public var fallbacksTried: [String] {
        get { storage.fields.fallbacksTried }
        _modify { yield &self[field: \.fallbacksTried] }
    }
    /// The upstream's own error body (or stream `error` event), for a client of the same format,
    /// who then gets it as the upstream sent it.
    public var wire: WireBody? {
        get { storage.fields.wire }
        _modify { yield &self[field: \.wire] }
    }

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
        storage = Storage(
            Fields(status: status, type: type, code: code, param: param, message: message, headers: headers, source: source))
    }

    public static func == (lhs: BifrostError, rhs: BifrostError) -> Bool {
        lhs.storage === rhs.storage || lhs.storage.fields == rhs.storage.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.fields)
    }

    /// A field, written in a box of this error's own.
    private subscript<Value>(field field: WritableKeyPath<Fields, Value>) -> Value {
        get { storage.fields[keyPath: field] }
        _modify {
            if !isKnownUniquelyReferenced(&storage) { storage = Storage(storage.fields) }
            yield &storage.fields[keyPath: field]
        }
    }

    private struct Fields: Hashable {
        var status: Int
        var type: String
        var code: String?
        var param: String?
        var message: String
        var headers: HeaderFields
        var source: Source
        var fallbacksTried: [String] = []
        var wire: WireBody? = nil
    }

    // Safe: a box is written only through the one error that holds it alone (a shared one is
    // copied first), so no box is written while another thread can read it.
    private final class Storage: @unchecked Sendable {
        var fields: Fields

        init(_ fields: Fields) { self.fields = fields }
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
