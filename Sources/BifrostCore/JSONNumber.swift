/// A JSON number exactly as it was written, so a value the gateway passes through goes out
/// unchanged (`1e400`, `-0`, `0.10`, a 30-digit integer).
///
/// Two numbers are equal when their text is, or when both denote the same finite `Double`.
///
/// ```swift
/// let big = JSONNumber(text: "1e400")!
/// big.text         // "1e400"
/// big.doubleValue  // +infinity: read it as a Double only to compute with it
/// ```
public struct JSONNumber: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral
{
    /// The number's JSON text.
    public let text: String

    /// A number from JSON text already checked by the parser.
    init(uncheckedText text: String) { self.text = text }

    /// A number from its JSON text; `nil` if `text` is not a JSON number (RFC 8259).
    public init?(text: String) {
        guard (try? JSONValue.parse(text)).flatMap({ if case .number = $0 { true } else { nil } }) == true else {
            return nil
        }
        self.text = text
    }

    /// An integer.
    public init(_ value: Int) { text = String(value) }

    /// A finite `Double`, written without a fraction when it is whole; non-finite values, which
    /// JSON cannot express, are written as 0.
    public init(_ value: Double) {
        if !value.isFinite {
            text = "0"
        } else if value.rounded() == value, abs(value) < 9.0e15 {
            text = value == 0 && value.sign == .minus ? "-0" : String(Int(value))
        } else {
            text = "\(value)"
        }
    }

    public init(integerLiteral value: Int) { self.init(value) }
    public init(floatLiteral value: Double) { self.init(value) }

    /// The value as a `Double` (±infinity beyond its range, 0 below it).
    public var doubleValue: Double { Double(text) ?? .nan }

    /// The value as an `Int` when it is a whole number that fits.
    public var intValue: Int? {
        if let whole = Int(text) { return whole }
        let value = doubleValue
        guard value.isFinite, value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return Int(value)
    }

    public var description: String { text }

    public static func == (lhs: JSONNumber, rhs: JSONNumber) -> Bool {
        if lhs.text == rhs.text { return true }
        let left = lhs.doubleValue
        return left.isFinite && left == rhs.doubleValue
    }

    public func hash(into hasher: inout Hasher) {
        let value = doubleValue
        if value.isFinite { hasher.combine(value) } else { hasher.combine(text) }
    }
}
