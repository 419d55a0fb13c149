import BifrostCore
import Testing

/// The parser reads a string's plain run several bytes at a time: what ends the run (a quote,
/// an escape, a control character) or makes it non-ASCII must be found wherever it falls.
@Suite("Reading JSON strings: whatever ends a run is found at every offset")
struct JSONStringParsingTests {
    /// The plain characters before and after the byte under test.
    static let offsets = Array(0..<20)

    /// `{"k":"<prefix><middle><suffix>"}` as bytes.
    static func object(prefix: Int, middle: [UInt8], suffix: Int) -> [UInt8] {
        Array(#"{"k":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: prefix) + middle
            + Array(repeating: UInt8(ascii: "b"), count: suffix) + Array(#""}"#.utf8)
    }

    static func expected(prefix: Int, middle: String, suffix: Int) -> JSONValue {
        .object(["k": .string(String(repeating: "a", count: prefix) + middle + String(repeating: "b", count: suffix))])
    }

    @Test(arguments: offsets)
    func escapesAndNonASCIIAnywhereReadAsWritten(offset: Int) throws {
        for (middle, text) in [(#"\""#, "\""), (#"\\"#, "\\"), (#"\n"#, "\n"), (#"\u00e9"#, "é"), ("é", "é"), ("😀", "😀")] {
            for suffix in [0, 3, 9] {
                let bytes = Self.object(prefix: offset, middle: Array(middle.utf8), suffix: suffix)
                #expect(try JSONValue.parse(bytes) == Self.expected(prefix: offset, middle: text, suffix: suffix))
            }
        }
        #expect(
            try JSONValue.parse(Self.object(prefix: offset, middle: [], suffix: 0))
                == Self.expected(prefix: offset, middle: "", suffix: 0))
    }

    @Test(arguments: offsets)
    func aControlCharacterOrInvalidUTF8AnywhereIsRejected(offset: Int) {
        for middle: [UInt8] in [[0x01], [0x1F], [0x0A], [0xFF], [0xC3]] {
            for suffix in [0, 9] {
                let bytes = Self.object(prefix: offset, middle: middle, suffix: suffix)
                #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
            }
        }
    }

    @Test(arguments: offsets)
    func anUnterminatedStringIsRejected(offset: Int) {
        let bytes = Array(#"{"k":""#.utf8) + Array(repeating: UInt8(ascii: "a"), count: offset)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }
}
