import BifrostCore
import Testing

@Suite("Walking JSON text member by member (JSONCursor)")
struct JSONCursorTests {
    /// Walks `text` skipping every value; whether it is an object, or the parse error.
    func walkSkipping(_ text: [UInt8]) -> Result<Bool, JSONParseError> {
        text.withUnsafeBufferPointer { bytes in
            Result { () throws(JSONParseError) in
                try JSONCursor.walkObject(bytes) { cursor, _ throws(JSONParseError) in try cursor.skip() }
            }
        }
    }

    @Test(arguments: [
        #"{"a":1,}"#, #"{"a" 1}"#, #"{"a":1} x"#, #"{"a":"\u00"}"#, #"{"a":"\ud800"}"#, #"{"a":tru}"#, #"{"a":[1,]}"#,
        #"{"a":"x"#, #"{"a":-}"#, "{\"a\":\"\u{1}\"}", String(repeating: "[", count: 600),
    ])
    func textTheParserRejectsIsRejectedWhenSkipped(text: String) {
        let bytes = Array(text.utf8)
        guard case .failure = walkSkipping(bytes) else {
            // Not an object at all is also a refusal, as long as the parser refuses it too.
            #expect(walkSkipping(bytes) == .success(false))
            #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
            return
        }
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test func invalidUTF8InASkippedStringIsRejected() {
        let bytes = Array(#"{"object":""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        guard case .failure(let error) = walkSkipping(bytes) else {
            Issue.record("accepted invalid UTF-8")
            return
        }
        #expect(error.reason == "invalid UTF-8 in string")
        #expect(throws: JSONParseError.self) { try JSONValue.parse(bytes) }
    }

    @Test(arguments: [
        #"{}"#, #"{"a":{"b":[1,2,{"c":"d\n\"e"}]},"f":null,"g":1.5e3}"#, #" { "x" : [ ] , "y" : { } } "#,
        #"{"s":"é ü 😀","t":"\u00e9\ud83d\ude00"}"#,
    ])
    func textTheParserAcceptsIsAcceptedWhenSkipped(text: String) throws {
        #expect(walkSkipping(Array(text.utf8)) == .success(true))
        _ = try JSONValue.parse(Array(text.utf8))
    }

    @Test func valuesReadThroughTheCursorAreTheParsersAndUnreadOnesAreSkipped() throws {
        let text = Array(#"{"keep":{"n":[1,"two",null]},"skip":{"deep":[{"x":1}]},"list":[true,{"k":"v"}]}"#.utf8)
        var kept: JSONValue?
        var listed: [JSONValue] = []
        let isObject = try text.withUnsafeBufferPointer { bytes throws(JSONParseError) in
            try JSONCursor.walkObject(bytes) { cursor, key throws(JSONParseError) in
                switch key {
                case "keep": kept = try cursor.value()
                case "list": try cursor.elements { cursor, _ throws(JSONParseError) in listed.append(try cursor.value()) }
                default: break  // left unread: skipped
                }
            }
        }
        #expect(isObject)
        let parsed = try JSONValue.parse(text)
        #expect(kept == parsed.objectField("keep"))
        #expect(listed == parsed.objectField("list")?.arrayValue)
    }

    @Test(arguments: [
        (#"{"id":"c","usage":null,"model":"m"}"#, #"{"id":"c","model":"m"}"#),
        (#"{"id":"c","usage":{"total_tokens":3}}"#, #"{"id":"c"}"#),
        (#"{"usage":null, "id":"c"}"#, #"{"id":"c"}"#),
        (#"{"usage":null}"#, #"{}"#),
        (#"{ "id" : "c" , "usage" : null , "n" : 1.50 }"#, #"{ "id" : "c" , "n" : 1.50 }"#),
        (#"{"id":"c"}"#, #"{"id":"c"}"#),
    ])
    func aMemberIsCutOutOfTheTextAndEveryOtherByteKept(text: String, expected: String) throws {
        let cut = try #require(JSONCursor.settingMembers([("usage", nil)], in: Array(text.utf8)))
        #expect(String(decoding: cut, as: UTF8.self) == expected)
        var object = try #require(try JSONValue.parse(Array(text.utf8)).objectValue)
        object["usage"] = nil
        #expect(try JSONValue.parse(cut).objectValue == object)
    }

    @Test(arguments: [#"[1]"#, #"{"usage":1,"usage":2}"#, #"{"usage":"#])
    func aTextThatIsNoObjectOrNamesTheMemberTwiceIsLeftToTheWriter(text: String) {
        #expect(JSONCursor.settingMembers([("usage", nil)], in: Array(text.utf8)) == nil)
    }

    @Test(arguments: [
        (#"{"model":"a/b","messages":[],"stream":true}"#, #"{"model":"b","messages":[]}"#),
        (#"{ "model" : "a/b" , "n" : 1.50 }"#, #"{ "model" : "b" , "n" : 1.50 }"#),
        (#"{"messages":[]}"#, #"{"messages":[],"model":"b"}"#),
        (#"{}"#, #"{"model":"b"}"#),
        (#"{"stream":false}"#, #"{"model":"b"}"#),
        (#"{"stream_options":{},"x":"\u00e9","stream":1}"#, #"{"x":"\u00e9","model":"b"}"#),
        (#"{"a":1, "stream":true, "stream_options":{}}"#, #"{"a":1,"model":"b"}"#),
        (#"{"stream":true, "stream_options":{}, "a":1}"#, #"{"a":1,"model":"b"}"#),
        (#"{"stream":true,"model":"a/b","stream_options":{}}"#, #"{"model":"b"}"#),
    ])
    func membersAreReplacedRemovedAndAddedAndEveryOtherByteKept(text: String, expected: String) throws {
        let changes: [(name: String, value: [UInt8]?)] = [
            ("model", Array(#""b""#.utf8)), ("stream", nil), ("stream_options", nil),
        ]
        let changed = try #require(JSONCursor.settingMembers(changes, in: Array(text.utf8)))
        #expect(String(decoding: changed, as: UTF8.self) == expected)
        var object = try #require(try JSONValue.parse(Array(text.utf8)).objectValue)
        object["model"] = "b"
        object["stream"] = nil
        object["stream_options"] = nil
        #expect(try JSONValue.parse(changed).objectValue == object)
    }

    @Test func aTextWithNoMemberToChangeIsGivenBackAsItIs() throws {
        let text = Array(#"{ "id" : "c" }"#.utf8)
        #expect(JSONCursor.settingMembers([("usage", nil)], in: text) == text)
    }

    @Test func aBodyKeptAsItsTextIsParsedWhenItsObjectIsRead() throws {
        let text = Array(#"{"id":"c","n":1.50}"#.utf8)
        var wire = WireBody(format: .openAIChat, objectText: text)
        #expect(wire.bytes == text)
        #expect(wire.object == (try JSONValue.parse(text).objectValue))
        #expect(wire == WireBody(format: .openAIChat, object: try #require(try JSONValue.parse(text).objectValue)))
        wire.object["id"] = "d"
        #expect(wire.bytes == nil, "a changed object is written from the object")
        #expect(wire.object["id"] == "d")
        #expect(wire.object["n"] == (try JSONValue.parse(Array("1.50".utf8))))
    }

    @Test(arguments: [
        (#"{"usage":1}"#, "usage"), (#"{"us\u0061ge":1}"#, "usage"), (#"{"\u00e9t\u00e9":1}"#, "été"), (#"{"été":1}"#, "été"),
        (#"{"":1}"#, ""), (#"{"a\"b":1}"#, "a\"b"),
    ])
    func aKeyIsItsNameHoweverItIsWritten(text: String, name: String) throws {
        var names: [String] = []
        var matchedUsage: [Bool] = []
        var matchedName: [Bool] = []
        _ = try Array(text.utf8).withUnsafeBufferPointer { bytes throws(JSONParseError) in
            try JSONCursor.walkObject(bytes) { _, key throws(JSONParseError) in
                names.append(key.string)
                switch key {
                case "usage": matchedUsage.append(true)
                default: matchedUsage.append(false)
                }
                matchedName.append(key == name)
            }
        }
        #expect(names == [name])
        #expect(matchedUsage == [name == "usage"])
        #expect(matchedName == [true])
    }

    @Test func aKeyDiffersFromALongerOrShorterLiteral() throws {
        var results: [Bool] = []
        _ = try Array(#"{"usage":1}"#.utf8).withUnsafeBufferPointer { bytes throws(JSONParseError) in
            try JSONCursor.walkObject(bytes) { _, key throws(JSONParseError) in
                results = [key == "usag", key == "usages", key == "Usage", key == "u", key == "usage"]
            }
        }
        #expect(results == [false, false, false, false, true])
    }
}
