import BifrostCore
import NIOCore
import NIOHTTP1

/// Writes one streamed answer from the request's task: each chunk is encoded and written
/// as it arrives; chunks that are already there when one is written (one upstream read
/// brought several) go out with it in one write, up to ``gatherLimit`` bytes.
///
/// - The head waits for the first chunk, so an error before it is still answered with its
///   status and a JSON body (as for a stream that failed to start); the head then names the
///   provider and model of that chunk, and goes out in one write with the chunks gathered
///   with it (a short stream that came in one read is one write, head to end).
/// - Back-pressure: when the channel's outbound buffer passes its high-water mark (the client
///   reads slowly), the writer waits until the last write reached the socket before it pulls
///   the next chunk, so at most about one high-water mark is buffered.
/// - A client that goes away closes the channel; the handler then cancels this task, and the
///   stream's iterator is dropped, which cancels the stream's producer and so the upstream call.
struct HTTPStreamWriter: Sendable {
    typealias Bound = NIOLoopBound<(handler: HTTPHandler, context: ChannelHandlerContext)>

    /// The handler and its context, usable on the channel's event loop only.
    let loopBound: Bound
    /// The handler's number for this answer; calls for another one are ignored.
    let generation: UInt64

    /// How many encoded bytes may gather before they are written, however many chunks wait.
    static let gatherLimit = 64 * 1024

    /// Writes the stream to the end, or until the connection closes.
    func run(_ response: HTTPStreamingResponse) async {
        let generation = generation
        var encoder = response.encoder
        var iterator = response.stream.makeAsyncIterator()

        let first: ChatChunk?
        do {
            first = try await iterator.next()
        } catch {
            let answer = encoder.errorResponse(error, requestID: response.requestID)
            _ = await onLoop { handler, context in
                handler.finishChatCompletion(answer, generation: generation, context: context)
            }
            return
        }
        let head = response.head(firstChunk: first)
        guard
            await onLoop({ handler, context in handler.beginStream(head, generation: generation, context: context) })
                == true
        else { return }

        var buffer = HTTPServerResponse.allocator.buffer(capacity: 512)
        var next = first
        // The head waits for the first write (or the end) to go out with it.
        var headFlushed = false
        while let chunk = next {
            encoder.encode(chunk, into: &buffer)
            let pulled: Result<ChatChunk?, BifrostError>
            if buffer.readableBytes < Self.gatherLimit, let ready = iterator.nextIfReady() {
                pulled = ready
            } else {
                if buffer.readableBytes > 0 || !headFlushed {
                    headFlushed = true
                    let bytes = buffer
                    let write = await onLoop { handler, context in
                        handler.writeStream(bytes, generation: generation, context: context)
                    }
                    // The connection closed: returning drops the iterator, which cancels the stream.
                    guard let (written, isWritable) = write ?? nil else { return }
                    if !isWritable {
                        do { try await written.get() } catch { return }
                    }
                    buffer = HTTPServerResponse.allocator.buffer(capacity: 512)
                }
                do { pulled = .success(try await iterator.next()) } catch { pulled = .failure(error) }
            }
            switch pulled {
            case .success(let following):
                next = following
            case .failure(let error):
                if Task.isCancelled { return }
                encoder.fail(error, into: &buffer)
                await end(buffer)
                return
            }
        }
        if Task.isCancelled { return }
        encoder.finish(into: &buffer)
        await end(buffer)
    }

    private func end(_ bytes: ByteBuffer) async {
        let generation = generation
        _ = await onLoop { handler, context in handler.endStream(bytes, generation: generation, context: context) }
    }

    /// Runs `body` on the channel's event loop: at once when the task already runs there
    /// (``RequestExecutor/eventLoop``), otherwise by submitting it. `nil` if the loop is gone.
    private func onLoop<Value: Sendable>(
        _ body: @escaping @Sendable (HTTPHandler, ChannelHandlerContext) -> Value
    ) async -> Value? {
        let loopBound = loopBound
        if loopBound.eventLoop.inEventLoop {
            let (handler, context) = loopBound.value
            return body(handler, context)
        }
        return try? await loopBound.eventLoop.submit {
            let (handler, context) = loopBound.value
            return body(handler, context)
        }.get()
    }
}
