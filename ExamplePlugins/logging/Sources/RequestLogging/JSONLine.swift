/// A JSON object written member by member, without Foundation.
struct JSONLine {
    private(set) var members = ""

    var text: String { "{" + members + "}" }

    mutating func string(_ key: String, _ value: String) { append(key, JSONLine.quoted(value)) }
    mutating func int(_ key: String, _ value: Int) { append(key, String(value)) }
    mutating func bool(_ key: String, _ value: Bool) { append(key, value ? "true" : "false") }
    mutating func number(_ key: String, _ value: Double) {
        append(
            key, value.isFinite ? (value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value)) : "null")
    }
    mutating func object(_ key: String, _ value: JSONLine) { append(key, value.text) }
    mutating func array(_ key: String, _ value: JSONArray) { append(key, value.text) }

    /// Appends members written elsewhere (`"a":1,"b":2`).
    mutating func raw(_ otherMembers: String) {
        guard !otherMembers.isEmpty else { return }
        if !members.isEmpty { members += "," }
        members += otherMembers
    }

    private mutating func append(_ key: String, _ value: String) {
        if !members.isEmpty { members += "," }
        members += JSONLine.quoted(key) + ":" + value
    }

    static func quoted(_ value: String) -> String {
        var result = "\""
        result.reserveCapacity(value.utf8.count + 2)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}

/// A JSON array written element by element.
struct JSONArray {
    private var elements: [String] = []
    var text: String { "[" + elements.joined(separator: ",") + "]" }
    mutating func string(_ value: String) { elements.append(JSONLine.quoted(value)) }
    mutating func object(_ value: JSONLine) { elements.append(value.text) }
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
