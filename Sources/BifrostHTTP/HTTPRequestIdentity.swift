import BifrostCore
import NIOHTTP1

/// How the transport names a request and its client: the request id and the client id of
/// a ``BifrostCore/RequestContext``.
enum HTTPRequestIdentity {
    /// The client's `x-request-id` when it is 1–128 characters of `[A-Za-z0-9._-]`,
    /// otherwise a new id.
    static func requestID(from headers: HTTPHeaders) -> String {
        if let incoming = headers.first(name: "x-request-id"), isValidRequestID(incoming) {
            return incoming
        }
        return RequestContext.makeRequestID()
    }

    /// Whether a client-supplied request id may be used as is.
    static func isValidRequestID(_ candidate: String) -> Bool {
        var count = 0
        for byte in candidate.utf8 {
            count += 1
            guard count <= 128 else { return false }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "-"):
                continue
            default:
                return false
            }
        }
        return count > 0
    }

    /// Whether a peer address is this host's loopback interface (`127.0.0.0/8`, `::1`).
    static func isLoopback(_ peerAddress: String) -> Bool {
        peerAddress.hasPrefix("127.") || peerAddress == "::1" || peerAddress.hasPrefix("::ffff:127.")
    }

    /// The client's id (``ClientIDSecret``) when the request has `Authorization: Bearer <key>`
    /// (OpenAI's clients) or `x-api-key: <key>` (Anthropic's), otherwise the peer's address.
    /// Never the key itself. The same key gives the same id whichever header carries it.
    static func clientID(from headers: HTTPHeaders, peerAddress: String, secret: ClientIDSecret) -> String {
        if let authorization = headers.first(name: "authorization"), let key = bearerKey(authorization) {
            return secret.clientID(forKey: key.utf8)
        }
        if let apiKey = headers.first(name: "x-api-key") {
            let key = apiKey.trimmingSpacesAndTabs
            if !key.isEmpty { return secret.clientID(forKey: key.utf8) }
        }
        return peerAddress
    }

    /// The credential of a `Bearer` authorization value, or `nil` for other schemes and empty keys.
    static func bearerKey(_ value: String) -> Substring? {
        let trimmed = value.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.utf8.count > 7 else { return nil }
        let scheme = trimmed.prefix(6)
        guard scheme.lowercased() == "bearer" else { return nil }
        let rest = trimmed.dropFirst(6)
        guard let first = rest.first, first == " " || first == "\t" else { return nil }
        var key = rest.drop(while: { $0 == " " || $0 == "\t" })
        while let last = key.last, last == " " || last == "\t" { key = key.dropLast() }
        return key.isEmpty ? nil : key
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpacesAndTabs: Substring {
        var text = self[...].drop(while: { $0 == " " || $0 == "\t" })
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
