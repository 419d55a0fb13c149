/// A JSON text that could not be parsed: what was expected and at which byte.
public struct JSONParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What the parser expected or found.
    public var reason: String
    /// The byte offset of the problem.
    public var offset: Int

    public var description: String { "\(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Parses JSON text (RFC 8259). Rejects trailing content and nesting deeper than 512.
    ///
    /// ```swift
    /// let value = try JSONValue.parse(Array(#"{"a":[1,true,null]}"#.utf8))
    /// ```
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        let result: Result<JSONValue, JSONParseError> =
            bytes.withContiguousStorageIfAvailable { buffer in
                Result { () throws(JSONParseError) in try parseBuffer(buffer) }
            }
            ?? Array(bytes).withUnsafeBufferPointer { buffer in
                Result { () throws(JSONParseError) in try parseBuffer(buffer) }
            }
        return try result.get()
    }

    /// Parses JSON text from a string.
    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue {
        var parser = JSONByteParser(bytes: buffer)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.position == buffer.count else {
            throw JSONParseError(reason: "unexpected content after the JSON value", offset: parser.position)
        }
        return value
    }
}

/// A walk through one JSON text that the reader steers: it visits an object's members or an
/// array's elements one by one and reads each value as it needs it (typed, as a tree, or
/// skipped), so a decoder takes the fields it knows without building a tree of the rest.
/// The grammar is ``JSONValue/parse(_:)-(Collection<UInt8>)``'s: a text one accepts, the other does.
///
/// ```swift
/// var id = ""
/// let isObject = try JSONCursor.walkObject(bytes) { cursor, key throws(JSONParseError) in
///     if key == "id" { id = try cursor.value().stringValue ?? "" } else { try cursor.skip() }
/// }
/// ```
package struct JSONCursor {
    fileprivate var parser: JSONByteParser
    private var depth = 0

    fileprivate init(_ parser: JSONByteParser) { self.parser = parser }

    /// Walks the members of the object that `bytes` is, then checks nothing but whitespace
    /// follows; `false` (nothing walked) when the text is not an object. `body` reads each
    /// member's value once (a value it leaves unread is skipped).
    package static func walkObject(
        _ bytes: UnsafeBufferPointer<UInt8>, _ body: (inout JSONCursor, Key) throws(JSONParseError) -> Void
    ) throws(JSONParseError) -> Bool {
        var cursor = JSONCursor(JSONByteParser(bytes: bytes))
        guard try cursor.members(body) else { return false }
        cursor.parser.skipWhitespace()
        guard cursor.parser.position == bytes.count else {
            throw JSONParseError(reason: "unexpected content after the JSON value", offset: cursor.parser.position)
        }
        return true
    }

    /// Walks the members of the object that `text` is, as the walk over its bytes does; for a
    /// text that is not an object, throws the parser's error if it is not JSON either.
    package static func walkObject(
        _ text: [UInt8], _ body: (inout JSONCursor, Key) throws(JSONParseError) -> Void
    ) throws(JSONParseError) -> Bool {
        let isObject = try text.withUnsafeBufferPointer { bytes throws(JSONParseError) in try walkObject(bytes, body) }
        if !isObject { _ = try JSONValue.parse(text) }
        return isObject
    }

    /// Whether the next value is an array.
    package mutating func isArray() -> Bool { peek(UInt8(ascii: "[")) }

    /// The next value, as a tree.
    package mutating func value() throws(JSONParseError) -> JSONValue {
        parser.skipWhitespace()
        return try parser.parseValue(depth: depth)
    }

    /// Reads past the next value, checking it, without keeping it.
    package mutating func skip() throws(JSONParseError) {
        parser.skipWhitespace()
        guard parser.position < parser.bytes.count else { throw parser.failure("unexpected end of JSON") }
        switch parser.bytes[parser.position] {
        case UInt8(ascii: "{"): _ = try members { cursor, _ throws(JSONParseError) in try cursor.skip() }
        case UInt8(ascii: "["): try elements { cursor, _ throws(JSONParseError) in try cursor.skip() }
        case UInt8(ascii: "\""): try parser.skipString()
        default: _ = try parser.parseValue(depth: depth)
        }
    }

    /// Walks the members of the next value if it is an object (`body` reads each value once;
    /// one left unread is skipped); `false`, reading nothing, if it is not.
    package mutating func members(_ body: (inout JSONCursor, Key) throws(JSONParseError) -> Void) throws(JSONParseError)
        -> Bool
    {
        guard peek(UInt8(ascii: "{")) else { return false }
        try sequence(closedBy: UInt8(ascii: "}"), in: "object") { cursor throws(JSONParseError) in
            guard cursor.peek(UInt8(ascii: "\"")) else { throw cursor.parser.failure("expected a string key in object") }
            let key = try cursor.parser.parseKey()
            guard cursor.peek(UInt8(ascii: ":")) else { throw cursor.parser.failure("expected ':' after object key") }
            cursor.parser.position += 1
            try cursor.read { cursor throws(JSONParseError) in try body(&cursor, key) }
        }
        return true
    }

    /// Walks the elements of the next value, which must be an array (check with ``isArray()``);
    /// `body` reads each element once (one left unread is skipped).
    package mutating func elements(_ body: (inout JSONCursor, Int) throws(JSONParseError) -> Void) throws(JSONParseError) {
        guard peek(UInt8(ascii: "[")) else { throw parser.failure("expected an array") }
        var index = 0
        try sequence(closedBy: UInt8(ascii: "]"), in: "array") { cursor throws(JSONParseError) in
            try cursor.read { cursor throws(JSONParseError) in try body(&cursor, index) }
            index += 1
        }
    }

    /// Reads an object's or array's items, from its opening byte (the next one) to `close`,
    /// one level deeper: `item` reads one, and a comma must come between two.
    private mutating func sequence(
        closedBy close: UInt8, in container: StaticString, _ item: (inout JSONCursor) throws(JSONParseError) -> Void
    ) throws(JSONParseError) {
        guard depth < 512 else { throw parser.failure("JSON nested deeper than 512 levels") }
        depth += 1
        defer { depth -= 1 }
        parser.position += 1
        if peek(close) {
            parser.position += 1
            return
        }
        while true {
            try item(&self)
            if peek(UInt8(ascii: ",")) {
                parser.position += 1
            } else if peek(close) {
                parser.position += 1
                return
            } else {
                throw parser.failure("expected ',' or '\(Character(Unicode.Scalar(close)))' in \(container)")
            }
        }
    }

    /// Whether the next byte, after whitespace, is `byte`.
    private mutating func peek(_ byte: UInt8) -> Bool {
        parser.skipWhitespace()
        return parser.position < parser.bytes.count && parser.bytes[parser.position] == byte
    }

    /// Lets `body` read one value, and skips it if `body` left it unread.
    private mutating func read(_ body: (inout JSONCursor) throws(JSONParseError) -> Void) throws(JSONParseError) {
        parser.skipWhitespace()
        let start = parser.position
        try body(&self)
        if parser.position == start { try skip() }
    }
}

extension JSONCursor {
    /// A member's name as the walk meets it: compared with a literal (`case "usage":`)
    /// without being made into a `String`, and made into one (``string``) only for a member
    /// kept as it is. It is valid only while the walk's body runs.
    package struct Key {
        private enum Storage {
            /// The name's UTF-8 in the text: it has no escape and is ASCII.
            case text(UnsafeBufferPointer<UInt8>)
            /// A name with an escape or a non-ASCII character, read into a string.
            case string(String)
        }
        private let storage: Storage

        fileprivate init(text: UnsafeBufferPointer<UInt8>) { storage = .text(text) }

        fileprivate init(string: String) { storage = .string(string) }

        /// The name.
        package var string: String {
            switch storage {
            case .text(let text): String(decoding: text, as: UTF8.self)
            case .string(let string): string
            }
        }

        /// Whether the name is `literal`.
        package static func == (key: Key, literal: StaticString) -> Bool {
            literal.withUTF8Buffer { literal in
                switch key.storage {
                case .string(let string): return string.utf8.elementsEqual(literal)
                case .text(let text):
                    guard text.count == literal.count else { return false }
                    guard let base = text.baseAddress, let other = literal.baseAddress else { return true }
                    return memcmp(base, other, text.count) == 0
                }
            }
        }

        /// Whether the name is `name`.
        package static func == (key: Key, name: String) -> Bool {
            switch key.storage {
            case .text(let text): name.utf8.elementsEqual(text)
            case .string(let string): string == name
            }
        }

        /// Matches `case "name":` in a `switch` on a key.
        package static func ~= (literal: StaticString, key: Key) -> Bool { key == literal }
    }
}

extension JSONCursor {
    /// The text of an object with some members changed and every other byte as it was.
    ///
    /// Each change names a member and the JSON text of its new value, or `nil` to remove it. A
    /// member that is there keeps its place; one that is not is added at the end. The same
    /// text comes back when nothing changes; `nil` when the text is not an object or names a
    /// changed member twice (for the caller to write from a parsed object instead).
    ///
    /// ```swift
    /// JSONCursor.settingMembers([("usage", nil), ("model", Array(#""m""#.utf8))], in: Array(#"{"id":"c","usage":null}"#.utf8))
    /// // {"id":"c","model":"m"}
    /// ```
    package static func settingMembers(_ changes: [(name: String, value: [UInt8]?)], in text: [UInt8]) -> [UInt8]? {
        precondition(changes.count <= 64, "at most 64 changes at once")
        return text.withUnsafeBufferPointer { bytes -> [UInt8]? in
            guard let scan = MemberScan(of: bytes, changes: changes) else { return nil }
            let added = changes.indices.filter { scan.seen & (1 << $0) == 0 && changes[$0].value != nil }
            guard !scan.spans.isEmpty || !added.isEmpty else { return text }
            var written = [UInt8]()
            written.reserveCapacity(bytes.count + changes.reduce(0) { $0 + $1.name.utf8.count + ($1.value?.count ?? 0) + 4 })
            var copied = 0
            var removed = 0
            var index = 0
            while index < scan.spans.count {
                let span = scan.spans[index]
                if let value = changes[span.change].value {
                    written.append(contentsOf: bytes[copied..<span.valueStart])
                    written.append(contentsOf: value)
                    copied = span.end
                    index += 1
                    continue
                }
                // A run of neighbouring members goes with the comma after it, or before it when it ends the object.
                var last = span
                index += 1
                while index < scan.spans.count, changes[scan.spans[index].change].value == nil,
                    scan.spans[index].member == last.member + 1
                {
                    last = scan.spans[index]
                    index += 1
                }
                removed += last.member - span.member + 1
                let cut =
                    last.nextKeyStart.map { span.keyStart..<$0 } ?? span.previousEnd.map { $0..<last.end }
                    ?? span.keyStart..<last.end
                written.append(contentsOf: bytes[copied..<cut.lowerBound])
                copied = cut.upperBound
            }
            written.append(contentsOf: bytes[copied..<scan.membersEnd])
            var separated = scan.memberCount > removed
            for change in added {
                if separated { written.append(UInt8(ascii: ",")) }
                JSONWriter.appendQuoted(changes[change].name, to: &written)
                written.append(UInt8(ascii: ":"))
                written.append(contentsOf: changes[change].value!)
                separated = true
            }
            written.append(contentsOf: bytes[scan.membersEnd...])
            return written
        }
    }

    /// Where an object's members to change are, read in one pass for ``JSONCursor/settingMembers(_:in:)``.
    private struct MemberScan {
        /// One member named by a change: its key's start, its value's start and end, its place
        /// among the members, and its neighbours' edges (the member before's end, the next's key).
        struct Span {
            var change: Int
            var member: Int
            var keyStart: Int
            var valueStart: Int
            var end: Int
            var previousEnd: Int?
            var nextKeyStart: Int?
        }

        /// The changed members, in their order.
        var spans: [Span] = []
        /// Which changes name a member that is there.
        var seen: UInt64 = 0
        var memberCount = 0
        /// Where the last member ends (or the opening brace), where added members go.
        var membersEnd: Int

        /// `nil` when `bytes` is not an object or names a changed member twice.
        init?(of bytes: UnsafeBufferPointer<UInt8>, changes: [(name: String, value: [UInt8]?)]) {
            var cursor = JSONCursor(JSONByteParser(bytes: bytes))
            guard cursor.peek(UInt8(ascii: "{")) else { return nil }
            cursor.parser.position += 1
            membersEnd = cursor.parser.position
            var previousEnd: Int?
            do {
                while cursor.peek(UInt8(ascii: "\"")) {
                    let keyStart = cursor.parser.position
                    if let last = spans.last, last.member == memberCount - 1 { spans[spans.count - 1].nextKeyStart = keyStart }
                    let key = try cursor.parser.parseKey()
                    guard cursor.peek(UInt8(ascii: ":")) else { return nil }
                    cursor.parser.position += 1
                    cursor.parser.skipWhitespace()
                    let valueStart = cursor.parser.position
                    try cursor.skip()
                    membersEnd = cursor.parser.position
                    if let change = changes.firstIndex(where: { key == $0.name }) {
                        guard seen & (1 << change) == 0 else { return nil }
                        seen |= 1 << change
                        spans.append(
                            Span(
                                change: change, member: memberCount, keyStart: keyStart, valueStart: valueStart,
                                end: membersEnd, previousEnd: previousEnd))
                    }
                    previousEnd = membersEnd
                    memberCount += 1
                    guard cursor.peek(UInt8(ascii: ",")) else { break }
                    cursor.parser.position += 1
                }
                guard cursor.peek(UInt8(ascii: "}")) else { return nil }
            } catch {
                return nil
            }
        }
    }

}

extension JSONObject {
    /// The members of one object as a ``JSONCursor`` read them, in order: a repeated key keeps
    /// its first place and its last value, as in a parsed object.
    package init(readMembers: [Member]) { self = JSONByteParser.object(readMembers[...]) }
}

private struct JSONByteParser {
    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0
    /// The members of the objects being parsed, innermost last: an object is made once at its
    /// end, at its final size, instead of growing member by member.
    var members: [JSONObject.Member] = []

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        // Room for a typical wire object's members at once, rather than growing to it.
        members.reserveCapacity(16)
    }

    mutating func skipWhitespace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x0A, 0x0D, 0x09: position += 1
            default: return
            }
        }
    }

    func failure(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: position) }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth < 512 else { throw failure("JSON nested deeper than 512 levels") }
        guard position < bytes.count else { throw failure("unexpected end of JSON") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default: throw failure("unexpected character '\(Character(Unicode.Scalar(bytes[position])))'")
        }
    }

    mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count,
            memcmp(bytes.baseAddress! + position, literal.utf8Start, count) == 0
        else { throw failure("invalid literal, expected \(literal)") }
        position += count
    }

    mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        position += 1
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .object(JSONObject())
        }
        let first = members.count
        while true {
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                throw failure("expected a string key in object")
            }
            let key = try parseString()
            skipWhitespace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else {
                throw failure("expected ':' after object key")
            }
            position += 1
            skipWhitespace()
            let value = try parseValue(depth: depth + 1)
            members.append(JSONObject.Member(key: key, value: value))
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of JSON in object") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "}") {
                position += 1
                let object = Self.object(members[first...])
                // An outermost object may share the scratch list's storage: it is let go, not copied.
                if first == 0 { members = [] } else { members.removeSubrange(first...) }
                return .object(object)
            } else {
                throw failure("expected ',' or '}' in object")
            }
        }
    }

    /// The object of these members; a repeated key keeps its first place and its last value.
    static func object(_ parsed: ArraySlice<JSONObject.Member>) -> JSONObject {
        var unique = true
        if parsed.count > 1 {
            if parsed.count <= 16 {
                outer: for index in parsed.indices.dropFirst() {
                    for earlier in parsed.startIndex..<index where parsed[earlier].key == parsed[index].key {
                        unique = false
                        break outer
                    }
                }
            } else {
                var seen = Set<String>(minimumCapacity: parsed.count)
                for member in parsed where !seen.insert(member.key).inserted {
                    unique = false
                    break
                }
            }
        }
        return unique ? JSONObject(uncheckedMembers: Array(parsed)) : JSONObject(members: parsed)
    }

    mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        position += 1
        var array: [JSONValue] = []
        skipWhitespace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(array)
        }
        while true {
            skipWhitespace()
            array.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard position < bytes.count else { throw failure("unexpected end of JSON in array") }
            if bytes[position] == UInt8(ascii: ",") {
                position += 1
            } else if bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            } else {
                throw failure("expected ',' or ']' in array")
            }
        }
    }

    mutating func parseNumber() throws(JSONParseError) -> JSONNumber {
        let start = position
        if bytes[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        guard position > digitsStart else { throw failure("invalid number") }
        if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
            position += 1
            let fractionStart = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            guard position > fractionStart else { throw failure("invalid number: digits expected after '.'") }
        }
        if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
            position += 1
            if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            let exponentStart = position
            while position < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            guard position > exponentStart else { throw failure("invalid number: digits expected in exponent") }
        }
        return JSONNumber(uncheckedText: String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self))
    }

    /// A member's name: its bytes in the text when it is plain ASCII (most are), a string otherwise.
    fileprivate mutating func parseKey() throws(JSONParseError) -> JSONCursor.Key {
        let opening = position
        let (start, isASCII) = try readUnescaped()
        guard isASCII, bytes[position] == UInt8(ascii: "\"") else {
            position = opening
            return JSONCursor.Key(string: try parseString())
        }
        defer { position += 1 }
        return JSONCursor.Key(text: UnsafeBufferPointer(rebasing: bytes[start..<position]))
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let (start, isASCII) = try readUnescaped()
        if bytes[position] == UInt8(ascii: "\"") {
            let slice = UnsafeBufferPointer(rebasing: bytes[start..<position])
            position += 1
            // ASCII needs no validation (and `String(validating:)` is generic: slower).
            if isASCII { return String(decoding: slice, as: UTF8.self) }
            guard let string = String(validating: slice, as: UTF8.self) else {
                throw JSONParseError(reason: "invalid UTF-8 in string", offset: start)
            }
            return string
        }
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < bytes.count {
            let byte = bytes[position]
            switch byte {
            case UInt8(ascii: "\""):
                position += 1
                guard let string = String(validating: utf8, as: UTF8.self) else {
                    throw JSONParseError(reason: "invalid UTF-8 in string", offset: start)
                }
                return string
            case UInt8(ascii: "\\"):
                position += 1
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""): utf8.append(0x22)
                case UInt8(ascii: "\\"): utf8.append(0x5C)
                case UInt8(ascii: "/"): utf8.append(0x2F)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try parseHex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard position + 1 < bytes.count, bytes[position] == UInt8(ascii: "\\"),
                            bytes[position + 1] == UInt8(ascii: "u")
                        else { throw failure("unpaired surrogate in \\u escape") }
                        position += 2
                        let low = try parseHex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("invalid low surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw failure("unpaired surrogate in \\u escape")
                    }
                    guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
                    utf8.append(contentsOf: String(Character(unicode)).utf8)
                default:
                    throw failure("invalid escape character")
                }
            default:
                if byte < 0x20 { throw failure("unescaped control character in string") }
                utf8.append(byte)
                position += 1
            }
        }
        throw failure("unterminated string")
    }

    /// Reads past a string as ``parseString()`` would read it, without making it (escapes and
    /// UTF-8 are checked alike).
    mutating func skipString() throws(JSONParseError) {
        let (start, isASCII) = try readUnescaped()
        guard bytes[position] == UInt8(ascii: "\"") else {
            position = start - 1
            _ = try parseString()
            return
        }
        if !isASCII, String(validating: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self) == nil {
            throw JSONParseError(reason: "invalid UTF-8 in string", offset: start)
        }
        position += 1
    }

    /// Reads a string's characters from its opening quote up to its closing quote or its first
    /// escape, where it stops: where the characters start, and whether they are all ASCII.
    private mutating func readUnescaped() throws(JSONParseError) -> (start: Int, isASCII: Bool) {
        position += 1
        let start = position
        var bitsSeen: UInt8 = 0
        // Eight bytes at a time while none of them ends the run (a quote, a backslash, a control
        // character); the word that holds one is read byte by byte below.
        if let base = bytes.baseAddress {
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            var highBitsSeen: UInt64 = 0
            while position &+ 8 <= bytes.count {
                let word = UnsafeRawPointer(base + position).loadUnaligned(as: UInt64.self)
                let quotes = word ^ (ones &* UInt64(UInt8(ascii: "\"")))
                let backslashes = word ^ (ones &* UInt64(UInt8(ascii: "\\")))
                let stops =
                    ((quotes &- ones) & ~quotes) | ((backslashes &- ones) & ~backslashes) | ((word &- ones &* 0x20) & ~word)
                if stops & highs != 0 { break }
                highBitsSeen |= word
                position &+= 8
            }
            if highBitsSeen & highs != 0 { bitsSeen = 0x80 }
        }
        while position < bytes.count {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return (start, bitsSeen < 0x80) }
            if byte < 0x20 { throw failure("unescaped control character in string") }
            bitsSeen |= byte
            position += 1
        }
        throw failure("unterminated string")
    }

    mutating func parseHex4() throws(JSONParseError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw failure("invalid hex digit in \\u escape")
            }
            value = value << 4 | digit
            position += 1
        }
        return value
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
