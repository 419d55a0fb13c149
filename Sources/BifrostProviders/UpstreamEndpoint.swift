/// Where an upstream request goes: whether it uses TLS, the host and the port, the key under which
/// connections are pooled.
///
/// ```swift
/// let (endpoint, target) = try UpstreamEndpoint.parse("https://api.openai.com/v1/chat/completions")
/// // endpoint.host == "api.openai.com", endpoint.port == 443, target == "/v1/chat/completions"
/// ```
public struct UpstreamEndpoint: Hashable, Sendable {
    /// `true` for `https`.
    public var usesTLS: Bool
    /// The host name or address, without brackets for IPv6.
    public var host: String
    /// The TCP port.
    public var port: Int

    /// The `host` header's value: the host, with the port when it is not the scheme's default.
    ///
    /// ```swift
    /// UpstreamEndpoint(usesTLS: false, host: "127.0.0.1", port: 8080).hostHeader  // "127.0.0.1:8080"
    /// ```
    public var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == (usesTLS ? 443 : 80) ? name : "\(name):\(port)"
    }

    /// Whether the host is an IP address literal (which TLS does not send as the server name).
    var isAddressLiteral: Bool {
        host.contains(":")
            || host.utf8.allSatisfy { $0 == UInt8(ascii: ".") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// Creates an endpoint.
    ///
    /// ```swift
    /// let endpoint = UpstreamEndpoint(usesTLS: true, host: "api.anthropic.com", port: 443)
    /// ```
    public init(usesTLS: Bool, host: String, port: Int) {
        self.usesTLS = usesTLS
        self.host = host
        self.port = port
    }

    /// Splits an absolute `http` or `https` URL into its endpoint and the request target (path and
    /// query, `/` when empty).
    ///
    /// ```swift
    /// let (endpoint, target) = try UpstreamEndpoint.parse("http://[::1]:11434/v1/models?limit=5")
    /// // endpoint.host == "::1", endpoint.port == 11434, target == "/v1/models?limit=5"
    /// ```
    public static func parse(_ url: String) throws(UpstreamURLError) -> (endpoint: UpstreamEndpoint, target: String) {
        let usesTLS: Bool
        var rest: Substring
        if let range = url.firstRange(of: "://") {
            switch url[..<range.lowerBound].lowercased() {
            case "http": usesTLS = false
            case "https": usesTLS = true
            default: throw UpstreamURLError(url: url, reason: "the scheme must be http or https")
            }
            rest = url[range.upperBound...]
        } else {
            throw UpstreamURLError(url: url, reason: "expected an absolute URL such as https://api.openai.com/v1")
        }
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        rest = rest[authorityEnd...]
        if let fragment = rest.firstIndex(of: "#") { rest = rest[..<fragment] }
        guard !authority.contains("@") else {
            throw UpstreamURLError(url: url, reason: "credentials in the URL are not supported; configure a key instead")
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else {
                throw UpstreamURLError(url: url, reason: "unterminated IPv6 address")
            }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else if !after.isEmpty {
                throw UpstreamURLError(url: url, reason: "unexpected text after the IPv6 address")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
        }
        guard !host.isEmpty else { throw UpstreamURLError(url: url, reason: "the URL has no host") }
        var port = usesTLS ? 443 : 80
        if let portText {
            guard let number = Int(portText), (1...65535).contains(number) else {
                throw UpstreamURLError(url: url, reason: "the port must be a number from 1 to 65535")
            }
            port = number
        }
        let target = rest.isEmpty ? "/" : rest.hasPrefix("?") ? "/" + rest : String(rest)
        return (UpstreamEndpoint(usesTLS: usesTLS, host: String(host), port: port), target)
    }
}

/// An upstream URL the gateway cannot send to, and why.
///
/// ```swift
/// do { _ = try UpstreamEndpoint.parse("ftp://example.com") } catch { print(error.reason) }
/// ```
public struct UpstreamURLError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The URL as given.
    public var url: String
    /// What is wrong with it.
    public var reason: String

    /// Creates an error.
    ///
    /// ```swift
    /// let error = UpstreamURLError(url: "example.com", reason: "expected an absolute URL")
    /// ```
    public init(url: String, reason: String) {
        self.url = url
        self.reason = reason
    }

    /// `invalid upstream URL '…': reason`.
    public var description: String { "invalid upstream URL '\(url)': \(reason)" }
}

/// An absolute upstream URL, split into its endpoint and request target once (a provider makes
/// its URLs when it is created, not per request).
///
/// ```swift
/// let url = UpstreamURL("https://api.openai.com/v1/chat/completions")
/// let request = UpstreamRequest(url: url, headers: headers, body: body)
/// ```
public struct UpstreamURL: Sendable, CustomStringConvertible {
    /// The URL as given.
    public let string: String
    /// The endpoint and target, or why the URL cannot be used.
    public let parsed: Result<(endpoint: UpstreamEndpoint, target: String), UpstreamURLError>

    /// Parses `string`; an invalid URL fails each request sent to it, with the reason.
    ///
    /// ```swift
    /// let url = UpstreamURL("http://127.0.0.1:11434/v1/embeddings")
    /// ```
    public init(_ string: String) {
        self.string = string
        parsed = Result { () throws(UpstreamURLError) in try UpstreamEndpoint.parse(string) }
    }

    /// The URL as given.
    public var description: String { string }
}
