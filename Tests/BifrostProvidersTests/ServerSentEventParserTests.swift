import BifrostCore
import BifrostProviders
import Testing

/// The parser gives the same events however the bytes are cut into reads: whole, split at
/// any byte, one byte at a time, and from storage that is not contiguous.
@Suite("server-sent events, however the bytes arrive")
struct ServerSentEventParserTests {
    static let stream = Array(
        (":comment, ignored\n" + "event: message_start\ndata: {\"a\":1}\n\n" + "data: crlf\r\n\r\n"
            + "data: one\ndata: two\n\n" + "id: 7\nretry: 10\ndata:no-space\n\n" + "data\n\n" + "event: tail\ndata: last")
            .utf8)

    static let expected = [
        ServerSentEvent(name: "message_start", data: Array(#"{"a":1}"#.utf8)),
        ServerSentEvent(data: Array("crlf".utf8)),
        ServerSentEvent(data: Array("one\ntwo".utf8)),
        ServerSentEvent(data: Array("no-space".utf8)),
        ServerSentEvent(data: []),
        ServerSentEvent(name: "tail", data: Array("last".utf8)),
    ]

    static func parse(_ reads: [[UInt8]], contiguous: Bool = true) throws -> [ServerSentEvent] {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        for read in reads {
            events += contiguous ? try parser.feed(read) : try parser.feed(read.lazy.map { $0 })
        }
        return events + parser.finish()
    }

    @Test("whole, from contiguous and other storage")
    func whole() throws {
        #expect(try Self.parse([Self.stream]) == Self.expected)
        #expect(try Self.parse([Self.stream], contiguous: false) == Self.expected)
    }

    @Test("split in two at every byte")
    func splitAtEveryByte() throws {
        for cut in 0...Self.stream.count {
            let reads = [Array(Self.stream[..<cut]), Array(Self.stream[cut...])]
            #expect(try Self.parse(reads) == Self.expected, "cut at \(cut)")
            #expect(try Self.parse(reads, contiguous: false) == Self.expected, "cut at \(cut), not contiguous")
        }
    }

    @Test("one byte at a time")
    func byteByByte() throws {
        #expect(try Self.parse(Self.stream.map { [$0] }) == Self.expected)
    }

    @Test("a line longer than the limit is a malformed stream, in one read or several", arguments: [[17], [10, 10], [8, 8, 8]])
    func overlongLine(reads: [Int]) throws {
        var parser = ServerSentEventParser(maximumLineLength: 16)
        #expect(try parser.feed(Array("data: ok\n\n".utf8)) == [ServerSentEvent(data: Array("ok".utf8))])
        do {
            for count in reads { _ = try parser.feed([UInt8](repeating: UInt8(ascii: "x"), count: count)) }
            Issue.record("a line of \(reads.reduce(0, +)) bytes was accepted")
        } catch {
            #expect(error.code == "malformed_response")
            #expect(error.message.contains("a line longer than 16 bytes"))
        }
    }
}
