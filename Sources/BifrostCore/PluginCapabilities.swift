/// The sensitive data a native plugin declared it reads (`bifrost_plugin.capabilities`,
/// ABI 1.6): what the host's accessors show it. See PluginSDK/DESIGN.md §6.
///
/// ```swift
/// let reads: PluginCapabilities = [.credentials, .messageContent]
/// reads.names  // ["credentials", "message_content"]
/// ```
public struct PluginCapabilities: OptionSet, Sendable, Hashable {
    /// The `BIFROST_CAPABILITY_*` bits.
    public let rawValue: UInt64

    /// Capabilities from their `BIFROST_CAPABILITY_*` bits.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The client's credential headers (`BIFROST_CAPABILITY_CREDENTIALS`).
    public static let credentials = PluginCapabilities(rawValue: 1 << 0)
    /// The text of messages, responses, chunks, reasoning and refusals, and the request or
    /// response as JSON (`BIFROST_CAPABILITY_MESSAGE_CONTENT`).
    public static let messageContent = PluginCapabilities(rawValue: 1 << 1)
    /// Tool calls' names, ids and arguments (`BIFROST_CAPABILITY_TOOL_CALLS`).
    public static let toolCalls = PluginCapabilities(rawValue: 1 << 2)
    /// HTTP callouts to other services, which can send what the plugin read anywhere
    /// (`BIFROST_CAPABILITY_CALLOUTS`, ABI 1.7).
    public static let callouts = PluginCapabilities(rawValue: 1 << 3)

    /// Every capability this host knows: what a plugin built before ABI 1.6 keeps.
    public static let all: PluginCapabilities = [.credentials, .messageContent, .toolCalls]

    /// Whether a request header carries the client's credentials, which only a plugin that
    /// declared ``credentials`` may read: "authorization", "proxy-authorization", "cookie", and
    /// any name ending in "api-key" ("x-api-key" as Anthropic's clients send it, "api-key" as
    /// Azure's, "x-goog-api-key"), compared without regard to case.
    ///
    /// ```swift
    /// PluginCapabilities.isCredentialHeader("X-Api-Key")  // true
    /// ```
    public static func isCredentialHeader(_ name: String) -> Bool {
        let lowered = name.lowercased()
        return lowered == "authorization" || lowered == "proxy-authorization" || lowered == "cookie"
            || lowered.hasSuffix("api-key")
    }

    /// The credential headers of `headers` (see ``isCredentialHeader(_:)``).
    ///
    /// ```swift
    /// let hidden = PluginCapabilities.credentialHeaders(of: request.headers)
    /// ```
    public static func credentialHeaders(of headers: HeaderFields) -> [HeaderFields.Field] {
        headers.filter { isCredentialHeader($0.name) }
    }

    /// The names of the capabilities set, in bit order, as `plugins list` and `/api/plugins`
    /// show them; an unknown bit is named by its number (`bit_5`).
    public var names: [String] {
        var result: [String] = []
        for bit in 0..<64 where rawValue & (1 << UInt64(bit)) != 0 {
            switch bit {
            case 0: result.append("credentials")
            case 1: result.append("message_content")
            case 2: result.append("tool_calls")
            case 3: result.append("callouts")
            default: result.append("bit_\(bit)")
            }
        }
        return result
    }
}
