import NIOCore

/// One value of the Redis serialization protocol (RESP2), as a server answers.
///
/// ```swift
/// if case .integer(let count) = reply { print(count) }
/// ```
public enum RESPValue: Sendable, Hashable {
    /// `+OK`.
    case simpleString(String)
    /// `-ERR …`: the server refused the command.
    case error(String)
    /// `:42`.
    case integer(Int64)
    /// `$5\r\nhello`; `nil` for the null bulk string `$-1`.
    case bulkString([UInt8]?)
    /// `*2\r\n…`; `nil` for the null array `*-1`.
    case array([RESPValue]?)
}

/// A command as the client sends it: an array of bulk strings.
///
/// ```swift
/// let command = RESPCommand("SET", "key", value, "PX", "1000")
/// ```
public struct RESPCommand: Sendable {
    /// The arguments, the command's name first.
    public var arguments: [[UInt8]]

    /// A command from its arguments (strings as UTF-8, byte arrays as they are).
    public init(_ arguments: any RESPArgument...) {
        self.arguments = arguments.map(\.respBytes)
    }

    /// A command from arguments already in bytes.
    public init(arguments: [[UInt8]]) {
        self.arguments = arguments
    }

    /// Writes the command in RESP: `*N\r\n` then `$len\r\nbytes\r\n` per argument.
    func write(into buffer: inout ByteBuffer) {
        buffer.writeStaticString("*")
        buffer.writeString(String(arguments.count))
        buffer.writeStaticString("\r\n")
        for argument in arguments {
            buffer.writeStaticString("$")
            buffer.writeString(String(argument.count))
            buffer.writeStaticString("\r\n")
            buffer.writeBytes(argument)
            buffer.writeStaticString("\r\n")
        }
    }
}

/// What can be an argument of a ``RESPCommand``.
public protocol RESPArgument: Sendable {
    /// The argument's bytes.
    var respBytes: [UInt8] { get }
}

extension String: RESPArgument {
    /// The string's UTF-8.
    public var respBytes: [UInt8] { Array(utf8) }
}

extension Int64: RESPArgument {
    /// The integer in decimal.
    public var respBytes: [UInt8] { Array(String(self).utf8) }
}

extension Int: RESPArgument {
    /// The integer in decimal.
    public var respBytes: [UInt8] { Array(String(self).utf8) }
}

extension Array: RESPArgument where Element == UInt8 {
    /// The bytes as they are.
    public var respBytes: [UInt8] { self }
}
