import BifrostPluginSDK

/// An answer as `store: shared` keeps it in the gateway's state: a small versioned binary
/// form, so replicas of any build of this plugin that know the version read each other's.
///
/// Layout (integers little-endian): version byte 1; stored-at (wall clock, ns), prompt,
/// completion and total tokens as UInt64; then the request's canonical text, content,
/// finish reason and model, each a UInt32 byte count and UTF-8 bytes. The canonical text is
/// kept so that two requests whose state keys collide never get each other's answers.
enum SharedEntry {
    static let version: UInt8 = 1

    /// The state key of a canonical request: 512 bytes at most whatever the request's size,
    /// so a digest (two independent 64-bit FNV-1a hashes) rather than the text.
    static func stateKey(_ text: String) -> String {
        let bytes = Array(text.utf8)
        return "resp:" + hex(fnv1a(bytes, basis: 0xcbf2_9ce4_8422_2325)) + hex(fnv1a(bytes, basis: 0x8422_2325_cbf2_9ce4))
    }

    static func encode(_ entry: ResponseCache.Entry, key: String) -> [UInt8] {
        var bytes: [UInt8] = [version]
        for number in [
            entry.storedAt, UInt64(entry.usage.promptTokens), UInt64(entry.usage.completionTokens),
            UInt64(entry.usage.totalTokens),
        ] {
            withUnsafeBytes(of: number.littleEndian) { bytes.append(contentsOf: $0) }
        }
        for text in [key, entry.content, entry.finishReason, entry.model] {
            withUnsafeBytes(of: UInt32(text.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: text.utf8)
        }
        return bytes
    }

    /// The entry, or `nil` when `bytes` are not a version-1 entry for `key` (another
    /// version, truncated, or a colliding request): a miss.
    static func decode(_ bytes: [UInt8], key: String) -> ResponseCache.Entry? {
        var reader = Reader(bytes: bytes)
        guard reader.byte() == version, let storedAt = reader.integer(UInt64.self),
            let prompt = reader.integer(UInt64.self), let completion = reader.integer(UInt64.self),
            let total = reader.integer(UInt64.self), let storedKey = reader.text(), storedKey == key,
            let content = reader.text(), let finishReason = reader.text(), let model = reader.text(), reader.atEnd,
            let prompt = Int(exactly: prompt), let completion = Int(exactly: completion), let total = Int(exactly: total)
        else { return nil }
        return ResponseCache.Entry(
            content: content, finishReason: finishReason,
            usage: HookUsage(promptTokens: prompt, completionTokens: completion, totalTokens: total), model: model,
            storedAt: storedAt)
    }

    private static func fnv1a(_ bytes: [UInt8], basis: UInt64) -> UInt64 {
        var hash = basis
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// Reads fields front to back; every read is `nil` past the end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var atEnd: Bool { offset == bytes.count }

        mutating func byte() -> UInt8? {
            guard offset < bytes.count else { return nil }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func integer<Integer: FixedWidthInteger>(_: Integer.Type) -> Integer? {
            let size = MemoryLayout<Integer>.size
            guard bytes.count - offset >= size else { return nil }
            var value: Integer = 0
            for index in 0..<size { value |= Integer(bytes[offset + index]) << (8 * index) }
            offset += size
            return value
        }

        mutating func text() -> String? {
            guard let count = integer(UInt32.self).map(Int.init), bytes.count - offset >= count else { return nil }
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
    }
}
