import BifrostCore

#if canImport(Glibc)
    import Glibc
#endif

/// A running gateway's admin API over plain HTTP/1.1, for `bifrost plugins call`: one request
/// per connection, the admin token (when given) as a bearer credential.
struct AdminEndpoint {
    /// A status and body.
    struct Answer {
        var status: Int
        var body: [UInt8]
    }

    var host: String
    var port: UInt16
    var token: String?

    /// Parses `http://HOST:PORT` (or `HOST:PORT`).
    init(_ url: String, token: String?) throws {
        var rest = Substring(url)
        if rest.hasPrefix("https://") { fail("--gateway: https is not supported; use the gateway's plain HTTP address") }
        if rest.hasPrefix("http://") { rest = rest.dropFirst("http://".count) }
        while rest.hasSuffix("/") { rest = rest.dropLast() }
        guard let colon = rest.lastIndex(of: ":"), let port = UInt16(rest[rest.index(after: colon)...]) else {
            fail("--gateway: '\(url)' is not http://HOST:PORT")
        }
        host = String(rest[..<colon])
        self.port = port
        self.token = token
    }

    /// Sends one request; exits with `failing` when the gateway cannot be reached.
    func send(_ method: String, _ path: String, body: String?, failing: String) -> Answer {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            fail("--gateway: '\(host)' is not an IPv4 address")
        }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { fail(failing) }
        defer { close(socket) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { fail("\(failing): \(String(cString: strerror(errno)))") }
        let content = Array((body ?? "").utf8)
        var head = "\(method) \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nConnection: close\r\n"
        if let token { head += "Authorization: Bearer \(token)\r\n" }
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(content.count)\r\n" }
        let request = Array((head + "\r\n").utf8) + content
        var sent = 0
        while sent < request.count {
            let count = request[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { fail(failing) }
            sent += count
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = recv(socket, &buffer, buffer.count, 0)
            if count < 0 { fail(failing) }
            if count == 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        let separator = Array("\r\n\r\n".utf8)
        guard answer.count > 12, let end = answer.indices.first(where: { answer[$0...].starts(with: separator) }),
            let status = Int(String(decoding: answer[9..<12], as: UTF8.self))
        else { fail("\(failing): not an HTTP answer") }
        return Answer(status: status, body: Array(answer[(end + separator.count)...]))
    }
}
