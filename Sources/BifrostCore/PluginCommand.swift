/// The type of a plugin command's argument or result, as its declaration names it.
///
/// The C ABI's `BIFROST_TYPE_*` (`PluginSDK/CBifrostPlugin/include/bifrost_plugin.h`), by name.
///
/// ```swift
/// let type = PluginValueType(rawValue: "int64")  // .int64
/// ```
public enum PluginValueType: String, Sendable, Hashable, CaseIterable {
    /// No value; results only (JSON `null`).
    case void
    /// A signed 64-bit integer (a whole JSON number in [-2^63, 2^63)).
    case int64
    /// A finite double (any finite JSON number).
    case double
    /// A boolean (JSON `true` or `false`).
    case bool
    /// UTF-8 text without U+0000 (a JSON string).
    case string
}

/// One declared argument of a plugin command.
///
/// ```swift
/// let client = PluginCommandArgument(name: "client", type: .string, description: "the client id")
/// ```
public struct PluginCommandArgument: Sendable, Hashable {
    /// The JSON member the caller names the argument by.
    public var name: String
    /// Its type; never ``PluginValueType/void``.
    public var type: PluginValueType
    /// What it means, for people; `nil` when the plugin gave none.
    public var description: String?

    /// Creates an argument declaration.
    public init(name: String, type: PluginValueType, description: String? = nil) {
        self.name = name
        self.type = type
        self.description = description
    }
}

/// A command a plugin exports: a function operators call by name with typed arguments.
///
/// ```swift
/// let reset = PluginCommandDeclaration(
///     name: "reset", description: "forget a client's window",
///     arguments: [PluginCommandArgument(name: "client", type: .string)], result: .bool)
/// ```
public struct PluginCommandDeclaration: Sendable, Hashable {
    /// Unique within its plugin: 1-64 characters of `[a-z0-9_-]`, starting with a letter.
    public var name: String
    /// What it does, for people; `nil` when the plugin gave none.
    public var description: String?
    /// The arguments, in the order the function takes them.
    public var arguments: [PluginCommandArgument]
    /// The type of the result.
    public var result: PluginValueType

    /// Creates a declaration.
    public init(name: String, description: String? = nil, arguments: [PluginCommandArgument] = [], result: PluginValueType) {
        self.name = name
        self.description = description
        self.arguments = arguments
        self.result = result
    }
}

/// A value crossing into or out of a plugin command.
///
/// ```swift
/// let value = PluginCommandValue.int64(3)
/// print(value.json)  // .number(3)
/// ```
public enum PluginCommandValue: Sendable, Hashable {
    /// No value (a `void` result, or a `NULL` string result).
    case null
    /// An `int64` value.
    case int64(Int64)
    /// A `double` value.
    case double(Double)
    /// A `bool` value.
    case bool(Bool)
    /// A `string` value.
    case string(String)

    /// The value as JSON.
    public var json: JSONValue {
        switch self {
        case .null: .null
        case .int64(let value): .number(JSONNumber(text: String(value))!)
        case .double(let value): .number(JSONNumber(value))
        case .bool(let value): .bool(value)
        case .string(let value): .string(value)
        }
    }
}

/// A plugin that exports commands (a native plugin built for ABI 1.5 or later, in process or
/// isolated).
///
/// ```swift
/// if let commands = plugin as? any CommandPlugin {
///     let result = try commands.callCommand("stats", arguments: [])
/// }
/// ```
public protocol CommandPlugin: Plugin {
    /// The commands, in the order the plugin declared them.
    var commands: [PluginCommandDeclaration] { get }

    /// Calls a command with arguments already checked against its declaration
    /// (``PluginCommandDeclaration/bind(_:plugin:)``), in declaration order. Blocks the
    /// calling thread for as long as the plugin's function runs: call it off event loops.
    func callCommand(_ name: String, arguments: [PluginCommandValue]) throws(PluginCommandError) -> PluginCommandValue
}
