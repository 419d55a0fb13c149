public import BifrostPluginSDK

/// Adds timing headers to every answer and error: how long the request spent inside the
/// gateway between this plugin's PreHook and its PostHook.
///
/// ```text
/// x-bifrost-gateway-ms: 12.345
/// server-timing: gateway;dur=12.345
/// x-bifrost-plugins-seen: timing-headers
/// ```
///
/// Configuration (JSON, all optional): `{"header_prefix": "x-bifrost"}`. It is fail-open by
/// default: a timing header is never worth failing a request for.
///
/// ```swift
/// let plugin = try TimingHeaders(configuration: PluginConfiguration(text: #"{"header_prefix": "x-acme"}"#))
/// plugin.durationHeader  // "x-acme-gateway-ms"
/// ```
public struct TimingHeaders: PreHookPlugin, PostHookPlugin {
    /// `timing-headers`.
    ///
    /// ```swift
    /// TimingHeaders.name  // "timing-headers"
    /// ```
    public static let name = "timing-headers"

    /// The plugin's version.
    ///
    /// ```swift
    /// TimingHeaders.version  // "1.0.0"
    /// ```
    public static let version = "1.0.0"

    /// Fail-open: a fault skips the plugin instead of failing the request.
    ///
    /// ```swift
    /// TimingHeaders.failOpenByDefault  // true
    /// ```
    public static var failOpenByDefault: Bool { true }

    /// The context key holding the PreHook's monotonic start, in nanoseconds.
    ///
    /// ```swift
    /// try context[TimingHeaders.startKey]?.doubleValue
    /// ```
    public static let startKey = "timing-headers.start_ns"

    /// The `server-timing` metric name.
    ///
    /// ```swift
    /// TimingHeaders.serverTimingMetric  // "gateway"
    /// ```
    public static let serverTimingMetric = "gateway"

    /// The configuration's keys and defaults.
    struct Configuration: Decodable {
        static let defaultHeaderPrefix = "x-bifrost"
        var headerPrefix: String?

        enum CodingKeys: String, CodingKey {
            case headerPrefix = "header_prefix"
        }
    }

    /// `<prefix>-gateway-ms`: milliseconds in the gateway, 3 decimals.
    ///
    /// ```swift
    /// plugin.durationHeader  // "x-bifrost-gateway-ms"
    /// ```
    public let durationHeader: String

    /// `<prefix>-plugins-seen`: the comma-separated names of the plugins that handled the
    /// request, innermost first (PostHooks run in reverse chain order).
    ///
    /// ```swift
    /// plugin.pluginsSeenHeader  // "x-bifrost-plugins-seen"
    /// ```
    public let pluginsSeenHeader: String

    /// The host's clock.
    let host: PluginHost

    /// Reads and checks the configuration; refuses unknown keys and a `header_prefix` that
    /// is not a lowercase HTTP token.
    ///
    /// ```swift
    /// let plugin = try TimingHeaders(configuration: PluginConfiguration(text: "{}"))
    /// ```
    public init(configuration: PluginConfiguration) throws {
        try configuration.rejectUnknownKeys(known: ["header_prefix"])
        let config = try configuration.decode(Configuration.self)
        let prefix = config.headerPrefix ?? Configuration.defaultHeaderPrefix
        try Self.validateHeaderPrefix(prefix)
        durationHeader = prefix + "-gateway-ms"
        pluginsSeenHeader = prefix + "-plugins-seen"
        host = configuration.host
    }

    /// Remembers when the request reached this plugin.
    ///
    /// ```swift
    /// let decision = try plugin.preHook(request: request, context: context)  // .continue
    /// ```
    public func preHook(request: HookRequest, context: HookContext) throws -> PreHookDecision {
        try context.set(Self.startKey, .number(Double(host.monotonicNanoseconds())))
        return .continue
    }

    /// Writes the timing headers on the response or the error.
    ///
    /// ```swift
    /// try plugin.postHook(outcome: outcome, context: context)
    /// ```
    public func postHook(outcome: HookOutcome, context: HookContext) throws {
        let now = host.monotonicNanoseconds()
        var duration: String?
        if let start = try context[Self.startKey]?.doubleValue, start >= 0, start <= Double(now) {
            duration = Self.milliseconds(nanoseconds: now - UInt64(start))
        } else {
            context.log(.warning, "no start time in the context under '\(Self.startKey)'; timing headers skipped")
        }

        // The seen-list travels in the context too, because an error's headers cannot be
        // read back through ABI 1.0 (there is no error_get_header).
        if let response = try outcome.response {
            let existing = try response.header(pluginsSeenHeader) ?? context[pluginsSeenHeader]?.stringValue
            let seen = Self.appending(Self.name, to: existing)
            if let duration {
                try response.setHeader(durationHeader, duration)
                let metric = "\(Self.serverTimingMetric);dur=\(duration)"
                try response.setHeader("server-timing", Self.appending(metric, to: try response.header("server-timing")))
            }
            try response.setHeader(pluginsSeenHeader, seen)
            try context.set(pluginsSeenHeader, .string(seen))
        } else if let error = try outcome.error {
            let seen = Self.appending(Self.name, to: try context[pluginsSeenHeader]?.stringValue)
            if let duration {
                try error.setHeader(durationHeader, duration)
                try error.setHeader("server-timing", "\(Self.serverTimingMetric);dur=\(duration)")
            }
            try error.setHeader(pluginsSeenHeader, seen)
            try context.set(pluginsSeenHeader, .string(seen))
        }
    }

    /// `value` appended to a comma-separated list, or `value` alone.
    static func appending(_ value: String, to list: String?) -> String {
        guard let list, !list.isEmpty else { return value }
        return list + ", " + value
    }

    /// Nanoseconds as milliseconds with exactly three decimals, rounded: `12.345`.
    ///
    /// ```swift
    /// TimingHeaders.milliseconds(nanoseconds: 12_345_678)  // "12.346"
    /// ```
    public static func milliseconds(nanoseconds: UInt64) -> String {
        let microseconds = (nanoseconds + 500) / 1_000
        let fraction = String(microseconds % 1_000)
        return String(microseconds / 1_000) + "." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Refuses a prefix that is not a lowercase HTTP token of 1–64 characters.
    static func validateHeaderPrefix(_ prefix: String) throws(PluginConfigurationError) {
        let allowed = "a-z, 0-9 and ! # $ % & ' * + - . ^ _ ` | ~"
        let scalars = Array(prefix.unicodeScalars)
        guard !scalars.isEmpty else {
            throw PluginConfigurationError(
                "invalid configuration: header_prefix must be a lowercase HTTP token (\(allowed)), got an empty string")
        }
        guard scalars.count <= 64 else {
            throw PluginConfigurationError(
                "invalid configuration: header_prefix must be at most 64 characters, got \(scalars.count)")
        }
        for (offset, scalar) in scalars.enumerated() where !isLowercaseTokenCharacter(scalar) {
            let hint = scalar.properties.isUppercase ? " (use lowercase)" : ""
            throw PluginConfigurationError(
                "invalid configuration: header_prefix must be a lowercase HTTP token (\(allowed)), got \"\(prefix)\": "
                    + "'\(scalar.escaped(asASCII: true))' at position \(offset + 1) is not allowed\(hint)")
        }
    }

    static func isLowercaseTokenCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "a"..."z", "0"..."9": return true
        case "!", "#", "$", "%", "&", "'", "*", "+", "-", ".", "^", "_", "`", "|", "~": return true
        default: return false
        }
    }
}
