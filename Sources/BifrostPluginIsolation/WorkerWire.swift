/// The bytes of one message between the gateway and a plugin worker: fixed-width
/// little-endian integers and length-prefixed UTF-8, no JSON, so a request crosses in one
/// copy and is read back without parsing text.
struct WorkerWriter {
    private(set) var bytes: [UInt8] = []

    /// Starts a message of `kind`, its length to be filled in by ``finished()``.
    init(_ kind: WorkerMessageKind, capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: [0, 0, 0, 0, kind.rawValue])
    }

    /// The message with its length in front, ready for ``WorkerChannel/send(_:deadline:)``.
    consuming func finished() -> [UInt8] {
        let length = UInt32(bytes.count - 4)
        withUnsafeBytes(of: length.littleEndian) { raw in
            for index in 0..<4 { bytes[index] = raw[index] }
        }
        return bytes
    }

    mutating func write(_ value: UInt8) { bytes.append(value) }

    mutating func write(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func write(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }

    mutating func write(_ value: Double) { write(value.bitPattern) }

    mutating func write(_ value: String) {
        var value = value
        value.withUTF8 { utf8 in
            write(UInt32(utf8.count))
            bytes.append(contentsOf: utf8)
        }
    }

    mutating func write(_ value: [UInt8]) {
        write(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func write(_ value: String?) {
        write(value != nil)
        if let value { write(value) }
    }

    mutating func write(_ value: Int?) {
        write(value != nil)
        if let value { write(value) }
    }

    /// Writes a count, then each element with `body`.
    mutating func write<Element>(_ elements: some Collection<Element>, _ body: (inout WorkerWriter, Element) -> Void) {
        write(UInt32(elements.count))
        for element in elements { body(&self, element) }
    }
}

/// Reads what a ``WorkerWriter`` wrote; every read is bounds-checked, so a short or corrupt
/// message is an error, never a crash.
struct WorkerReader {
    private let bytes: [UInt8]
    private var offset: Int

    init(_ bytes: [UInt8], from offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    private mutating func take(_ count: Int) throws(WorkerProtocolError) -> Range<Int> {
        guard count >= 0, bytes.count - offset >= count else { throw .truncated }
        defer { offset += count }
        return offset..<offset + count
    }

    mutating func readByte() throws(WorkerProtocolError) -> UInt8 { bytes[try take(1).lowerBound] }

    mutating func readBool() throws(WorkerProtocolError) -> Bool { try readByte() != 0 }

    mutating func readUInt32() throws(WorkerProtocolError) -> UInt32 {
        let range = try take(4)
        var value: UInt32 = 0
        for index in range.reversed() { value = value << 8 | UInt32(bytes[index]) }
        return value
    }

    mutating func readUInt64() throws(WorkerProtocolError) -> UInt64 {
        let range = try take(8)
        var value: UInt64 = 0
        for index in range.reversed() { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    mutating func readInt() throws(WorkerProtocolError) -> Int { Int(truncatingIfNeeded: Int64(bitPattern: try readUInt64())) }

    mutating func readDouble() throws(WorkerProtocolError) -> Double { Double(bitPattern: try readUInt64()) }

    mutating func readString() throws(WorkerProtocolError) -> String {
        let range = try take(Int(try readUInt32()))
        return String(decoding: bytes[range], as: UTF8.self)
    }

    mutating func readBytes() throws(WorkerProtocolError) -> [UInt8] {
        Array(bytes[try take(Int(try readUInt32()))])
    }

    mutating func readOptionalString() throws(WorkerProtocolError) -> String? {
        try readBool() ? try readString() : nil
    }

    mutating func readOptionalInt() throws(WorkerProtocolError) -> Int? {
        try readBool() ? try readInt() : nil
    }

    /// Reads a count, then that many elements with `body`.
    mutating func readArray<Element>(
        _ body: (inout WorkerReader) throws(WorkerProtocolError) -> Element
    ) throws(WorkerProtocolError) -> [Element] {
        let count = Int(try readUInt32())
        // Every element takes at least one byte: a count beyond what is left is corrupt.
        guard count <= bytes.count - offset else { throw .truncated }
        var elements: [Element] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try body(&self)) }
        return elements
    }
}

/// A message between the gateway and a worker that does not follow the protocol.
public struct WorkerProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What was wrong.
    public enum Code: Sendable, Hashable {
        /// The message ended before its last field.
        case truncated
        /// A tag or kind byte that no message has.
        case unknownTag
    }

    /// What was wrong.
    public var code: Code

    static let truncated = WorkerProtocolError(code: .truncated)
    static let unknownTag = WorkerProtocolError(code: .unknownTag)

    public var description: String {
        switch code {
        case .truncated: "a worker message ended before its last field"
        case .unknownTag: "a worker message has a tag no message has"
        }
    }
}
