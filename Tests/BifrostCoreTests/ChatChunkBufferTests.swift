import BifrostCore
import Synchronization
import Testing

@Suite("a stream's bounded buffer: back-pressure, cancellation and endings")
struct ChatChunkBufferTests {
    static func chunk(_ number: Int) -> ChatChunk {
        ChatChunk(id: "c", provider: "p", model: "m", choices: [ChunkChoice(content: "\(number)")])
    }

    static func content(_ chunk: ChatChunk?) -> String? { chunk?.choices.first?.content }

    @Test("an event-loop producer is told to stop at capacity and called back at half", arguments: [1, 2, 16])
    func demandFollowsTheWatermarks(capacity: Int) async throws {
        let buffer = ChatChunkBuffer(capacity: capacity)
        let demands = Atomic(0)
        buffer.onDemand { demands.add(1, ordering: .relaxed) }
        for number in 0..<(capacity - 1) { #expect(buffer.yield(Self.chunk(number)) == .more) }
        #expect(buffer.yield(Self.chunk(capacity - 1)) == .full)
        #expect(buffer.yield(Self.chunk(capacity)) == .full, "a chunk past capacity is kept, and the answer stays full")
        for number in 0...capacity {
            #expect(Self.content(try await buffer.next()) == "\(number)")
        }
        #expect(demands.load(ordering: .relaxed) == 1, "woken once, when the buffer came down to half")
        buffer.finish()
        #expect(try await buffer.next() == nil)
    }

    @Test("what is already buffered is taken without waiting, then the end; an empty buffer says wait")
    func nextIfReadyTakesOnlyWhatIsThere() throws {
        let buffer = ChatChunkBuffer(capacity: 4)
        #expect(buffer.nextIfReady() == nil, "nothing buffered and not finished: the reader would wait")
        _ = buffer.yield(Self.chunk(1))
        _ = buffer.yield(Self.chunk(2))
        #expect(Self.content(try buffer.nextIfReady()?.get()) == "1")
        #expect(Self.content(try buffer.nextIfReady()?.get()) == "2")
        #expect(buffer.nextIfReady() == nil)
        buffer.finish(throwing: BifrostError(status: 502, type: "provider_error", message: "cut"))
        #expect(throws: BifrostError.self) { try buffer.nextIfReady()?.get() }
        #expect(try buffer.nextIfReady()?.get() == .some(nil), "after the error, the end")
    }

    @Test("a task producer waits while the buffer is full and goes on as the consumer reads")
    func sendWaitsForTheConsumer() async throws {
        let buffer = ChatChunkBuffer(capacity: 4)
        let sent = Atomic(0)
        let producer = Task {
            for number in 0..<100 {
                guard await buffer.send(Self.chunk(number)) else { return }
                sent.add(1, ordering: .relaxed)
            }
            buffer.finish()
        }
        let started = ContinuousClock.now
        while sent.load(ordering: .relaxed) < 3, ContinuousClock.now - started < .seconds(10) {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(100))
        #expect(sent.load(ordering: .relaxed) == 3, "the fourth send fills the buffer and waits there")
        var received: [String] = []
        while let chunk = try await buffer.next() { received.append(Self.content(chunk) ?? "") }
        #expect(received == (0..<100).map(String.init))
        await producer.value
    }

    @Test("dropping the stream unread, or cancelling its reader, stops the producer and frees the queue")
    func theConsumerLeaving() async throws {
        let dropped = ChatChunkBuffer(capacity: 2)
        let droppedCancels = Atomic(0)
        dropped.onCancel { droppedCancels.add(1, ordering: .relaxed) }
        do {
            let stream = ChatStream(dropped)
            _ = dropped.yield(Self.chunk(0))
            _ = stream
        }
        #expect(droppedCancels.load(ordering: .relaxed) == 1)
        #expect(dropped.yield(Self.chunk(1)) == .gone)

        let waited = ChatChunkBuffer(capacity: 1)
        let waitedCancels = Atomic(0)
        waited.onCancel { waitedCancels.add(1, ordering: .relaxed) }
        let reader = Task { () -> BifrostError? in
            do throws(BifrostError) {
                _ = try await waited.next()
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        reader.cancel()
        let error = await reader.value
        #expect(error?.status == 499)
        #expect(error?.type == "request_cancelled")
        #expect(waitedCancels.load(ordering: .relaxed) == 1)
        #expect(await waited.send(Self.chunk(0)) == false)
    }

    @Test("a producer that finishes is not cancelled when its reader drops the finished stream")
    func finishedStreamsAreNotCancelled() async throws {
        let buffer = ChatChunkBuffer(capacity: 4)
        let cancels = Atomic(0)
        buffer.onCancel { cancels.add(1, ordering: .relaxed) }
        do {
            var iterator = ChatStream(buffer).makeAsyncIterator()
            _ = buffer.yield(Self.chunk(0))
            buffer.finish()
            #expect(Self.content(try await iterator.next()) == "0")
            #expect(try await iterator.next() == nil)
        }
        #expect(cancels.load(ordering: .relaxed) == 0)
    }

    @Test("an error comes after the chunks buffered before it, once")
    func errorsComeAfterTheChunks() async throws {
        let buffer = ChatChunkBuffer(capacity: 8)
        _ = buffer.yield(Self.chunk(0))
        _ = buffer.yield(Self.chunk(1))
        buffer.finish(throwing: BifrostError(status: 502, type: "upstream_error", message: "cut"))
        #expect(buffer.yield(Self.chunk(2)) == .gone)
        #expect(Self.content(try await buffer.next()) == "0")
        #expect(Self.content(try await buffer.next()) == "1")
        await #expect(throws: BifrostError.self) { _ = try await buffer.next() }
        #expect(try await buffer.next() == nil)
    }

    @Test("terminating with an error (shutdown) drops what is buffered and wakes the reader at once")
    func terminateWakesTheReader() async throws {
        let buffer = ChatChunkBuffer(capacity: 8)
        let reader = Task { () -> BifrostError? in
            do throws(BifrostError) {
                _ = try await buffer.next()
                return nil
            } catch {
                return error
            }
        }
        try await Task.sleep(for: .milliseconds(50))
        buffer.terminate(with: BifrostError(status: 503, type: "server_shutting_down", message: "bye"))
        #expect(await reader.value?.status == 503)
        #expect(try await buffer.next() == nil)
    }
}
