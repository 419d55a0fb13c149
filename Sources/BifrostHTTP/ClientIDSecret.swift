import BifrostCore

/// The secret behind client ids. A request with a key (`Authorization: Bearer <key>` or
/// `x-api-key: <key>`) is named `key:` and 16 hex digits of the key's SipHash-2-4 under this
/// secret: stable for one key and one secret, so replicas configured with the same
/// `server.client_id_secret` name a client alike (shared limits and budgets, team lists), and
/// without the secret nobody can tell which key an id stands for. Without a configured secret
/// each process draws one at random: ids then change at a restart and differ between replicas.
///
/// ```swift
/// let secret = ClientIDSecret("a long random string shared by the replicas")
/// secret.clientID(forKey: "sk-live-…")  // "key:3f0c…"
/// ```
public struct ClientIDSecret: Sendable, Hashable, CustomStringConvertible {
    private let hasher: SipHash
    /// Whether the secret was configured (not drawn at random for this process).
    public let isConfigured: Bool

    /// The secret `text`, of any length (its 128-bit key is derived from all of it).
    public init(_ text: String) {
        let bytes = Array(text.utf8)
        // Two hashes under fixed, different keys spread the whole secret over 128 bits.
        hasher = SipHash(
            key0: SipHash(key0: 0x6269_6672_6f73_7430, key1: 0x636c_6965_6e74_6964).hash(bytes),
            key1: SipHash(key0: 0x6269_6672_6f73_7431, key1: 0x636c_6965_6e74_6964).hash(bytes))
        isConfigured = true
    }

    private init(randomly: Void) {
        var generator = SystemRandomNumberGenerator()
        hasher = SipHash(key0: generator.next(), key1: generator.next())
        isConfigured = false
    }

    /// The secret this process drew at random, used when none is configured.
    public static let processDefault = ClientIDSecret(randomly: ())

    /// The id of the client whose key is `key`.
    public func clientID(forKey key: some Collection<UInt8>) -> String {
        let digits = String(hasher.hash(key), radix: 16)
        return "key:" + String(repeating: "0", count: 16 - digits.utf8.count) + digits
    }

    /// The id of the client whose key is `key`.
    public func clientID(forKey key: String) -> String { clientID(forKey: key.utf8) }

    /// Never the secret: `configured` or `random per process`.
    public var description: String { isConfigured ? "configured" : "random per process" }
}
