/// SipHash-2-4: a keyed hash of short inputs, 64 bits out, that without its 128-bit key can
/// be neither computed nor inverted. What the gateway names clients by (a hash of their key
/// under the gateway's secret), so an id reveals nothing of the key and means nothing to a
/// gateway with another secret.
///
/// ```swift
/// let hasher = SipHash(key0: 0x0706_0504_0302_0100, key1: 0x0f0e_0d0c_0b0a_0908)
/// let value = hasher.hash(Array("sk-live-…".utf8))
/// ```
public struct SipHash: Sendable, Hashable {
    private let key0: UInt64
    private let key1: UInt64

    /// A hasher under the key `key0`‖`key1` (little-endian halves).
    public init(key0: UInt64, key1: UInt64) {
        self.key0 = key0
        self.key1 = key1
    }

    /// The hash of `bytes`.
    public func hash(_ bytes: some Collection<UInt8>) -> UInt64 {
        var v0: UInt64 = 0x736f_6d65_7073_6575 ^ key0
        var v1: UInt64 = 0x646f_7261_6e64_6f6d ^ key1
        var v2: UInt64 = 0x6c79_6765_6e65_7261 ^ key0
        var v3: UInt64 = 0x7465_6462_7974_6573 ^ key1
        @inline(__always) func round() {
            v0 &+= v1
            v1 = v1.rotatedLeft(13) ^ v0
            v0 = v0.rotatedLeft(32)
            v2 &+= v3
            v3 = v3.rotatedLeft(16) ^ v2
            v0 &+= v3
            v3 = v3.rotatedLeft(21) ^ v0
            v2 &+= v1
            v1 = v1.rotatedLeft(17) ^ v2
            v2 = v2.rotatedLeft(32)
        }
        var word: UInt64 = 0
        var filled = 0
        for byte in bytes {
            word |= UInt64(byte) << (8 * filled)
            filled += 1
            if filled == 8 {
                v3 ^= word
                round()
                round()
                v0 ^= word
                word = 0
                filled = 0
            }
        }
        let last = word | (UInt64(truncatingIfNeeded: bytes.count) << 56)
        v3 ^= last
        round()
        round()
        v0 ^= last
        v2 ^= 0xff
        round()
        round()
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}

extension UInt64 {
    @inline(__always) fileprivate func rotatedLeft(_ count: UInt64) -> UInt64 { (self << count) | (self >> (64 - count)) }
}
