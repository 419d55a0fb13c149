/// The kinds of sensitive data a plugin may declare it reads: the `BIFROST_CAPABILITY_*` bits
/// of its table (ABI 1.6, PluginSDK/README.md "Capabilities"). The host hides what a plugin
/// did not declare: reading it is `BIFROST_ERR_NOT_FOUND`, as if it were absent.
///
/// ```swift
/// static var capabilities: SensitiveData { [.credentials] }  // reads the client's key
/// ```
public struct SensitiveData: OptionSet, Sendable, Hashable {
    /// The `BIFROST_CAPABILITY_*` bits.
    public let rawValue: UInt64

    /// The data of these `BIFROST_CAPABILITY_*` bits.
    ///
    /// ```swift
    /// let reads = SensitiveData(rawValue: 0b11)  // credentials and message content
    /// ```
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// The client's credential headers (`authorization`, `proxy-authorization`, `cookie`, any
    /// name ending in `api-key`): `BIFROST_CAPABILITY_CREDENTIALS`.
    public static let credentials = SensitiveData(rawValue: UInt64(BIFROST_CAPABILITY_CREDENTIALS))
    /// The text of messages, responses, chunks, reasoning and refusals, and the JSON views:
    /// `BIFROST_CAPABILITY_MESSAGE_CONTENT`.
    public static let messageContent = SensitiveData(rawValue: UInt64(BIFROST_CAPABILITY_MESSAGE_CONTENT))
    /// Tool calls' names, ids and arguments: `BIFROST_CAPABILITY_TOOL_CALLS`.
    public static let toolCalls = SensitiveData(rawValue: UInt64(BIFROST_CAPABILITY_TOOL_CALLS))
    /// Callouts, HTTP requests to services the plugin names, which can carry anything it read
    /// (ABI 1.7): `BIFROST_CAPABILITY_CALLOUTS`. Without it ``HookContext/callout(_:)`` fails.
    public static let callouts = SensitiveData(rawValue: UInt64(BIFROST_CAPABILITY_CALLOUTS))
}
