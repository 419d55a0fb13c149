import BifrostCore
import Testing

@Suite("Dispatcher: keys")
struct DispatcherKeyTests {
    @Test func weightedSelectionFollowsTheWeights() {
        let keys = [APIKey(id: "p#0", secret: "a", weight: 1), APIKey(id: "p#1", secret: "b", weight: 3)]
        var generator = SystemRandomNumberGenerator()
        var heavy = 0
        let draws = 10_000
        for _ in 0..<draws where KeySelector.pick(from: keys, avoiding: [], using: &generator)?.id == "p#1" {
            heavy += 1
        }
        let share = Double(heavy) / Double(draws)
        #expect(abs(share - 0.75) <= 0.03, "p#1 drawn \(share * 100)% of the time, expected 75% ± 3")
    }

    @Test func weightedSelectionThroughTheDispatcher() async {
        let provider = ScriptedProvider(name: "p", answering: "ok")
        let keys = [APIKey(id: "p#0", secret: "a", weight: 1), APIKey(id: "p#1", secret: "b", weight: 3)]
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", keys: keys)])
        for _ in 0..<2000 { _ = await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        let share = Double(provider.keysUsed.filter { $0 == "p#1" }.count) / 2000
        #expect(abs(share - 0.75) <= 0.05, "p#1 used \(share * 100)% of the time, expected 75% ± 5")
    }

    @Test func eachAttemptPassesTheChosenKeysCredentials() async {
        let provider = ScriptedProvider(name: "p", answering: "ok")
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", keys: [APIKey(id: "p#0", secret: "sk-zero")])])
        let outcome = await dispatcher.dispatch(chat("p/m"), context: RequestContext())
        #expect(outcome.response?.choices.first?.content == "ok")
        #expect(provider.calls.withLock { $0.map(\.secret) } == ["sk-zero"])
        #expect(provider.keysUsed == ["p#0"])
    }

    @Test func aProviderWithoutKeysGetsNoCredentials() async {
        let provider = ScriptedProvider(name: "p", answering: "ok")
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p")])
        _ = await dispatcher.dispatch(chat("p/m"), context: RequestContext())
        #expect(provider.keysUsed == [ProviderCredentials.none.keyID])
        #expect(provider.calls.withLock { $0.map(\.secret) } == [nil])
    }

    @Test func onlyKeysThatAllowTheModelAreUsed() async {
        let provider = ScriptedProvider(name: "p", models: ["small", "large"], answering: "ok")
        let keys = [
            APIKey(id: "p#0", secret: "a", models: ["small"]), APIKey(id: "p#1", secret: "b", weight: 100, models: ["large"]),
        ]
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", keys: keys)])
        for _ in 0..<20 { _ = await dispatcher.dispatch(chat("p/small"), context: RequestContext()) }
        #expect(Set(provider.keysUsed) == ["p#0"])
    }

    @Test func aModelNoKeyAllowsIsA404NamingIt() async throws {
        let provider = ScriptedProvider(name: "p", models: ["small", "large"], answering: "ok")
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", keys: [APIKey(id: "p#0", secret: "sk-secret", models: ["small"])])])
        let error = try #require(await dispatcher.dispatch(chat("p/large"), context: RequestContext()).error)
        #expect(error.status == 404)
        #expect(error.message.contains("no key allowed to use model 'large'"))
        #expect(!error.message.contains("sk-secret"))
        #expect(provider.callCount == 0)
    }

    @Test(arguments: [401, 403, 429])
    func aRejectedKeyIsReplacedByAnotherOnTheNextAttempt(status: Int) async {
        let provider = ScriptedProvider(name: "p") { index, _ in index == 0 ? .fail(failure(status)) : .answer("ok") }
        let keys = [APIKey(id: "p#0", secret: "a"), APIKey(id: "p#1", secret: "b")]
        let recorder = SleepRecorder()
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", keys: keys, attempts: 3)], sleep: recorder.sleep)
        let outcome = await dispatcher.dispatch(chat("p/m"), context: RequestContext())
        #expect(outcome.response?.headers["x-bifrost-attempts"] == "2")
        let used = provider.keysUsed
        #expect(used.count == 2)
        #expect(used.first != used.last)
        #expect(recorder.recorded.isEmpty, "switching to a fresh key does not wait")
    }

    @Test func a401WithNoOtherKeyIsNotRetried() async {
        let provider = ScriptedProvider(name: "p") { _, _ in .fail(failure(401)) }
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", keys: [APIKey(id: "p#0", secret: "a")], attempts: 3)])
        let outcome = await dispatcher.dispatch(chat("p/m"), context: RequestContext())
        #expect(outcome.error?.status == 401)
        #expect(outcome.error?.headers["x-bifrost-attempts"] == "1")
        #expect(provider.callCount == 1)
    }
}

@Suite("Dispatcher: retries")
struct DispatcherRetryTests {
    @Test func a429IsRetriedAndTheAttemptsAreCounted() async {
        let provider = ScriptedProvider(name: "p", steps: [.fail(failure(429)), .answer("second time")])
        let recorder = SleepRecorder()
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 3)], sleep: recorder.sleep)
        let response = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response
        #expect(response?.choices.first?.content == "second time")
        #expect(response?.headers["x-bifrost-attempts"] == "2")
        #expect(response?.headers["x-bifrost-fallback"] == nil)
        #expect(response?.provider == "p")
        #expect(response?.model == "upstream-m", "the answer names the model that served it")
        #expect(response?.headers["x-bifrost-model"] == "m")
        #expect(recorder.recorded.count == 1)
        #expect(recorder.recorded.allSatisfy { $0 >= .zero && $0 <= .milliseconds(1) })
    }

    @Test(arguments: [500, 502, 503, 504])
    func serverErrorsAndConnectionFaultsAreRetried(status: Int) async {
        let provider = ScriptedProvider(name: "p", steps: [.fail(failure(status)), .fail(failure(status)), .answer("ok")])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 3)], sleep: SleepRecorder().sleep)
        let response = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response
        #expect(response?.headers["x-bifrost-attempts"] == "3")
    }

    @Test func backoffGrowsExponentiallyWithJitterUpToTheCap() async {
        let provider = ScriptedProvider(name: "p") { _, _ in .fail(failure(503)) }
        let recorder = SleepRecorder()
        let dispatcher = Dispatcher(
            providers: [provider],
            settings: [settings("p", attempts: 6, initialBackoff: .milliseconds(100), maxBackoff: .milliseconds(300))],
            sleep: recorder.sleep)
        let error = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error
        #expect(error?.status == 503)
        #expect(error?.headers["x-bifrost-attempts"] == "6")
        let waits = recorder.recorded
        #expect(waits.count == 5)
        let ceilings: [Duration] = [
            .milliseconds(100), .milliseconds(200), .milliseconds(300), .milliseconds(300), .milliseconds(300),
        ]
        for (wait, ceiling) in zip(waits, ceilings) { #expect(wait >= .zero && wait <= ceiling) }
    }

    @Test func anUpstreamRetryAfterIsHonouredAndCapped() async {
        let provider = ScriptedProvider(
            name: "p",
            steps: [
                .fail(failure(429, headers: [("retry-after", "0.05")])), .fail(failure(503, headers: [("Retry-After", "30")])),
            ])
        let recorder = SleepRecorder()
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", attempts: 3, maxBackoff: .milliseconds(200))], sleep: recorder.sleep)
        let response = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response
        #expect(response?.headers["x-bifrost-attempts"] == "3")
        #expect(recorder.recorded == [.milliseconds(50), .milliseconds(200)])
    }

    @Test func aRealRetryAfterWaitIsObservedAndBounded() async {
        let provider = ScriptedProvider(name: "p", steps: [.fail(failure(429, headers: [("retry-after", "0.05")]))])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 2, maxBackoff: .seconds(1))])
        let start = ContinuousClock.now
        let response = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response
        let elapsed = ContinuousClock.now - start
        #expect(response?.choices.first?.content == "done")
        // Waited, but did not hang (the upper bound is loose: other tests share the 2 cores).
        #expect(elapsed >= .milliseconds(50) && elapsed < .seconds(30))
    }

    @Test(arguments: [400, 404, 413, 422])
    func nonRetryableErrorsReturnAtOnce(status: Int) async {
        let provider = ScriptedProvider(name: "p") { _, _ in .fail(failure(status)) }
        let recorder = SleepRecorder()
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 5)], sleep: recorder.sleep)
        let error = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error
        #expect(error?.status == status)
        #expect(error?.headers["x-bifrost-attempts"] == "1")
        #expect(error?.source == .provider("p"))
        #expect(provider.callCount == 1)
        #expect(recorder.recorded.isEmpty)
    }

    @Test(.timeLimit(.minutes(1)))
    func cancellationStopsRetryingAtOnce() async {
        let provider = ScriptedProvider(name: "p") { _, _ in .fail(failure(503)) }
        let dispatcher = Dispatcher(
            providers: [provider], settings: [settings("p", attempts: 10, initialBackoff: .seconds(30), maxBackoff: .seconds(30))]
        )
        let task = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilEntered(provider, count: 1)
        let start = ContinuousClock.now
        task.cancel()
        let outcome = await task.value
        #expect(ContinuousClock.now - start < .seconds(10))
        #expect(outcome.error?.status == 499)
        #expect(provider.callCount == 1)
    }

    @Test func withoutSettingsAProviderGetsOneAttempt() async {
        let provider = ScriptedProvider(name: "p", steps: [.fail(failure(503))])
        let dispatcher = Dispatcher(providers: [provider])
        let error = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error
        #expect(error?.status == 503)
        #expect(provider.callCount == 1)
    }

    @Test func aProviderWithoutAModelListAcceptsAnyModelAndListsNone() async {
        let provider = ScriptedProvider(name: "local", models: [], answering: "ok")
        let dispatcher = Dispatcher(providers: [provider, MockProvider()])
        let response = await dispatcher.dispatch(chat("local/llama3.1:8b"), context: RequestContext()).response
        #expect(response?.model == "upstream-llama3.1:8b")
        #expect(response?.headers["x-bifrost-model"] == "llama3.1:8b")
        #expect(dispatcher.qualifiedModels.allSatisfy { $0.provider == "mock" })
    }

    @Test func embeddingsAreRetriedToo() async throws {
        struct FlakyEmbedder: Provider {
            let name = "e"
            let models = ["embed"]
            let calls = LockedValue(0)
            func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
                async throws(BifrostError) -> ChatResponse
            { throw failure(400) }
            func embeddings(_ request: EmbeddingRequest, credentials: ProviderCredentials, context: RequestContext)
                async throws(BifrostError) -> EmbeddingResponse
            {
                let call = calls.withLock { calls in
                    calls += 1
                    return calls
                }
                if call == 1 { throw failure(502) }
                return EmbeddingResponse(provider: name, model: request.model, vectors: [[1]], usage: TokenUsage())
            }
        }
        let dispatcher = Dispatcher(
            providers: [FlakyEmbedder()], settings: [settings("e", attempts: 2)], sleep: SleepRecorder().sleep)
        let result = await dispatcher.embeddings(
            EmbeddingRequest(provider: "e", model: "embed", inputs: ["x"]), context: RequestContext())
        #expect(try result.get().headers["x-bifrost-attempts"] == "2")
    }
}

@Suite("Dispatcher: fallbacks")
struct DispatcherFallbackTests {
    @Test func theConfiguredFallbackAnswersAfterThePrimaryFailsEveryAttempt() async {
        let primary = ScriptedProvider(name: "a", models: ["big"]) { _, _ in .fail(failure(503)) }
        let backup = ScriptedProvider(name: "b", models: ["small"], answering: "from b")
        let dispatcher = Dispatcher(
            providers: [primary, backup],
            settings: [settings("a", attempts: 2, fallbacks: ["big": ["b/small"]]), settings("b", attempts: 2)],
            sleep: SleepRecorder().sleep)
        let response = await dispatcher.dispatch(chat("a/big"), context: RequestContext()).response
        #expect(response?.choices.first?.content == "from b")
        #expect(response?.provider == "b")
        #expect(response?.model == "upstream-small")
        #expect(response?.headers["x-bifrost-model"] == "small")
        #expect(response?.headers["x-bifrost-attempts"] == "3")
        #expect(response?.headers["x-bifrost-fallback"] == "b/small")
        #expect(primary.callCount == 2)
        #expect(backup.calls.withLock { $0.map(\.model) } == ["small"])
    }

    @Test func theRequestsFallbacksBeatTheConfiguredOnesAndAreNotSentUpstream() async {
        let primary = ScriptedProvider(name: "a") { _, _ in .fail(failure(500)) }
        let configured = ScriptedProvider(name: "b", answering: "from b")
        let requested = ScriptedProvider(name: "c", answering: "from c")
        let dispatcher = Dispatcher(
            providers: [primary, configured, requested], settings: [settings("a", fallbacks: ["m": ["b/m"]])])
        let request = chat("a/m", parameters: ["fallbacks": ["c/m"], "temperature": 0.5])
        let response = await dispatcher.dispatch(request, context: RequestContext()).response
        #expect(response?.choices.first?.content == "from c")
        #expect(response?.headers["x-bifrost-fallback"] == "c/m")
        #expect(configured.callCount == 0)
        for call in primary.calls.withLock({ $0 }) + requested.calls.withLock({ $0 }) {
            #expect(call.parameters["fallbacks"] == nil)
            #expect(call.parameters["temperature"] == 0.5)
        }
    }

    @Test func anEmptyFallbacksListTurnsTheConfiguredOnesOff() async {
        let primary = ScriptedProvider(name: "a") { _, _ in .fail(failure(500)) }
        let configured = ScriptedProvider(name: "b", answering: "from b")
        let dispatcher = Dispatcher(providers: [primary, configured], settings: [settings("a", fallbacks: ["m": ["b/m"]])])
        let outcome = await dispatcher.dispatch(chat("a/m", parameters: ["fallbacks": []]), context: RequestContext())
        #expect(outcome.error?.status == 500)
        #expect(configured.callCount == 0)
    }

    @Test func afterEveryFallbackFailsTheLastErrorIsReturnedWithTheAttempts() async {
        let primary = ScriptedProvider(name: "a") { _, _ in .fail(failure(500)) }
        let backup = ScriptedProvider(name: "b") { _, _ in .fail(failure(502)) }
        let dispatcher = Dispatcher(
            providers: [primary, backup], settings: [settings("a", attempts: 2), settings("b", attempts: 2)],
            sleep: SleepRecorder().sleep)
        let error = await dispatcher.dispatch(chat("a/m", parameters: ["fallbacks": ["b/m"]]), context: RequestContext()).error
        #expect(error?.status == 502)
        #expect(error?.source == .provider("b"))
        #expect(error?.headers["x-bifrost-attempts"] == "4")
    }

    @Test func aRequestAtFaultDoesNotFallBack() async {
        let primary = ScriptedProvider(name: "a") { _, _ in .fail(failure(400)) }
        let backup = ScriptedProvider(name: "b", answering: "from b")
        let dispatcher = Dispatcher(providers: [primary, backup])
        let outcome = await dispatcher.dispatch(chat("a/m", parameters: ["fallbacks": ["b/m"]]), context: RequestContext())
        #expect(outcome.error?.status == 400)
        #expect(backup.callCount == 0)
    }

    @Test(arguments: [
        (JSONValue.string("b/m"), "fallbacks: expected an array"),
        (JSONValue.array([1]), "fallbacks[0]: expected a \"provider/model\" string, got a number"),
        (JSONValue.array(["nowhere/m"]), "fallbacks[0]: unknown provider 'nowhere'"),
    ])
    func badRequestFallbacksAre400s(value: JSONValue, message: String) async throws {
        let dispatcher = Dispatcher(providers: [ScriptedProvider(name: "a", answering: "ok")])
        let error = try #require(
            await dispatcher.dispatch(chat("a/m", parameters: ["fallbacks": value]), context: RequestContext()).error)
        #expect(error.status == 400)
        #expect(error.param == "fallbacks")
        #expect(error.message.contains(message))
    }
}

@Suite("Dispatcher: concurrency limit and queue", .timeLimit(.minutes(1)))
struct DispatcherQueueTests {
    @Test func aFullQueueIsRefusedAtOnceWhileSlotsAreHeld() async {
        let latch = Latch()
        let provider = ScriptedProvider(name: "p") { _, _ in .waitThenAnswer(latch, "ok") }
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 2, queued: 1)])
        let holders = (0..<2).map { _ in Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) } }
        await waitUntilEntered(provider, count: 2)
        let queued = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        // The third waits in the queue; once it is there, a fourth is refused at once.
        await waitUntilQueued(dispatcher, "p", count: 1)
        let start = ContinuousClock.now
        let refused = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(provider.callCount == 2)
        #expect(refused?.status == 503)
        #expect(refused?.type == "server_overloaded")
        #expect(refused?.code == "queue_full")
        #expect(refused?.headers["retry-after"] == "1")
        #expect(refused?.message.contains("'p'") == true)
        #expect(refused?.message.contains("max_in_flight 2, max_queued 1") == true)
        latch.open()
        for holder in holders { #expect(await holder.value.response?.choices.first?.content == "ok") }
        #expect(await queued.value.response?.choices.first?.content == "ok")
        #expect(provider.callCount == 3)
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
    }

    @Test func withNoQueueTheSecondRequestIsRefusedImmediately() async {
        let latch = Latch()
        let provider = ScriptedProvider(name: "p") { _, _ in .waitThenAnswer(latch, "ok") }
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 3, inFlight: 1, queued: 0)])
        let holder = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilEntered(provider, count: 1)
        let start = ContinuousClock.now
        let refused = await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error
        #expect(ContinuousClock.now - start < .seconds(1))
        #expect(refused?.code == "queue_full")
        #expect(refused?.headers["x-bifrost-attempts"] == "0")
        latch.open()
        _ = await holder.value
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response != nil)
    }

    @Test func cancellingARunningRequestReleasesItsSlot() async {
        let never = Latch()
        let provider = ScriptedProvider(name: "p", steps: [.waitThenAnswer(never, "never")])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 1, queued: 0)])
        let holder = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilEntered(provider, count: 1)
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error?.code == "queue_full")
        holder.cancel()
        #expect(await holder.value.error?.status == 499)
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response?.choices.first?.content == "done")
    }

    @Test func cancellingAQueuedRequestFreesItsPlaceInTheQueue() async {
        let latch = Latch()
        let provider = ScriptedProvider(name: "p") { _, _ in .waitThenAnswer(latch, "ok") }
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 1, queued: 1)])
        let holder = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilEntered(provider, count: 1)
        let waiting = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilQueued(dispatcher, "p", count: 1)
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error?.code == "queue_full")
        waiting.cancel()
        #expect(await waiting.value.error?.status == 499)
        #expect(dispatcher.load(of: "p")?.queued == 0)
        // Its place is free again: a new request queues rather than being refused.
        let next = Task { await dispatcher.dispatch(chat("p/m"), context: RequestContext()) }
        await waitUntilQueued(dispatcher, "p", count: 1)
        latch.open()
        #expect(await holder.value.response != nil)
        #expect(await next.value.response != nil)
        #expect(provider.callCount == 2)
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
    }

    @Test func queuedRequestsAreServedFirstInFirstOut() async {
        let gate = ProviderGate(provider: "p", maxInFlight: 1, maxQueued: 10)
        let first = try? await gate.acquire()
        let order = LockedValue<[Int]>([])
        var tasks: [Task<Void, Never>] = []
        for index in 0..<5 {
            tasks.append(
                Task {
                    let permit = try? await gate.acquire()
                    order.withLock { $0.append(index) }
                    permit?.release()
                })
            while gate.snapshot.queued < index + 1 { try? await Task.sleep(for: .milliseconds(1)) }
        }
        first?.release()
        for task in tasks { await task.value }
        #expect(order.withLock { $0 } == [0, 1, 2, 3, 4])
        #expect(gate.snapshot.inFlight == 0 && gate.snapshot.queued == 0)
    }

    @Test func manyConcurrentRequestsNeverExceedTheLimit() async {
        let inFlight = LockedValue((now: 0, peak: 0))
        struct Counting: Provider {
            let name = "p"
            let models = ["m"]
            let inFlight: LockedValue<(now: Int, peak: Int)>
            func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
                async throws(BifrostError) -> ChatResponse
            {
                inFlight.withLock { state in
                    state.now += 1
                    state.peak = max(state.peak, state.now)
                }
                try? await Task.sleep(for: .milliseconds(2))
                inFlight.withLock { $0.now -= 1 }
                return ChatResponse(provider: name, model: request.model, choices: [ChatChoice(content: "ok")])
            }
        }
        let dispatcher = Dispatcher(
            providers: [Counting(inFlight: inFlight)], settings: [settings("p", inFlight: 3, queued: 1000)])
        let answered = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(answered == 200)
        #expect(inFlight.withLock { $0.peak } <= 3)
        #expect(dispatcher.load(of: "p")?.inFlight == 0 && dispatcher.load(of: "p")?.queued == 0)
    }
}

@Suite("Dispatcher: streams", .timeLimit(.minutes(1)))
struct DispatcherStreamTests {
    func collect(_ stream: ChatStream) async -> (chunks: [ChatChunk], error: BifrostError?) {
        var chunks: [ChatChunk] = []
        do {
            for try await chunk in stream { chunks.append(chunk) }
            return (chunks, nil)
        } catch {
            return (chunks, error)
        }
    }

    @Test(arguments: [true, false])
    func anErrorBeforeTheFirstChunkIsRetried(insideTheStream: Bool) async throws {
        let first: ScriptedStep = insideTheStream ? .failInsideStream(failure(503)) : .fail(failure(503))
        let provider = ScriptedProvider(name: "p", steps: [first, .answer("streamed")])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 2)], sleep: SleepRecorder().sleep)
        let stream = try await dispatcher.dispatchStream(chat("p/m"), context: RequestContext()).get()
        let (chunks, error) = await collect(stream)
        #expect(error == nil)
        var assembly = StreamAssembly()
        for chunk in chunks { assembly.add(chunk) }
        #expect(assembly.response.choices.first?.content == "streamed")
        #expect(chunks.allSatisfy { $0.provider == "p" })
        #expect(provider.callCount == 2)
    }

    @Test func aStreamFallsBackBeforeItsFirstChunk() async throws {
        let primary = ScriptedProvider(name: "a") { _, _ in .failInsideStream(failure(502)) }
        let backup = ScriptedProvider(name: "b", answering: "from b")
        let dispatcher = Dispatcher(providers: [primary, backup], settings: [settings("a", fallbacks: ["m": ["b/m"]])])
        let stream = try await dispatcher.dispatchStream(chat("a/m"), context: RequestContext()).get()
        let (chunks, error) = await collect(stream)
        #expect(error == nil)
        #expect(!chunks.isEmpty && chunks.allSatisfy { $0.provider == "b" })
    }

    @Test func anErrorAfterTheFirstChunkEndsTheStreamWithoutRetry() async throws {
        let provider = ScriptedProvider(name: "p") { _, _ in .failAfterFirstChunk(failure(502)) }
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 3)], sleep: SleepRecorder().sleep)
        let stream = try await dispatcher.dispatchStream(chat("p/m"), context: RequestContext()).get()
        let (chunks, error) = await collect(stream)
        #expect(chunks.map { $0.choices.first?.content } == ["first"])
        #expect(error?.status == 502)
        #expect(provider.callCount == 1)
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
    }

    @Test func errorsThatOutliveEveryAttemptAreReturnedBeforeTheStream() async {
        let provider = ScriptedProvider(name: "p") { _, _ in .failInsideStream(failure(503)) }
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", attempts: 2)], sleep: SleepRecorder().sleep)
        let result = await dispatcher.dispatchStream(chat("p/m"), context: RequestContext())
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.status == 503)
        #expect(error.headers["x-bifrost-attempts"] == "2")
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
    }

    @Test func aStreamHoldsItsSlotUntilItEnds() async throws {
        let latch = Latch()
        let provider = ScriptedProvider(name: "p", steps: [.streamThenWait(latch)])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 1, queued: 0)])
        let stream = try await dispatcher.dispatchStream(chat("p/m"), context: RequestContext()).get()
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error?.code == "queue_full")
        latch.open()
        let (chunks, error) = await collect(stream)
        #expect(chunks.count == 1 && error == nil)
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response != nil)
    }

    @Test func cancellingAStreamsConsumerReleasesItsSlot() async throws {
        let never = Latch()
        let provider = ScriptedProvider(name: "p", steps: [.streamThenWait(never)])
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 1, queued: 0)])
        let stream = try await dispatcher.dispatchStream(chat("p/m"), context: RequestContext()).get()
        let consumer = Task { await collect(stream) }
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).error?.code == "queue_full")
        consumer.cancel()
        _ = await consumer.value
        while dispatcher.load(of: "p")?.inFlight != 0 { try? await Task.sleep(for: .milliseconds(1)) }
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response != nil)
    }

    @Test func aStreamDroppedUnreadReleasesItsSlot() async throws {
        let provider = ScriptedProvider(name: "p", answering: "ok")
        let dispatcher = Dispatcher(providers: [provider], settings: [settings("p", inFlight: 1, queued: 0)])
        do {
            _ = try await dispatcher.dispatchStream(chat("p/m"), context: RequestContext()).get()
        }
        #expect(dispatcher.load(of: "p")?.inFlight == 0)
        #expect(await dispatcher.dispatch(chat("p/m"), context: RequestContext()).response != nil)
    }
}
