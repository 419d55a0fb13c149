/// A request parameter or context value as it crosses the ABI (`bifrost_value`).
///
/// Arrays and objects travel as JSON text in ``json(_:)``. Literals work directly:
///
/// ```swift
/// try context.set("cache.hit", true)
/// try request.setParam("temperature", 0.2)
/// if case .string(let user)? = try request.param("user") { print(user) }
/// ```
public enum HookValue: Sendable, Hashable {
    /// JSON `null`. Writing it removes the key or parameter.
    ///
    /// ```swift
    /// try request.setParam("seed", .null)
    /// ```
    case null
    /// A boolean.
    ///
    /// ```swift
    /// try context.set("cache.hit", .bool(true))
    /// ```
    case bool(Bool)
    /// A number (JSON numbers are doubles here).
    ///
    /// ```swift
    /// try request.setParam("temperature", .number(0.2))
    /// ```
    case number(Double)
    /// A string.
    ///
    /// ```swift
    /// try request.setParam("user", .string("alice"))
    /// ```
    case string(String)
    /// Any other JSON value (an array or object), as JSON text.
    ///
    /// ```swift
    /// try request.setParam("stop", .json(#"["\n\n", "END"]"#))
    /// ```
    case json(String)

    /// The string, if the value is a ``string(_:)``.
    ///
    /// ```swift
    /// HookValue.string("abc").stringValue  // "abc"
    /// ```
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The number, if the value is a ``number(_:)``.
    ///
    /// ```swift
    /// HookValue.number(2).doubleValue  // 2.0
    /// ```
    public var doubleValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    /// The number as an integer, if the value is a ``number(_:)`` with no fraction that fits.
    ///
    /// ```swift
    /// HookValue.number(42).intValue  // 42
    /// ```
    public var intValue: Int? {
        if case .number(let value) = self { return Int(exactly: value) }
        return nil
    }

    /// The boolean, if the value is a ``bool(_:)``.
    ///
    /// ```swift
    /// HookValue.bool(true).boolValue  // true
    /// ```
    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }
}

extension HookValue: ExpressibleByNilLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral
{
    /// `.null`.
    ///
    /// ```swift
    /// let value: HookValue = nil
    /// ```
    public init(nilLiteral: ()) { self = .null }

    /// `.bool(value)`.
    ///
    /// ```swift
    /// let value: HookValue = true
    /// ```
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// `.number(Double(value))`.
    ///
    /// ```swift
    /// let value: HookValue = 256
    /// ```
    public init(integerLiteral value: Int) { self = .number(Double(value)) }

    /// `.number(value)`.
    ///
    /// ```swift
    /// let value: HookValue = 0.7
    /// ```
    public init(floatLiteral value: Double) { self = .number(value) }

    /// `.string(value)`.
    ///
    /// ```swift
    /// let value: HookValue = "gpt-4o-mini"
    /// ```
    public init(stringLiteral value: String) { self = .string(value) }
}

extension HookValue {
    /// Copies a borrowed `bifrost_value` read from the host.
    init(borrowing value: bifrost_value, from name: StaticString) throws {
        switch value.kind {
        case BIFROST_VALUE_NULL: self = .null
        case BIFROST_VALUE_BOOL: self = .bool(value.boolean != 0)
        case BIFROST_VALUE_NUMBER: self = .number(value.number)
        case BIFROST_VALUE_STRING: self = .string(String(borrowing: value.string))
        case BIFROST_VALUE_JSON: self = .json(String(borrowing: value.string))
        default:
            throw HostCallError(
                function: "\(name)", status: BIFROST_ERR_INVALID_ARGUMENT,
                detail: "the host returned a value of unknown kind \(value.kind)")
        }
    }

    /// Lends the value to the host as a `bifrost_value` for the duration of `body`.
    func withHostValue<R>(_ body: (UnsafePointer<bifrost_value>) throws -> R) rethrows -> R {
        var raw = bifrost_value(kind: BIFROST_VALUE_NULL, boolean: 0, number: 0, string: bifrost_str(ptr: emptyCString(), len: 0))
        switch self {
        case .null:
            return try body(&raw)
        case .bool(let value):
            raw.kind = BIFROST_VALUE_BOOL
            raw.boolean = value ? 1 : 0
            return try body(&raw)
        case .number(let value):
            raw.kind = BIFROST_VALUE_NUMBER
            raw.number = value
            return try body(&raw)
        case .string(let text), .json(let text):
            // The case's tag says which; asking `stringValue` would copy the text to learn it.
            if case .string = self { raw.kind = BIFROST_VALUE_STRING } else { raw.kind = BIFROST_VALUE_JSON }
            return try withHostString(text) { string in
                raw.string = string
                return try body(&raw)
            }
        }
    }
}

/// Reads a `bifrost_value` through a host getter; `nil` for NOT_FOUND.
@inline(__always)
func readHostValue(_ name: StaticString, _ call: (UnsafeMutablePointer<bifrost_value>) -> bifrost_status) throws -> HookValue? {
    var value = bifrost_value()
    guard try checkFound(call(&value), name) else { return nil }
    return try HookValue(borrowing: value, from: name)
}
