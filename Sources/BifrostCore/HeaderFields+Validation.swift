extension HeaderFields {
    /// Whether `name` is an RFC 9110 token, the only names a field may have: letters, digits
    /// and ``!#$%&'*+-.^_`|~``, at least one.
    ///
    /// ```swift
    /// HeaderFields.isValidName("x-ratelimit-remaining")  // true
    /// HeaderFields.isValidName("bad name")  // false
    /// ```
    public static func isValidName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !isTokenByte(byte) { return false }
            return true
        }
    }

    /// Whether `value` has none of the bytes that would end a field or the head early: CR, LF
    /// and NUL.
    ///
    /// ```swift
    /// HeaderFields.isValidValue("0.412")  // true
    /// HeaderFields.isValidValue("a\r\nset-cookie: b")  // false
    /// ```
    public static func isValidValue(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            for byte in bytes where byte <= UInt8(ascii: "\r") {
                if byte == UInt8(ascii: "\r") || byte == UInt8(ascii: "\n") || byte == 0 { return false }
            }
            return true
        }
    }

    /// Whether `name` has an uppercase ASCII letter or a non-ASCII byte, which lowercasing
    /// would change; most names have neither and are kept as they are.
    static func needsLowercasing(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            for byte in bytes where byte &- UInt8(ascii: "A") < 26 || byte >= 0x80 { return true }
            return false
        }
    }

    /// The token bytes as bits: bit `n` of `tokenBytesLow` (of `tokenBytesHigh`) is byte `n`
    /// (`n + 64`); `HeaderFieldsTests` checks them against the list above.
    private static let tokenBytesLow: UInt64 = 0x03ff_6cfa_0000_0000
    private static let tokenBytesHigh: UInt64 = 0x57ff_ffff_c7ff_fffe

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        if byte < 64 { return tokenBytesLow & (1 << UInt64(byte)) != 0 }
        if byte < 128 { return tokenBytesHigh & (1 << UInt64(byte &- 64)) != 0 }
        return false
    }
}
