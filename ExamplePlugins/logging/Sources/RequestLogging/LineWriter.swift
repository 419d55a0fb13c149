#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Writes lines to a file descriptor from a background thread, so a request never waits on
/// the disk: `enqueue` only appends to a bounded buffer, and drops (counting) when it is full.
///
/// The thread wakes every ``flushInterval`` (or when the buffer is half full), not per line:
/// waking it per line would cost every request a futex call and, on a busy core, a context
/// switch to the writer in the middle of the hook.
final class LineWriter: @unchecked Sendable {
    // `pending`, `dropped`, `stopping` and `writing` are guarded by `mutex`.
    private var pending: [[UInt8]] = []
    private var dropped = 0
    private var stopping = false
    private let capacity: Int
    private let descriptor: Int32
    private let closesDescriptor: Bool
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private let drained = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var writing = false
    private var thread = pthread_t()
    private let onWriteError: @Sendable (String) -> Void
    /// How long a line may wait in the buffer when the buffer is not filling up.
    static let flushIntervalNanoseconds = 20_000_000

    /// Opens the writer on `descriptor` (closed at ``stop()`` when `closesDescriptor`) and starts its thread.
    init(descriptor: Int32, closesDescriptor: Bool, capacity: Int, onWriteError: @escaping @Sendable (String) -> Void) {
        self.descriptor = descriptor
        self.closesDescriptor = closesDescriptor
        self.capacity = capacity
        self.onWriteError = onWriteError
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        pthread_cond_init(drained, nil)
        pending.reserveCapacity(min(capacity, 1024))
        let retained = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(
            &thread, nil,
            { argument in
                let writer = Unmanaged<LineWriter>.fromOpaque(argument!).takeRetainedValue()
                writer.run()
                return nil
            }, retained)
        precondition(status == 0, "pthread_create failed: \(status)")
    }

    deinit {
        pthread_cond_destroy(wake)
        pthread_cond_destroy(drained)
        pthread_mutex_destroy(mutex)
        wake.deallocate()
        drained.deallocate()
        mutex.deallocate()
    }

    /// Queues a line (with its newline); `false` if the buffer was full and it was dropped.
    @discardableResult
    func enqueue(_ line: [UInt8]) -> Bool {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        guard !stopping, pending.count < capacity else {
            dropped += 1
            return false
        }
        pending.append(line)
        if pending.count == capacity / 2 + 1 { pthread_cond_signal(wake) }
        return true
    }

    /// Lines dropped since the last call.
    func takeDropped() -> Int {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        let count = dropped
        dropped = 0
        return count
    }

    /// Waits until every queued line is written.
    func flush() {
        pthread_mutex_lock(mutex)
        pthread_cond_signal(wake)
        while !pending.isEmpty || writing { pthread_cond_wait(drained, mutex) }
        pthread_mutex_unlock(mutex)
    }

    /// Writes what is queued, stops the thread and closes the file.
    func stop() {
        pthread_mutex_lock(mutex)
        stopping = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
        pthread_join(thread, nil)
        if closesDescriptor { close(descriptor) }
    }

    private func run() {
        var batch: [[UInt8]] = []
        while true {
            pthread_mutex_lock(mutex)
            if !stopping { waitForLines() }
            if pending.isEmpty {
                let done = stopping
                pthread_mutex_unlock(mutex)
                if done { return }
                continue
            }
            swap(&batch, &pending)
            writing = true
            pthread_mutex_unlock(mutex)

            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.reduce(0) { $0 + $1.count })
            for line in batch { bytes.append(contentsOf: line) }
            batch.removeAll(keepingCapacity: true)
            write(bytes)

            pthread_mutex_lock(mutex)
            writing = false
            if pending.isEmpty { pthread_cond_broadcast(drained) }
            pthread_mutex_unlock(mutex)
        }
    }

    /// Sleeps until the flush interval passes or someone signals (half full, flush, stop).
    /// Called with the mutex held.
    private func waitForLines() {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = deadline.tv_nsec + Self.flushIntervalNanoseconds
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        _ = pthread_cond_timedwait(wake, mutex, &deadline)
    }

    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let written = Glibc.write(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    onWriteError(String(cString: strerror(errno)))
                    return
                }
                offset += written
            }
        }
    }
}
