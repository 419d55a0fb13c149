/// A provider's stream whose first chunk has arrived: the point after which the dispatcher
/// no longer retries or falls back.
///
/// The forwarding stream it makes pulls one chunk from the provider each time the consumer
/// asks (no buffering of its own), names the provider and model that serve it on each
/// chunk, and gives the concurrency slot back when the stream ends, fails, is cancelled or
/// is dropped unread.
///
/// ```swift
/// let opened = try await OpenedStream.open(try await provider.chatCompletionStream(request, credentials: .none, context: context))
/// let stream = opened.forwarding(provider: "mock", slot: permit)
/// ```
final class OpenedStream: @unchecked Sendable {
    // Safe: `iterator`, `pending`, `finished` and `slot` are only touched by `open` and
    // `forwarding` (before the object is shared) and by the unfolding closure, which a
    // stream's single consumer calls one at a time; `deinit` runs after all of them.
    private var iterator: ChatStream.Iterator
    private var pending: ChatChunk?
    private var finished: Bool
    private var slot: ProviderGate.Permit?

    private init(iterator: ChatStream.Iterator, first: ChatChunk?) {
        self.iterator = iterator
        self.pending = first
        self.finished = first == nil
    }

    deinit { slot?.release() }

    /// Waits for the stream's first chunk; an error before it is thrown (and may be retried).
    static func open(_ stream: ChatStream) async throws(BifrostError) -> OpenedStream {
        var iterator = stream.makeAsyncIterator()
        let first = try await iterator.next()
        if first == nil && Task.isCancelled { throw ProviderGate.cancelledError }
        return OpenedStream(iterator: iterator, first: first)
    }

    /// The stream as the client sees it; `slot` is released when it ends.
    func forwarding(provider: String, slot: ProviderGate.Permit) -> ChatStream {
        self.slot = slot
        if finished { slot.release() }
        return ChatStream(unfolding: { [self] () async throws(BifrostError) -> ChatChunk? in
            guard var chunk = try await self.next() else { return nil }
            chunk.provider = provider
            return chunk
        })
    }

    private func next() async throws(BifrostError) -> ChatChunk? {
        if let chunk = pending {
            pending = nil
            return chunk
        }
        if finished { return nil }
        do {
            if let chunk = try await iterator.next() { return chunk }
            finish()
            return nil
        } catch {
            finish()
            throw error
        }
    }

    private func finish() {
        finished = true
        slot?.release()
    }
}
