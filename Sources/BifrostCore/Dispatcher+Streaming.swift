/// A provider's stream whose first chunk has arrived: the point after which the dispatcher
/// no longer retries or falls back.
///
/// Once ``forwarding(provider:slot:)`` made it the client's stream, it is that stream's stage
/// (``ChatStreamStage``): each read pulls one chunk from the provider's stream (no buffering
/// of its own), names the provider that serves it, and gives the concurrency slot back when
/// the stream ends, fails, is cancelled or is dropped unread.
///
/// ```swift
/// let opened = try await OpenedStream.open(try await provider.chatCompletionStream(request, credentials: .none, context: context))
/// let stream = opened.forwarding(provider: "mock", slot: permit)
/// ```
final class OpenedStream: ChatStreamStage, @unchecked Sendable {
    // Safe: `iterator`, `pending`, `finished`, `provider` and `slot` are only touched by
    // `open` and `forwarding` (before the object is shared) and by the stage's reads, which
    // its single consumer makes one at a time; `deinit` runs after all of them. `terminator`
    // is set before the object is shared and is itself safe from any thread.
    private var iterator: ChatStream.Iterator
    private var pending: ChatChunk?
    private var finished: Bool
    private var provider = ""
    private var slot: ProviderGate.Permit?
    let terminator: (@Sendable (BifrostError) -> Void)?

    private init(iterator: ChatStream.Iterator, first: ChatChunk?, terminator: (@Sendable (BifrostError) -> Void)?) {
        self.iterator = iterator
        self.pending = first
        self.finished = first == nil
        self.terminator = terminator
    }

    deinit { slot?.release() }

    /// Waits for the stream's first chunk; an error before it is thrown (and may be retried).
    static func open(_ stream: ChatStream) async throws(BifrostError) -> OpenedStream {
        var iterator = stream.makeAsyncIterator()
        let first = try await iterator.next()
        if first == nil && Task.isCancelled { throw ProviderGate.cancelledError }
        return OpenedStream(iterator: iterator, first: first, terminator: stream.terminator)
    }

    /// The stream as the client sees it; `slot` is released when it ends.
    func forwarding(provider: String, slot: ProviderGate.Permit) -> ChatStream {
        self.provider = provider
        self.slot = slot
        if finished { slot.release() }
        return ChatStream(stage: self)
    }

    func next() async throws(BifrostError) -> ChatChunk? {
        if let chunk = takePending() { return chunk }
        if finished { return nil }
        do {
            return ended(try await iterator.next())
        } catch {
            finish()
            throw error
        }
    }

    func nextIfReady() -> Result<ChatChunk?, BifrostError>? {
        if let chunk = takePending() { return .success(chunk) }
        if finished { return .success(nil) }
        guard let ready = iterator.nextIfReady() else { return nil }
        do throws(BifrostError) {
            return .success(ended(try ready.get()))
        } catch {
            finish()
            return .failure(error)
        }
    }

    private func takePending() -> ChatChunk? {
        guard let chunk = pending else { return nil }
        pending = nil
        return named(chunk)
    }

    /// `chunk` named by its provider, or the end.
    private func ended(_ chunk: ChatChunk?) -> ChatChunk? {
        guard let chunk else {
            finish()
            return nil
        }
        return named(chunk)
    }

    /// `chunk` naming the provider that serves it; one that does already is left alone (and uncopied).
    private func named(_ chunk: ChatChunk) -> ChatChunk {
        guard chunk.provider != provider else { return chunk }
        var named = chunk
        named.provider = provider
        return named
    }

    private func finish() {
        finished = true
        slot?.release()
    }
}
