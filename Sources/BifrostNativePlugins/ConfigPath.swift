/// A path into a plugin's configuration as the `config_*` lookups take it (ABI 1.6): member
/// names joined by `.`, array positions in brackets, a name containing `.`, `[`, `]` or `"`
/// (or an empty one) in brackets and quotes with `\` escaping `"` and `\`:
/// `limits.rules[2]["model.name"]`.
///
/// ```swift
/// let steps = try ConfigPath.parse(Array("limits.rules[2].model".utf8))
/// ConfigPath.render(steps)  // "limits.rules[2].model"
/// ```
enum ConfigPath {
    /// One step of a path.
    enum Step: Equatable {
        /// An object member, by its UTF-8 name.
        case name([UInt8])
        /// An array element, by position.
        case index(Int)
    }

    /// Why a path is malformed, for the host's log.
    struct Malformed: Error, Equatable {
        /// The byte offset where parsing stopped.
        var offset: Int
        /// What was wrong there.
        var reason: String
    }

    private static let dot = UInt8(ascii: ".")
    private static let open = UInt8(ascii: "[")
    private static let close = UInt8(ascii: "]")
    private static let quote = UInt8(ascii: "\"")
    private static let backslash = UInt8(ascii: "\\")

    /// The steps of `path`; an empty path has none (the node itself).
    static func parse(_ path: some Collection<UInt8>) throws(Malformed) -> [Step] {
        let bytes = Array(path)
        var steps: [Step] = []
        var offset = 0
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == open {
                steps.append(try bracket(bytes, &offset))
                continue
            }
            if byte == dot {
                guard !steps.isEmpty else { throw Malformed(offset: offset, reason: "a path cannot start with '.'") }
                offset += 1
            } else if !steps.isEmpty {
                throw Malformed(offset: offset, reason: "expected '.' or '[' after a step")
            }
            let start = offset
            while offset < bytes.count, bytes[offset] != dot, bytes[offset] != open {
                guard bytes[offset] != close else { throw Malformed(offset: offset, reason: "']' without '['") }
                offset += 1
            }
            guard offset > start else {
                throw Malformed(offset: offset, reason: "an empty member name (write it as [\"\"])")
            }
            steps.append(.name(Array(bytes[start..<offset])))
        }
        return steps
    }

    /// A bracketed step at `offset` (which is at its `[`): a position or a quoted name.
    private static func bracket(_ bytes: [UInt8], _ offset: inout Int) throws(Malformed) -> Step {
        offset += 1
        guard offset < bytes.count else { throw Malformed(offset: offset, reason: "unterminated '['") }
        if bytes[offset] == quote {
            offset += 1
            var name: [UInt8] = []
            while true {
                guard offset < bytes.count else { throw Malformed(offset: offset, reason: "unterminated quoted name") }
                let byte = bytes[offset]
                offset += 1
                if byte == quote { break }
                if byte == backslash {
                    guard offset < bytes.count, bytes[offset] == quote || bytes[offset] == backslash else {
                        throw Malformed(offset: offset, reason: "only \\\" and \\\\ are escapes in a quoted name")
                    }
                    name.append(bytes[offset])
                    offset += 1
                } else {
                    name.append(byte)
                }
            }
            guard offset < bytes.count, bytes[offset] == close else {
                throw Malformed(offset: offset, reason: "expected ']' after a quoted name")
            }
            offset += 1
            return .name(name)
        }
        var position = 0
        let start = offset
        while offset < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[offset]) {
            let (times, overflow1) = position.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(Int(bytes[offset] - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw Malformed(offset: offset, reason: "array position too large") }
            position = sum
            offset += 1
        }
        guard offset > start, offset < bytes.count, bytes[offset] == close else {
            throw Malformed(offset: offset, reason: "expected digits and ']' in a position, or a quoted name")
        }
        offset += 1
        return .index(position)
    }

    /// The path's text, as `parse` reads it; "" for no steps.
    static func render(_ steps: [Step]) -> String {
        var text = ""
        for step in steps {
            switch step {
            case .index(let position): text += "[\(position)]"
            case .name(let name):
                let plain = !name.isEmpty && !name.contains { [dot, open, close, quote, backslash].contains($0) }
                let decoded = String(decoding: name, as: UTF8.self)
                if plain {
                    if !text.isEmpty { text += "." }
                    text += decoded
                } else {
                    let escaped = decoded.replacing("\\", with: "\\\\").replacing("\"", with: "\\\"")
                    text += "[\"\(escaped)\"]"
                }
            }
        }
        return text
    }
}
