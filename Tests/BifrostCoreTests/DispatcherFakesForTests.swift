import BifrostCore
import Testing

/// One call a scripted provider received.
struct ScriptedCall: Sendable, Hashable {
    var keyID: String
    var secret: String?
    var model: String
    var parameters: JSONObject
}

/// What a scripted provider does on one call: answer with a text, fail, or wait on a latch.
enum ScriptedStep: Sendable {
    case answer(String)
    case fail(BifrostError)
    /// Waits until the latch opens (or the task is cancelled: a 499), then answers.
    case waitThenAnswer(Latch, String)
    /// For streams: fails inside the stream before any chunk.
    case failInsideStream(BifrostError)
    /// For streams: sends one chunk, then fails.
    case failAfterFirstChunk(BifrostError)
    /// For streams: sends one chunk, then waits on the latch, then finishes.
    case streamThenWait(Latch)
}

/// An in-process provider that follows a script, recording every call.
final class ScriptedProvider: Provider {
    let name: String
    let models: [String]
    private let script: @Sendable (Int, ScriptedCall) -> ScriptedStep
    let calls = LockedValue<[ScriptedCall]>([])
    /// Yields once each time a call starts.
    let entered: AsyncStream<Int>
    private let enteredContinuation: AsyncStream<Int>.Continuation

    init(name: String, models: [String] = ["m"], script: @escaping @Sendable (Int, ScriptedCall) -> ScriptedStep) {
        self.name = name
        self.models = models
        self.script = script
        (entered, enteredContinuation) = AsyncStream<Int>.makeStream()
    }

    /// A provider that answers every call with `text`.
    convenience init(name: String, models: [String] = ["m"], answering text: String) {
        self.init(name: name, models: models) { _, _ in .answer(text) }
    }

    /// A provider that plays `steps` in order, then answers "done".
    convenience init(name: String, models: [String] = ["m"], steps: [ScriptedStep]) {
        self.init(name: name, models: models) { index, _ in index < steps.count ? steps[index] : .answer("done") }
    }

    var callCount: Int { calls.withLock { $0.count } }
    var keysUsed: [String] { calls.withLock { $0.map(\.keyID) } }

    private func record(_ request: ChatRequest, _ credentials: ProviderCredentials) -> ScriptedStep {
        let call = ScriptedCall(
            keyID: credentials.keyID, secret: credentials.secret, model: request.model, parameters: request.parameters)
        let index = calls.withLock { calls in
            calls.append(call)
            return calls.count - 1
        }
        enteredContinuation.yield(index)
        return script(index, call)
    }

    private func response(_ text: String, _ request: ChatRequest) -> ChatResponse {
        ChatResponse(id: "r", provider: name, model: "upstream-" + request.model, choices: [ChatChoice(content: text)])
    }

    func chatCompletion(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatResponse
    {
        switch record(request, credentials) {
        case .answer(let text):
            return response(text, request)
        case .fail(let error), .failInsideStream(let error), .failAfterFirstChunk(let error):
            throw error
        case .waitThenAnswer(let latch, let text):
            try await latch.wait()
            return response(text, request)
        case .streamThenWait(let latch):
            try await latch.wait()
            return response("late", request)
        }
    }

    func chatCompletionStream(_ request: ChatRequest, credentials: ProviderCredentials, context: RequestContext)
        async throws(BifrostError) -> ChatStream
    {
        let chunk = ChatChunk(id: "s", provider: name, model: request.model, choices: [ChunkChoice(content: "first")])
        switch record(request, credentials) {
        case .answer(let text):
            return ChatStream(replaying: response(text, request))
        case .fail(let error):
            throw error
        case .waitThenAnswer(let latch, let text):
            try await latch.wait()
            return ChatStream(replaying: response(text, request))
        case .failInsideStream(let error):
            return ChatStream(failing: error)
        case .failAfterFirstChunk(let error):
            return ChatStream { continuation throws(BifrostError) in
                await continuation.yield(chunk)
                throw error
            }
        case .streamThenWait(let latch):
            return ChatStream { continuation throws(BifrostError) in
                await continuation.yield(chunk)
                try await latch.wait()
            }
        }
    }
}

/// A one-shot gate tasks wait on until it opens; a cancelled waiter leaves with a 499.
final class Latch: Sendable {
    private let state = LockedValue<(open: Bool, waiters: [Int: CheckedContinuation<Void, Never>], next: Int)>(
        (false, [:], 0))

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    func wait() async throws(BifrostError) {
        let id = state.withLock { state in
            state.next += 1
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.open || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
        if Task.isCancelled { throw BifrostError(status: 499, type: "request_cancelled", message: "cancelled") }
    }
}

/// Records the waits a dispatcher asks for instead of sleeping.
final class SleepRecorder: Sendable {
    let waits = LockedValue<[Duration]>([])

    var sleep: @Sendable (Duration) async throws -> Void {
        { [waits] duration in
            waits.withLock { $0.append(duration) }
            try Task.checkCancellation()
        }
    }

    var recorded: [Duration] { waits.withLock { $0 } }
}

func chat(_ qualified: String, parameters: JSONObject = [:]) -> ChatRequest {
    let (provider, model) = ChatRequest.splitModel(qualified)
    return ChatRequest(
        provider: String(provider), model: String(model), messages: [ChatMessage(role: "user", content: "hi")],
        parameters: parameters)
}

func settings(
    _ name: String, keys: [APIKey] = [], models: [String] = [], attempts: Int = 1, initialBackoff: Duration = .milliseconds(1),
    maxBackoff: Duration = .milliseconds(4), inFlight: Int = 64, queued: Int = 256, fallbacks: [String: [String]] = [:]
) -> ProviderSettings {
    ProviderSettings(
        name: name, kind: .openai, baseURL: "http://127.0.0.1:1", keys: keys, models: models,
        retry: ProviderSettings.RetryPolicy(maxAttempts: attempts, initialBackoff: initialBackoff, maxBackoff: maxBackoff),
        maxConcurrentRequests: inFlight, maxQueuedRequests: queued, fallbacks: fallbacks)
}

func failure(_ status: Int, headers: [(String, String)] = []) -> BifrostError {
    BifrostError(status: status, type: "upstream_error", message: "upstream said \(status)", headers: HeaderFields(headers))
}

/// Waits for the provider to have been entered `count` times.
func waitUntilEntered(_ provider: ScriptedProvider, count: Int) async {
    var seen = 0
    for await _ in provider.entered {
        seen += 1
        if seen >= count { return }
    }
}

/// Waits for `count` requests to be waiting in line at `provider`.
func waitUntilQueued(_ dispatcher: Dispatcher, _ provider: String, count: Int) async {
    while (dispatcher.load(of: provider)?.queued ?? 0) < count { try? await Task.sleep(for: .milliseconds(1)) }
}
