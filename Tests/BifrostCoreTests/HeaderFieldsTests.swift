import BifrostCore
import Testing

@Suite("header fields: names, values and merging")
struct HeaderFieldsTests {
    static let tokenCharacters = Set("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#$%&'*+-.^_`|~".utf8)

    @Test("a one-character name is valid exactly when it is an RFC 9110 token character", arguments: 0..<128)
    func aNameCharacterIsATokenCharacter(byte: Int) {
        let name = String(UnicodeScalar(UInt8(byte)))
        #expect(HeaderFields.isValidName(name) == Self.tokenCharacters.contains(UInt8(byte)))
        #expect(HeaderFields.isValidName("x-\(name)-y") == Self.tokenCharacters.contains(UInt8(byte)))
    }

    @Test("a name is refused for one bad character wherever it is", arguments: 0..<24)
    func aBadCharacterAnywhereRefusesAName(position: Int) {
        for bad in [" ", ":", "\r", "é", "\u{0}"] {
            let name = Self.replacing(position, of: String(repeating: "a", count: 24), with: bad)
            #expect(!HeaderFields.isValidName(name), "\(bad.debugDescription) at \(position)")
        }
        #expect(HeaderFields.isValidName(String(repeating: "a", count: 24)))
        #expect(!HeaderFields.isValidName(""))
    }

    @Test("a value is refused for CR, LF or NUL wherever it is, and nothing else", arguments: 0..<24)
    func aValueIsRefusedOnlyForWhatEndsAField(position: Int) {
        for (byte, refused) in [("\r", true), ("\n", true), ("\u{0}", true), ("\t", false), ("\u{1}", false), ("é", false)] {
            let value = Self.replacing(position, of: String(repeating: "v", count: 24), with: byte)
            #expect(HeaderFields.isValidValue(value) == !refused, "\(byte.debugDescription) at \(position)")
        }
        #expect(HeaderFields.isValidValue(""))
    }

    @Test("names are matched and stored lowercased, ASCII or not")
    func namesAreCaseInsensitive() {
        var headers = HeaderFields()
        headers["X-Request-Id"] = "a"
        headers["ÉTAG-X"] = "b"
        headers["plain"] = "c"
        #expect(headers["x-request-id"] == "a")
        #expect(headers["étag-x"] == "b")
        #expect(headers["PLAIN"] == "c")
        #expect(headers.map(\.name) == ["x-request-id", "étag-x", "plain"])
    }

    @Test("adding what is missing keeps the fields there and adds only a name's first field")
    func addingWhatIsMissing() {
        var headers = HeaderFields([("x-model", "ours"), ("set-cookie", "a")])
        headers.addMissing(HeaderFields([("X-Model", "default"), ("x-new", "1"), ("x-new", "2"), ("set-cookie", "b")]))
        #expect(headers.map { "\($0.name)=\($0.value)" } == ["x-model=ours", "set-cookie=a", "x-new=1"])
        var empty = HeaderFields()
        empty.addMissing(HeaderFields())
        #expect(empty.isEmpty)
    }

    static func replacing(_ position: Int, of text: String, with replacement: String) -> String {
        var characters = Array(text)
        characters[position] = Character(replacement)
        return String(characters)
    }
}
