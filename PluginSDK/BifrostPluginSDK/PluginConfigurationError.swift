/// Refuses a plugin's configuration with a message for the operator.
///
/// Throw it from ``BifrostPlugin/init(configuration:)``; the host reports the message with
/// the plugin's file name and does not load the plugin. ``PluginConfiguration/decode(_:)``
/// throws it too, naming the field at fault.
///
/// ```swift
/// guard limit > 0 else { throw PluginConfigurationError("'limit' must be positive, got \(limit)") }
/// ```
public struct PluginConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, for the operator.
    ///
    /// ```swift
    /// error.message  // "'limit' must be positive, got 0"
    /// ```
    public var message: String

    /// Creates a refusal.
    ///
    /// ```swift
    /// PluginConfigurationError("unknown mode 'fast'")
    /// ```
    public init(_ message: String) {
        self.message = message
    }

    /// The message.
    ///
    /// ```swift
    /// "\(PluginConfigurationError("bad"))"  // "bad"
    /// ```
    public var description: String { message }
}
