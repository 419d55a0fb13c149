#if canImport(Glibc)
    import Glibc
#endif

/// One end of a stream socket between the gateway and a plugin worker, carrying
/// length-prefixed messages one at a time: a request in flight owns its channel, so replies
/// need no matching and a round trip is one write and one read on each side.
///
/// Every wait is bounded by a deadline; a peer that died reads as ``WorkerChannelError/closed``,
/// never as a signal (`MSG_NOSIGNAL`).
struct WorkerChannel: Sendable {
    /// The descriptor.
    let descriptor: Int32

    /// The longest message the protocol carries, as large as the biggest body the gateway reads.
    static let maximumMessageBytes = 256 << 20

    /// A connected pair: the first end for the gateway (closed in a worker it starts), the
    /// second for the worker.
    static func makePair() throws(WorkerChannelError) -> (gateway: WorkerChannel, worker: WorkerChannel) {
        var descriptors: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw WorkerChannelError(code: .system(errno))
        }
        return (WorkerChannel(descriptor: descriptors[0]), WorkerChannel(descriptor: descriptors[1]))
    }

    /// Sends one finished message (``WorkerWriter/finished()``).
    func send(_ message: [UInt8], deadline: ContinuousClock.Instant? = nil) throws(WorkerChannelError) {
        var offset = 0
        while offset < message.count {
            let sent = message.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if sent > 0 {
                offset += sent
                continue
            }
            let failure = errno
            switch failure {
            case EINTR: continue
            case EAGAIN: try wait(for: Int16(POLLOUT), until: deadline)
            case EPIPE, ECONNRESET: throw WorkerChannelError(code: .closed)
            default: throw WorkerChannelError(code: .system(failure))
            }
        }
    }

    /// Receives one message: its kind byte first, then its body.
    ///
    /// A message usually arrives whole, so the first read takes up to ``firstReadBytes`` at once:
    /// one system call for the length and the body (after a wait with a deadline; a plain
    /// blocking read without one).
    func receive(deadline: ContinuousClock.Instant? = nil) throws(WorkerChannelError) -> [UInt8] {
        var first = [UInt8](repeating: 0, count: Self.firstReadBytes)
        var count = 0
        while count < 4 { count += try readSome(into: &first, from: count, deadline: deadline) }
        let length = Int(first[0]) | Int(first[1]) << 8 | Int(first[2]) << 16 | Int(first[3]) << 24
        guard length >= 1, length <= Self.maximumMessageBytes, count <= 4 + length else {
            throw WorkerChannelError(code: .malformed)
        }
        if count == 4 + length { return Array(first[4..<count]) }
        var body = [UInt8](repeating: 0, count: length)
        body.withUnsafeMutableBytes { raw in
            first.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[4..<count])) }
        }
        var offset = count - 4
        while offset < length { offset += try readSome(into: &body, from: offset, deadline: deadline) }
        return body
    }

    /// How much the first read of a message takes: requests and answers of a few KiB fit.
    static let firstReadBytes = 16 << 10

    /// Reads at least one byte into `buffer` from `offset`; how many.
    private func readSome(into buffer: inout [UInt8], from offset: Int, deadline: ContinuousClock.Instant?)
        throws(WorkerChannelError) -> Int
    {
        while true {
            if deadline != nil { try wait(for: Int16(POLLIN), until: deadline) }
            let received = buffer.withUnsafeMutableBytes { raw in
                recv(descriptor, raw.baseAddress! + offset, raw.count - offset, deadline == nil ? 0 : Int32(MSG_DONTWAIT))
            }
            if received > 0 { return received }
            if received == 0 { throw WorkerChannelError(code: .closed) }
            let failure = errno
            switch failure {
            case EINTR, EAGAIN: continue
            case ECONNRESET: throw WorkerChannelError(code: .closed)
            default: throw WorkerChannelError(code: .system(failure))
            }
        }
    }

    private func wait(for events: Int16, until deadline: ContinuousClock.Instant?) throws(WorkerChannelError) {
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let left = deadline - .now
                guard left > .zero else { throw WorkerChannelError(code: .timedOut) }
                let (seconds, attoseconds) = left.components
                timeout = Int32(clamping: seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
            }
            var entry = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&entry, 1, timeout)
            if ready > 0 { return }
            if ready == 0 { continue }
            guard errno == EINTR else { throw WorkerChannelError(code: .system(errno)) }
        }
    }

    /// Wakes every thread waiting on this channel with ``WorkerChannelError/closed``; the
    /// descriptor stays open (and its number unused by anything else) until ``close()``.
    func shutDown() { _ = Glibc.shutdown(descriptor, Int32(SHUT_RDWR)) }

    /// Closes the descriptor.
    func close() { _ = Glibc.close(descriptor) }
}

/// Why a worker channel could not carry a message.
struct WorkerChannelError: Error, Sendable, Hashable {
    enum Code: Sendable, Hashable {
        /// The other end is gone: the worker (or the gateway) exited.
        case closed
        /// The deadline passed first.
        case timedOut
        /// A length the protocol does not allow.
        case malformed
        /// Another system error, by `errno`.
        case system(Int32)
    }

    var code: Code
}
