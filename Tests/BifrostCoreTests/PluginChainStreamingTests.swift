import BifrostCore
import Testing

/// An in-process plugin with a chunk hook, for streaming semantics.
struct ChunkScript: Plugin {
    enum Behaviour: Sendable {
        case tag
        case drop(String)
        case fail(String)
        case fault
    }
    let descriptor: PluginDescriptor
    let log: HookLog
    let behaviour: Behaviour
    var answer: String? = nil

    init(_ name: String, log: HookLog, _ behaviour: Behaviour = .tag, answer: String? = nil) {
        descriptor = PluginDescriptor(name: name, version: "1", hooks: [.pre, .post, .chunk])
        self.log = log
        self.behaviour = behaviour
        self.answer = answer
    }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        log.append("pre:\(descriptor.name)")
        if let answer {
            return .respond(
                ChatResponse(
                    id: "cached", provider: "cache", model: request.model, choices: [ChatChoice(content: answer)],
                    usage: TokenUsage(promptTokens: 1, completionTokens: 2)))
        }
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        switch outcome {
        case .response(let response):
            log.append("post:\(descriptor.name):\(response.choices.first?.content ?? ""):\(response.usage.totalTokens)")
        case .failure(let error):
            log.append("post:\(descriptor.name):error \(error.status)")
        }
    }

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        guard let content = chunk.choices.first?.content, !content.isEmpty else { return .continue }
        switch behaviour {
        case .tag:
            log.append("chunk:\(descriptor.name)")
            chunk.choices[0].content = content + "[\(descriptor.name)]"
        case .drop(let word):
            if content.contains(word) { return .drop }
        case .fail(let word):
            if content.contains(word) { return .fail(BifrostError(status: 451, type: "content_filter", message: "no \(word)")) }
        case .fault:
            throw PluginFault(plugin: descriptor.name, hook: .chunkHook, message: "chunk hook broke")
        }
        return .continue
    }
}

/// A plugin with only a chunk hook, which tags each piece of content.
struct ChunkOnly: Plugin {
    let descriptor = PluginDescriptor(name: "chunk-only", version: "1", hooks: [.chunk])
    let log: HookLog

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {}

    func chunkHook(_ chunk: inout ChatChunk, context: RequestContext) throws -> ChunkHookResult {
        guard let content = chunk.choices.first?.content, !content.isEmpty else { return .continue }
        chunk.choices[0].content = content + "[chunk-only]"
        return .continue
    }
}

/// Records what its PostHook saw: a budget plugin's view of a stream.
struct BillingProbe: Plugin {
    struct Bill: Sendable, Equatable {
        var text: String
        var usage: TokenUsage
        var cutShort: Bool
        var usageEstimated: Bool
    }
    let descriptor = PluginDescriptor(name: "billing", version: "1", hooks: [.pre, .post])
    let bills = LockedValue<[Bill]>([])

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult { .continue }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        guard case .response(let response) = outcome else { return }
        let bill = Bill(
            text: response.choices.first?.content ?? "", usage: response.usage,
            cutShort: context[RequestContext.HostKey.cutShort] == .bool(true),
            usageEstimated: context[RequestContext.HostKey.usageEstimated] == .bool(true))
        bills.withLock { $0.append(bill) }
    }

    /// The bills once there is one, waiting at most 10 s (the PostHooks of a stream its client
    /// left run on the stream's producer after the consumer has gone).
    func awaitBill() async -> [Bill] {
        let deadline = ContinuousClock.now + .seconds(10)
        while bills.withLock({ $0.isEmpty }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return bills.withLock { $0 }
    }
}

@Suite("Streaming semantics (PluginSDK/DESIGN.md §2)")
struct PluginChainStreamingTests {
    func stream(_ plugins: [any Plugin], policies: [FailurePolicy] = [], model: String = "echo", text: String = "one two")
        async -> (chunks: [ChatChunk], error: BifrostError?, early: BifrostError?)
    {
        let entries = plugins.enumerated().map { ChainEntry($1, failurePolicy: $0 < policies.count ? policies[$0] : nil) }
        let chain = PluginChain(entries)
        switch await chain.runStream(
            echoRequest(text, model: model), context: RequestContext(), through: Dispatcher(providers: [MockProvider()]))
        {
        case .failure(let error):
            return ([], nil, error)
        case .success(let stream):
            var chunks: [ChatChunk] = []
            do {
                for try await chunk in stream { chunks.append(chunk) }
            } catch {
                return (chunks, error, nil)
            }
            return (chunks, nil, nil)
        }
    }

    func text(_ chunks: [ChatChunk]) -> String { chunks.compactMap { $0.choices.first?.content }.joined() }

    @Test func chunkHooksRunInReverseOrderOnEveryChunkAndPostHooksOnceWithUsage() async {
        let log = HookLog()
        let (chunks, error, _) = await stream([ChunkScript("a", log: log), ChunkScript("b", log: log)])
        #expect(error == nil)
        #expect(text(chunks) == "Echo:[b][a] one[b][a] two[b][a]")
        #expect(log.all.filter { $0.hasPrefix("chunk:") }.prefix(2) == ["chunk:b", "chunk:a"])
        let posts = log.all.filter { $0.hasPrefix("post:") }
        #expect(posts.count == 2)
        #expect(posts.first?.hasPrefix("post:b:Echo:[b][a] one[b][a] two[b][a]:") == true)
        #expect(posts.first?.hasSuffix(":0") == false)  // usage was assembled from the last chunk
        #expect(chunks.last?.usage != nil)
    }

    @Test func aShortCircuitIsAnsweredAsAStream() async {
        let log = HookLog()
        let (chunks, error, _) = await stream([ChunkScript("a", log: log), ChunkScript("cache", log: log, answer: "from cache")])
        #expect(error == nil)
        #expect(text(chunks) == "from cache[cache][a]")
        #expect(chunks.last?.choices.first?.finishReason == "stop")
        #expect(log.all.contains("post:cache:from cache[cache][a]:3"))
    }

    @Test func aChunkHookDropsAndEnds() async {
        let log = HookLog()
        let dropped = await stream([ChunkScript("d", log: log, .drop("two"))], text: "one two three")
        #expect(text(dropped.chunks) == "Echo: one three")
        let ended = await stream([ChunkScript("f", log: log, .fail("two"))], text: "one two three")
        #expect(text(ended.chunks) == "Echo: one")
        #expect(ended.error?.status == 451)
        #expect(ended.error?.source == .plugin("f"))
        #expect(log.all.contains("post:f:error 451"))
    }

    @Test func aFailureBeforeTheFirstChunkIsReturnedWithItsStatus() async {
        let log = HookLog()
        let (_, _, early) = await stream([ChunkScript("a", log: log)], model: "fail")
        #expect(early?.status == 503)
        #expect(log.all.contains("post:a:error 503"))
    }

    @Test func chunkHookFaultsFollowTheFailurePolicy() async {
        let log = HookLog()
        let closed = await stream([ChunkScript("broken", log: log, .fault)])
        #expect(closed.error?.status == 500)
        #expect(closed.error?.message == "plugin 'broken' failed in ChunkHook: chunk hook broke")
        let open = await stream([ChunkScript("broken", log: log, .fault)], policies: [.failOpen])
        #expect(open.error == nil)
        #expect(text(open.chunks) == "Echo: one two")
    }

    @Test func aClientLeavingAfterTwoChunksIsBilledForWhatWasStreamed() async throws {
        let probe = BillingProbe()
        let prompt = String(repeating: "word ", count: 200)
        // The consumer leaves when the stream is released, here on returning.
        func readTwoChunks() async throws -> [String] {
            guard
                case .success(let stream) = await PluginChain([ChainEntry(probe)]).runStream(
                    echoRequest(prompt), context: RequestContext(),
                    through: Dispatcher(providers: [MockProvider(latency: .milliseconds(20))]))
            else { return [] }
            var received: [String] = []
            for try await chunk in stream {
                received.append(chunk.choices.first?.content ?? "")
                if received.count == 2 { break }
            }
            return received
        }
        let received = try await readTwoChunks()
        try #require(received.count == 2)
        let bills = await probe.awaitBill()
        try #require(bills.count == 1)
        let bill = bills[0]
        #expect(bill.cutShort && bill.usageEstimated)
        // What reached the client is billed: the partial text starts with the chunks received.
        #expect(bill.text.hasPrefix(received.joined()))
        #expect(bill.text.count < "Echo: \(prompt)".count)
        // The mock reports usage only on its last chunk, so both counts are the host's: a quarter
        // of the prompt's and of the partial text's bytes.
        #expect(bill.usage.promptTokens == (prompt.utf8.count + 3) / 4)
        #expect(bill.usage.completionTokens == (bill.text.utf8.count + 3) / 4)
        #expect(bill.usage.totalTokens == bill.usage.promptTokens + bill.usage.completionTokens)
    }

    @Test(
        "without a PostHook the answer is not assembled, and a stream its client left is still noted as cut short",
        arguments: [2, nil] as [Int?])
    func withoutAPostHookAStreamCutShortIsStillNoted(leavingAfter: Int?) async throws {
        let context = RequestContext()
        let chunkOnly = ChunkOnly(log: HookLog())
        func read() async throws -> [String] {
            guard
                case .success(let stream) = await PluginChain([ChainEntry(chunkOnly)]).runStream(
                    echoRequest(String(repeating: "word ", count: 50)), context: context,
                    through: Dispatcher(providers: [MockProvider(latency: .milliseconds(5))]))
            else { return [] }
            var received: [String] = []
            for try await chunk in stream {
                received.append(chunk.choices.first?.content ?? "")
                if received.count == leavingAfter { break }
            }
            return received
        }
        let received = try await read()
        #expect(received.allSatisfy { $0.isEmpty || $0.hasSuffix("[chunk-only]") })
        if let leavingAfter {
            #expect(received.count == leavingAfter)
            let deadline = ContinuousClock.now + .seconds(10)
            while context[RequestContext.HostKey.cutShort] == nil && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            #expect(context[RequestContext.HostKey.cutShort] == .bool(true))
        } else {
            #expect(received.joined().replacing("[chunk-only]", with: "").hasPrefix("Echo: word word"))
            #expect(context[RequestContext.HostKey.cutShort] == nil)
        }
        #expect(context[RequestContext.HostKey.usageEstimated] == nil)
    }

    @Test func aStreamReadToItsEndIsBilledAsReportedAndNotCutShort() async throws {
        let probe = BillingProbe()
        let (_, error, _) = await stream([probe])
        #expect(error == nil)
        let bills = await probe.awaitBill()
        try #require(bills.count == 1)
        #expect(!bills[0].cutShort && !bills[0].usageEstimated)
        #expect(bills[0].usage.totalTokens > 0)
    }

    @Test(arguments: [
        (TokenUsage?.none, 2, 5, true),
        (TokenUsage(promptTokens: 40, completionTokens: 1), 40, 5, true),  // Anthropic's message_start
        (TokenUsage(promptTokens: 40, completionTokens: 9), 40, 9, false),
    ])
    func aCutStreamsUsageKeepsWhatWasReportedAndCountsTheRest(
        reported: TokenUsage?, prompt: Int, completion: Int, estimated: Bool
    ) {
        let request = ChatRequest(provider: "mock", model: "echo", messages: [ChatMessage(role: "user", content: "12345678")])
        let partial = ChatResponse(
            id: "x", provider: "mock", model: "echo", choices: [ChatChoice(content: "twenty bytes of text")])
        let (usage, wasEstimated) = TokenUsage.cutShort(reported: reported, request: request, partial: partial)
        #expect(usage.promptTokens == prompt)
        #expect(usage.completionTokens == completion)
        #expect(usage.totalTokens == prompt + completion)
        #expect(wasEstimated == estimated)
    }

    @Test func aStreamStoppedByItsConsumerCancelsTheProducer() async throws {
        let dispatcher = Dispatcher(providers: [MockProvider(latency: .milliseconds(20))])
        guard
            case .success(let stream) = await PluginChain([]).runStream(
                echoRequest(String(repeating: "word ", count: 500)), context: RequestContext(), through: dispatcher)
        else {
            Issue.record("no stream")
            return
        }
        let start = ContinuousClock.now
        var received = 0
        for try await _ in stream {
            received += 1
            if received == 3 { break }
        }
        #expect(received == 3)
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    /// A stream of the chain over an upstream whose chunks are all here already.
    func bufferedStream(_ plugins: [any Plugin], text: String = "one two three") async throws -> ChatStream {
        let answer = ChatResponse(
            id: "buffered", provider: "mock", model: "echo", choices: [ChatChoice(content: text)],
            usage: TokenUsage(promptTokens: 3, completionTokens: 3))
        let result = await PluginChain(plugins.map { ChainEntry($0) }).runStream(
            echoRequest(), context: RequestContext(), dispatch: { _, _ in .success(ChatStream(replaying: answer)) })
        return try result.get()
    }

    @Test func chunksAlreadyHerePassTheChunkHooksWithoutWaitingAndTheEndRunsThePostHooks() async throws {
        let log = HookLog()
        var iterator = try await bufferedStream([ChunkScript("a", log: log)]).makeAsyncIterator()
        var texts: [String] = []
        var ended = false
        while let ready = iterator.nextIfReady() {
            guard let chunk = try ready.get() else {
                ended = true
                break
            }
            texts.append(chunk.choices.first?.content ?? "")
        }
        #expect(texts.joined() == "one two three[a]")
        #expect(texts.count == 2, "the answer replayed: its role and text, then its finish reason and usage")
        #expect(ended, "the end is here too, with no host operation to wait for")
        #expect(log.all.filter { $0.hasPrefix("post:") } == ["post:a:one two three[a]:6"])
        #expect(try await iterator.next() == nil)
        #expect(log.all.filter { $0.hasPrefix("post:") }.count == 1)
    }

    @Test func aPostHooksHostOperationIsAwaitedBeforeTheEndIsRead() async throws {
        let services = ScriptedServices()
        let answer = ChatResponse(id: "b", provider: "mock", model: "echo", choices: [ChatChoice(content: "x")])
        let result = await PluginChain([ChainEntry(CountingPlugin())], services: services).runStream(
            echoRequest(), context: RequestContext(), dispatch: { _, _ in .success(ChatStream(replaying: answer)) })
        var iterator = try result.get().makeAsyncIterator()
        while let ready = iterator.nextIfReady(), try ready.get() != nil {}
        #expect(iterator.nextIfReady() == nil, "the end waits for the PostHook's write")
        #expect(services.asked.withLock { $0.count } == 1, "the PreHook's read only")
        #expect(try await iterator.next() == nil)
        #expect(services.asked.withLock { $0.map(\.operations) }.last == [Self.tokensWrite])
    }

    @Test func aPostHooksHostOperationLandsWhenTheConsumerLeavesBeforeItIsAwaited() async throws {
        let services = ScriptedServices()
        let answer = ChatResponse(id: "b", provider: "mock", model: "echo", choices: [ChatChoice(content: "x")])
        do {
            let result = await PluginChain([ChainEntry(CountingPlugin())], services: services).runStream(
                echoRequest(), context: RequestContext(), dispatch: { _, _ in .success(ChatStream(replaying: answer)) })
            var iterator = try result.get().makeAsyncIterator()
            while let ready = iterator.nextIfReady(), try ready.get() != nil {}
        }
        let started = ContinuousClock.now
        while services.asked.withLock({ $0.count }) < 2, ContinuousClock.now - started < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(services.asked.withLock { $0.map(\.operations) }.last == [Self.tokensWrite])
    }

    static let tokensWrite = HostOperation.counterAdd(key: Array("tokens".utf8), amount: 7, window: .seconds(60), reads: false)

    @Test func aStreamWhoseEndArrivedAfterItsConsumerLeftIsBilledWholeAndCutShort() async throws {
        let probe = BillingProbe()
        let reader = Task {
            var iterator = try await bufferedStream([probe]).makeAsyncIterator()
            for _ in 0..<2 { _ = try iterator.nextIfReady()?.get() }
            withUnsafeCurrentTask { $0?.cancel() }
            return iterator.nextIfReady()
        }
        #expect(try await reader.value == nil, "a consumer that left does not read the end")
        let bills = await probe.awaitBill()
        try #require(bills.count == 1)
        #expect(bills[0].text == "one two three")
        #expect(bills[0].cutShort && !bills[0].usageEstimated)
        #expect(bills[0].usage.totalTokens == 6)
    }

    @Test func aStreamDroppedAfterItsEndWasGatheredIsBilledWhole() async throws {
        let probe = BillingProbe()
        do {
            var iterator = try await bufferedStream([probe]).makeAsyncIterator()
            while let ready = iterator.nextIfReady(), try ready.get() != nil {}
        }
        let bills = await probe.awaitBill()
        try #require(bills.count == 1)
        #expect(bills[0].text == "one two three")
        #expect(!bills[0].cutShort && !bills[0].usageEstimated, "the consumer read the end")
        #expect(bills[0].usage.totalTokens == 6)
    }

    @Test func aStreamDroppedUnreadEndsWithACancellationForThePostHooks() async throws {
        let log = HookLog()
        _ = try await bufferedStream([ChunkScript("a", log: log)])
        #expect(log.all.filter { $0.hasPrefix("post:") } == ["post:a:error 499"])
    }

    @Test func aConsumerCancelledWhileGatheringIsBilledForWhatItReceived() async throws {
        let probe = BillingProbe()
        let reader = Task {
            var iterator = try await bufferedStream([probe]).makeAsyncIterator()
            let first = try iterator.nextIfReady()?.get()
            withUnsafeCurrentTask { $0?.cancel() }
            let afterCancel = iterator.nextIfReady()
            return (first?.choices.first?.content, afterCancel)
        }
        let (first, afterCancel) = try await reader.value
        #expect(first == "one two three")
        #expect(afterCancel == nil, "the cancellation ends the stream; next() would say how")
        let bills = await probe.awaitBill()
        try #require(bills.count == 1)
        #expect(bills[0].text == "one two three")
        #expect(bills[0].cutShort && bills[0].usageEstimated)
    }
}
