import NIOCore

/// Turns a server's bytes into ``RESPValue``s, one per reply, with every length bounded so a
/// broken or hostile server cannot make the client allocate without limit.
struct RESPDecoder: ByteToMessageDecoder {
    typealias InboundOut = RESPValue

    /// The longest bulk string accepted (a cached answer is at most this).
    static let maximumBulkLength = 512 * 1024 * 1024
    /// The most elements of one array.
    static let maximumArrayCount = 1 << 20
    /// The deepest nesting of arrays.
    static let maximumDepth = 8
    /// The longest line (a simple string, an error, a number).
    static let maximumLineLength = 64 * 1024

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        var view = buffer
        guard let value = try Self.parse(&view, depth: 0) else { return .needMoreData }
        buffer = view
        context.fireChannelRead(wrapInboundOut(value))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws
        -> DecodingState
    {
        try decode(context: context, buffer: &buffer)
    }

    /// One value from the front of `buffer`, consuming it; `nil` when more bytes are needed (the
    /// buffer is then left as it was by the caller, which parses a copy).
    static func parse(_ buffer: inout ByteBuffer, depth: Int) throws(RESPProtocolError) -> RESPValue? {
        guard let marker = buffer.readInteger(as: UInt8.self) else { return nil }
        guard let line = try readLine(&buffer) else { return nil }
        switch marker {
        case UInt8(ascii: "+"):
            return .simpleString(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: "-"):
            return .error(String(decoding: line, as: UTF8.self))
        case UInt8(ascii: ":"):
            return .integer(try integer(line))
        case UInt8(ascii: "$"):
            let length = try integer(line)
            if length == -1 { return .bulkString(nil) }
            guard length >= 0, length <= maximumBulkLength else {
                throw RESPProtocolError("a bulk string of \(length) bytes (at most \(maximumBulkLength))")
            }
            guard buffer.readableBytes >= Int(length) + 2, let bytes = buffer.readBytes(length: Int(length)) else {
                return nil
            }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else {
                throw RESPProtocolError("a bulk string not ended by CRLF")
            }
            return .bulkString(bytes)
        case UInt8(ascii: "*"):
            let count = try integer(line)
            if count == -1 { return .array(nil) }
            guard count >= 0, count <= maximumArrayCount else {
                throw RESPProtocolError("an array of \(count) elements (at most \(maximumArrayCount))")
            }
            guard depth < maximumDepth else { throw RESPProtocolError("arrays nested deeper than \(maximumDepth)") }
            var elements: [RESPValue] = []
            elements.reserveCapacity(min(Int(count), 1024))
            for _ in 0..<count {
                guard let element = try parse(&buffer, depth: depth + 1) else { return nil }
                elements.append(element)
            }
            return .array(elements)
        default:
            throw RESPProtocolError("an unknown type marker \(marker)")
        }
    }

    private static func readLine(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> [UInt8]? {
        let view = buffer.readableBytesView
        guard let end = view.firstIndex(of: UInt8(ascii: "\r")) else {
            if view.count > maximumLineLength { throw RESPProtocolError("a line longer than \(maximumLineLength) bytes") }
            return nil
        }
        let length = end - view.startIndex
        guard buffer.readableBytes >= length + 2 else { return nil }
        let line = buffer.readBytes(length: length)!
        guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw RESPProtocolError("a line not ended by CRLF") }
        return line
    }

    private static func integer(_ line: [UInt8]) throws(RESPProtocolError) -> Int64 {
        guard let value = Int64(String(decoding: line, as: UTF8.self)) else {
            throw RESPProtocolError("a malformed integer")
        }
        return value
    }
}

/// The server sent bytes that are not RESP: the connection is closed.
struct RESPProtocolError: Error, CustomStringConvertible {
    var description: String

    init(_ what: String) { description = "the Redis server sent \(what)" }
}
