/// A configuration value the gateway cannot use: which file, which field, what was expected.
///
/// ```swift
/// // bifrost.json: plugins[1].failure_policy: expected "fail_closed" or "fail_open", got "maybe"
/// ```
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The configuration file, or a description of where the value came from.
    public var file: String
    /// The path of the field, e.g. `plugins[1].failure_policy`; empty for the whole file.
    public var path: String
    /// What was expected and what was found.
    public var message: String

    /// Creates an error.
    public init(file: String, path: String, message: String) {
        self.file = file
        self.path = path
        self.message = message
    }

    public var description: String { path.isEmpty ? "\(file): \(message)" : "\(file): \(path): \(message)" }
}
