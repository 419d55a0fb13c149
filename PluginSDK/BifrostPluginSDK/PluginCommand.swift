#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command a Swift plugin exports (ABI 1.5): a `@convention(c)` function operators call
/// by name with typed arguments, through the admin API or `bifrost plugins call`.
///
/// A C function pointer cannot capture, so the function receives the plugin's `instance`
/// pointer first and gets the plugin back with ``plugin(_:as:)``; then the declared
/// arguments as their C types, in order: `Int64`, `Double`, `Int32` (0 or 1) for a bool,
/// `UnsafePointer<CChar>?` (NUL-terminated UTF-8, borrowed for the call) for a string. It
/// returns the result's C type; a string result comes from ``result(_:)`` and the SDK
/// releases it once the host has copied it.
///
/// ```swift
/// extension ResponseCache: CommandProvidingPlugin {
///     public static let commands = [
///         PluginCommand(
///             name: "flush", description: "removes every stored answer", result: .int64,
///             function: PluginCommand.function(flush as @convention(c) (UnsafeMutableRawPointer?) -> Int64))
///     ]
/// }
///
/// private func flush(_ instance: UnsafeMutableRawPointer?) -> Int64 {
///     guard let cache = PluginCommand.plugin(instance, as: ResponseCache.self) else { return -1 }
///     return Int64(cache.flush())
/// }
/// ```
///
/// Commands may run concurrently with hooks and with each other, on any thread.
public struct PluginCommand: Sendable {
    /// The type of an argument or result, and the C type it crosses as.
    public enum ValueType: Sendable, Hashable {
        /// Results only: the function returns `Void`.
        case void
        /// `Int64`.
        case int64
        /// `Double` (finite).
        case double
        /// `Int32`, 0 or 1.
        case bool
        /// `UnsafePointer<CChar>?`: NUL-terminated UTF-8.
        case string

        var raw: bifrost_type {
            switch self {
            case .void: BIFROST_TYPE_VOID
            case .int64: BIFROST_TYPE_INT64
            case .double: BIFROST_TYPE_DOUBLE
            case .bool: BIFROST_TYPE_BOOL
            case .string: BIFROST_TYPE_STRING
            }
        }
    }

    /// One argument: the JSON member the caller names it by (1-64 characters of `[a-z0-9_]`,
    /// a letter first) and its type.
    ///
    /// ```swift
    /// PluginCommand.Argument(name: "client", type: .string, description: "the client id")
    /// ```
    public struct Argument: Sendable, Hashable {
        /// The argument's name.
        public var name: String
        /// Its type; never ``ValueType/void``.
        public var type: ValueType
        /// What it means, for people.
        public var description: String?

        /// Creates an argument.
        public init(name: String, type: ValueType, description: String? = nil) {
            self.name = name
            self.type = type
            self.description = description
        }
    }

    /// The function as the table stores it; see ``function(_:)``.
    public typealias Function = bifrost_command_fn

    /// 1-64 characters of `[a-z0-9_-]`, a letter first; unique within the plugin.
    public var name: String
    /// What it does, for people.
    public var description: String?
    /// The arguments, in the order the function takes them after `instance`.
    public var arguments: [Argument]
    /// The type of the function's return value.
    public var result: ValueType
    /// The function.
    public var function: Function

    /// Declares a command. The host checks the declaration when it loads the plugin and
    /// refuses the plugin, naming the command, when it is malformed.
    public init(name: String, description: String? = nil, arguments: [Argument] = [], result: ValueType, function: Function) {
        self.name = name
        self.description = description
        self.arguments = arguments
        self.result = result
        self.function = function
    }

    /// A `@convention(c)` function as the table stores it. `function` must be a C function
    /// pointer whose parameters and result are those of the declaration (see the type's
    /// documentation): the host calls it with exactly those, so a mismatch is undefined behaviour.
    ///
    /// ```swift
    /// PluginCommand.function(reset as @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32)
    /// ```
    public static func function<F>(_ function: F) -> Function {
        precondition(
            MemoryLayout<F>.size == MemoryLayout<Function>.size,
            "PluginCommand.function takes a @convention(c) function")
        return unsafeBitCast(function, to: Function.self)
    }

    /// The plugin behind a command's `instance` pointer, or `nil` when it is not a `P`.
    ///
    /// ```swift
    /// guard let limiter = PluginCommand.plugin(instance, as: RateLimiter.self) else { return 0 }
    /// ```
    public static func plugin<P: BifrostPlugin>(_ instance: UnsafeMutableRawPointer?, as type: P.Type) -> P? {
        guard let instance else { return nil }
        return Unmanaged<PluginInstance>.fromOpaque(instance).takeUnretainedValue().plugin as? P
    }

    /// A string result: a NUL-terminated copy of `text` that the SDK frees once the host has
    /// copied it (the table's `release_result` for string commands).
    ///
    /// ```swift
    /// return PluginCommand.result(#"{"entries": 3}"#)
    /// ```
    public static func result(_ text: String) -> UnsafePointer<CChar>? {
        UnsafePointer(strdup(text))
    }

    /// A C string argument as Swift text; `""` for NULL.
    ///
    /// ```swift
    /// let client = PluginCommand.text(clientArgument)
    /// ```
    public static func text(_ argument: UnsafePointer<CChar>?) -> String {
        argument.map { String(cString: $0) } ?? ""
    }
}

/// A plugin that exports commands (ABI 1.5), which operators call through the admin API
/// (`POST /api/plugins/{name}/commands/{command}`) and `bifrost plugins call`.
///
/// ```swift
/// extension RateLimiter: CommandProvidingPlugin {
///     public static let commands = [PluginCommand(name: "reset", arguments: [.init(name: "client", type: .string)],
///         result: .bool, function: PluginCommand.function(reset as @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Int32))]
/// }
/// ```
public protocol CommandProvidingPlugin: BifrostPlugin {
    /// The commands, in the order `/api/plugins` lists them.
    static var commands: [PluginCommand] { get }
}

/// The C declarations of a plugin's commands, kept with its instance: the strings and arrays
/// the table's `commands` points to live as long as the instance.
final class CommandTable {
    let commands: UnsafeMutablePointer<bifrost_command>
    let count: Int
    private var strings: [UnsafeMutablePointer<CChar>] = []
    private var argumentArrays: [UnsafeMutablePointer<bifrost_command_arg>] = []

    init(_ declared: [PluginCommand]) {
        count = declared.count
        commands = .allocate(capacity: max(declared.count, 1))
        for (index, command) in declared.enumerated() {
            let arguments = UnsafeMutablePointer<bifrost_command_arg>.allocate(capacity: max(command.arguments.count, 1))
            argumentArrays.append(arguments)
            for (position, argument) in command.arguments.enumerated() {
                var entry = bifrost_command_arg()
                entry.struct_size = UInt32(MemoryLayout<bifrost_command_arg>.size)
                entry.value_type = argument.type.raw
                entry.name = copy(argument.name)
                entry.description = argument.description.map(copy)
                (arguments + position).initialize(to: entry)
            }
            var entry = bifrost_command()
            entry.struct_size = UInt32(MemoryLayout<bifrost_command>.size)
            entry.result_type = command.result.raw
            entry.name = copy(command.name)
            entry.description = command.description.map(copy)
            entry.args = command.arguments.isEmpty ? nil : UnsafePointer(arguments)
            entry.arg_count = command.arguments.count
            entry.function = command.function
            if command.result == .string {
                entry.release_result = { _, result in free(UnsafeMutableRawPointer(mutating: result)) }
            }
            (commands + index).initialize(to: entry)
        }
    }

    private func copy(_ text: String) -> UnsafePointer<CChar> {
        let pointer = strdup(text)!
        strings.append(pointer)
        return UnsafePointer(pointer)
    }

    deinit {
        commands.deinitialize(count: count)
        commands.deallocate()
        for arguments in argumentArrays { arguments.deallocate() }
        for text in strings { free(text) }
    }
}
