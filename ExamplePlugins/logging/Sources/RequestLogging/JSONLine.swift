/// A JSON object written member by member into one byte buffer, without Foundation.
///
/// One line costs one buffer (reserved up front) instead of a string per member.
struct JSONLine {
    private(set) var bytes: [UInt8] = []
    private var isEmpty = true

    init(capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
        bytes.append(UInt8(ascii: "{"))
    }

    /// The object, closed, with a trailing newline.
    mutating func finishLine() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        bytes.append(0x0A)
        return bytes
    }

    /// The object, closed, without a newline.
    mutating func finishObject() -> [UInt8] {
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// A member whose key is not known at compile time (a header name).
    mutating func member(_ key: String, _ value: String) {
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        JSONLine.appendQuoted(key, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        JSONLine.appendQuoted(value, to: &bytes)
    }

    /// The members written so far, without braces, to splice into another line.
    var members: String { String(decoding: bytes.dropFirst(), as: UTF8.self) }

    mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        JSONLine.appendQuoted(value, to: &bytes)
    }

    mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        bytes.append(contentsOf: String(value).utf8)
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number with at most three decimals.
    mutating func milliseconds(_ key: StaticString, nanoseconds: UInt64) {
        self.key(key)
        let micros = (nanoseconds + 500) / 1_000
        bytes.append(contentsOf: String(micros / 1_000).utf8)
        let fraction = micros % 1_000
        if fraction > 0 {
            bytes.append(UInt8(ascii: "."))
            let digits = String(fraction)
            bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: 3 - digits.utf8.count))
            bytes.append(contentsOf: digits.utf8)
            while bytes.last == UInt8(ascii: "0") { bytes.removeLast() }
        }
    }

    /// A member whose value is already JSON (an object or array).
    mutating func json(_ key: StaticString, _ value: [UInt8]) {
        self.key(key)
        bytes.append(contentsOf: value)
    }

    /// Appends members written by another line (``members``).
    mutating func splice(_ otherMembers: String) {
        guard !otherMembers.isEmpty else { return }
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        bytes.append(contentsOf: otherMembers.utf8)
    }

    private mutating func key(_ key: StaticString) {
        if !isEmpty { bytes.append(UInt8(ascii: ",")) }
        isEmpty = false
        bytes.append(UInt8(ascii: "\""))
        bytes.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `value` as a JSON string: runs of plain bytes are copied at once.
    static func appendQuoted(_ value: String, to bytes: inout [UInt8]) {
        bytes.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { utf8 in
            var runStart = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                runStart = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
                case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                default:
                    let hex: [UInt8] = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
                    bytes.append(hex[Int(byte >> 4)])
                    bytes.append(hex[Int(byte & 0xF)])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// A JSON array written element by element.
struct JSONArray {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "[")]

    mutating func string(_ value: String) {
        separate()
        JSONLine.appendQuoted(value, to: &bytes)
    }

    mutating func object(_ value: JSONLine) {
        separate()
        var value = value
        bytes.append(contentsOf: value.finishLine().dropLast())
    }

    /// The array, closed.
    var closed: [UInt8] { bytes + [UInt8(ascii: "]")] }

    private mutating func separate() {
        if bytes.count > 1 { bytes.append(UInt8(ascii: ",")) }
    }
}

/// What never reaches a log line.
enum Redaction {
    static let placeholder = "[redacted]"

    /// Headers whose values are secrets.
    static func isSecretHeader(_ name: String) -> Bool {
        switch name.lowercased() {
        case "authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "set-cookie", "x-goog-api-key": true
        default: name.lowercased().contains("token") || name.lowercased().contains("secret")
        }
    }

    /// `text` with API-key-looking words (`sk-…`, `sk-ant-…`, `Bearer …`) replaced.
    static func redactingKeys(_ text: String) -> String {
        guard text.contains("sk-") || text.contains("Bearer ") || text.contains("bearer ") else { return text }
        var words = text.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        var redactNext = false
        for index in words.indices {
            let word = words[index]
            if redactNext, !word.isEmpty {
                words[index] = placeholder
                redactNext = false
                continue
            }
            if word == "Bearer" || word == "bearer" {
                redactNext = true
            } else if let range = word.firstRange(of: "sk-"), word[range.upperBound...].count >= 8 {
                words[index] = String(word[..<range.lowerBound]) + placeholder
            }
        }
        return words.joined(separator: " ")
    }
}
