/// Why a plugin command could not be called or did not return.
///
/// ```swift
/// do { _ = try declaration.bind(["client": 3], plugin: "rate-limit") } catch { print(error.code, error.argument ?? "") }
/// ```
public struct PluginCommandError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// No plugin of the current chain has the name.
        case unknownPlugin = "unknown_plugin"
        /// The plugin exports no command of that name.
        case unknownCommand = "unknown_command"
        /// The arguments are not a JSON object.
        case invalidArguments = "invalid_arguments"
        /// A declared argument is absent.
        case missingArgument = "missing_argument"
        /// A member names no declared argument.
        case unexpectedArgument = "unexpected_argument"
        /// An argument's value is not of its declared type, or outside its range.
        case invalidArgument = "invalid_argument"
        /// The command did not return: its plugin's worker ended or overran, or it is shutting down.
        case failed = "command_failed"
    }

    /// What went wrong.
    public var code: Code
    /// The plugin named.
    public var plugin: String
    /// The command named; `nil` when the plugin is unknown.
    public var command: String?
    /// The argument at fault, for the argument codes.
    public var argument: String?
    /// What went wrong, for people.
    public var message: String

    /// Creates an error.
    public init(code: Code, plugin: String, command: String? = nil, argument: String? = nil, message: String) {
        self.code = code
        self.plugin = plugin
        self.command = command
        self.argument = argument
        self.message = message
    }

    /// Whether the caller's request is at fault (an HTTP 4xx) rather than the plugin.
    public var isCallerError: Bool { code != .failed }

    public var description: String { message }
}
