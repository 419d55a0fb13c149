/// The stream did not deliver the events a test waited for before leaving.
public struct StreamEndedEarly: Error, CustomStringConvertible {
    /// Events received before the server closed.
    public var received: Int
    /// What happened.
    public var description: String { "the server closed the stream after \(received) event(s)" }
}

extension HTTPTestClient {
    /// POSTs `body` (a streamed request, with `headers`) on a connection of its own, reads until `events`
    /// server-sent events (`data: ` lines) have arrived, and closes the connection: a client
    /// that leaves in the middle of a stream.
    ///
    /// ```swift
    /// try await client.leaveStream("/v1/chat/completions", body: streamedRequest, afterEvents: 2)
    /// ```
    public func leaveStream(_ path: String, body: String, headers: [String: String] = [:], afterEvents events: Int)
        async throws
    {
        try await withConnection { connection in
            let extra = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)\r\n" }.joined()
            let request =
                "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\(extra)"
                + "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
            try await connection.write(Array(request.utf8))
            var received: [UInt8] = []
            var seen = 0
            while seen < events {
                let more = try await connection.readRaw(atLeast: 1)
                guard !more.isEmpty else { throw StreamEndedEarly(received: seen) }
                received += more
                seen = String(decoding: received, as: UTF8.self).components(separatedBy: "data: ").count - 1
            }
            connection.close()
        }
    }
}
