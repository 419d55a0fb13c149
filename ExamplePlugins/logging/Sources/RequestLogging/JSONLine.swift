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
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        JSONLine.appendDecimal(UInt64(value.magnitude), to: &bytes)
    }

    mutating func bool(_ key: StaticString, _ value: Bool) {
        self.key(key)
        bytes.append(contentsOf: (value ? "true" : "false").utf8)
    }

    /// A number with at most three decimals.
    mutating func milliseconds(_ key: StaticString, nanoseconds: UInt64) {
        self.key(key)
        let micros = (nanoseconds + 500) / 1_000
        JSONLine.appendDecimal(micros / 1_000, to: &bytes)
        var fraction = micros % 1_000
        guard fraction > 0 else { return }
        // Trailing zeros are dropped: 0.120 is written 0.12.
        var digits = 3
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        bytes.append(UInt8(ascii: "."))
        JSONLine.appendDecimal(fraction, minimumDigits: digits, to: &bytes)
    }

    /// A time as RFC 3339 in UTC with milliseconds (``appendTimestamp(nanoseconds:to:)``).
    mutating func timestamp(_ key: StaticString, nanoseconds: UInt64) {
        self.key(key)
        bytes.append(UInt8(ascii: "\""))
        JSONLine.appendTimestamp(nanoseconds: nanoseconds, to: &bytes)
        bytes.append(UInt8(ascii: "\""))
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

    /// Appends `value` in decimal, zero-padded to `minimumDigits`, without a `String` between.
    static func appendDecimal(_ value: UInt64, minimumDigits: Int = 1, to bytes: inout [UInt8]) {
        var count = 1
        var rest = value / 10
        while rest > 0 {
            count += 1
            rest /= 10
        }
        count = max(count, minimumDigits)
        bytes.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: count))
        var index = bytes.count
        rest = value
        while rest > 0 {
            index -= 1
            bytes[index] = UInt8(ascii: "0") + UInt8(rest % 10)
            rest /= 10
        }
    }

    /// Appends `2026-11-25T16:40:09.123Z`: Unix-epoch nanoseconds as RFC 3339 in UTC with
    /// milliseconds. The calendar is computed here (days to a proleptic Gregorian date), as
    /// `gmtime_r` takes the C library's time zone lock on every call.
    static func appendTimestamp(nanoseconds: UInt64, to bytes: inout [UInt8]) {
        let seconds = nanoseconds / 1_000_000_000
        // Days since 1970-01-01 (never negative here) to a date, in 400-year eras that start on 1 March.
        let shifted = seconds / 86_400 + 719_468
        let era = shifted / 146_097
        let dayOfEra = shifted % 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let secondOfDay = seconds % 86_400
        appendDecimal(year, minimumDigits: 4, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDecimal(month, minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "-"))
        appendDecimal(day, minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "T"))
        appendDecimal(secondOfDay / 3_600, minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(secondOfDay / 60 % 60, minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: ":"))
        appendDecimal(secondOfDay % 60, minimumDigits: 2, to: &bytes)
        bytes.append(UInt8(ascii: "."))
        appendDecimal(nanoseconds / 1_000_000 % 1_000, minimumDigits: 3, to: &bytes)
        bytes.append(UInt8(ascii: "Z"))
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
