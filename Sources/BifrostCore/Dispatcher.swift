public import Logging

/// Sends each request to the provider its `provider/model` names, with the resilience its
/// ``ProviderSettings`` ask for: key selection and rotation, retries with backoff, fallbacks,
/// and a concurrency limit with a bounded queue.
///
/// - **Keys**: each attempt uses one of the provider's keys allowed for the model, chosen at
///   random in proportion to the keys' weights; after a 401, 403 or 429 the next attempt
///   uses another allowed key if there is one (at once, without backoff).
/// - **Retries**: up to `retry.maxAttempts` attempts on 429, 500, 502, 503 and 504, waiting
///   with exponential backoff and full jitter, or as long as an upstream `retry-after` asks
///   (capped at `maxBackoff`). Other errors return at once; a cancelled task stops at once.
/// - **Fallbacks**: the request's `fallbacks` parameter (`["provider/model", …]`, removed
///   before the request goes upstream), else the provider's configured `fallbacks[model]`,
///   tried in turn when a provider has failed every attempt, unless the request itself was
///   at fault (400, 413, 422) or was cancelled.
/// - **Back-pressure**: at most `maxConcurrentRequests` attempts in flight per provider,
///   `maxQueuedRequests` more waiting in line; beyond that a 503 `queue_full` at once.
///
/// Responses name the provider and model that answered and carry `x-bifrost-attempts`
/// (and `x-bifrost-fallback: provider/model` when a fallback answered); errors carry
/// `x-bifrost-attempts` too. Streams are retried and fall back only until their first
/// chunk; they hold their slot until they end or are cancelled.
///
/// ```swift
/// let dispatcher = Dispatcher(providers: [MockProvider()])
/// let outcome = await dispatcher.dispatch(request, context: context)
///
/// let resilient = Dispatcher(
///     providers: [openai, MockProvider()],
///     settings: [ProviderSettings(name: "openai", kind: .openai, baseURL: "https://api.openai.com/v1",
///                                 retry: .init(maxAttempts: 3), fallbacks: ["gpt-4o": ["mock/echo"]])])
/// ```
public struct Dispatcher: Sendable {
    /// The providers, in the order given.
    public let providers: [any Provider]
    private let routes: [String: Route]
    private let logger: Logger
    private let sleep: @Sendable (Duration) async throws -> Void

    /// The header giving the number of attempts a request took, over every provider tried.
    public static let attemptsHeader = "x-bifrost-attempts"
    /// The header naming the model the gateway routed to (the body keeps the upstream's name for it).
    public static let modelHeader = "x-bifrost-model"
    /// The header naming the `provider/model` that answered when it was a fallback.
    public static let fallbackHeader = "x-bifrost-fallback"

    /// Creates a dispatcher; provider names must be unique.
    ///
    /// `settings` are matched to providers by name; a provider without settings gets one
    /// attempt, no keys, no fallbacks and no concurrency limit. `sleep` waits between
    /// attempts (tests pass a recorder).
    public init(
        providers: [any Provider],
        settings: [ProviderSettings] = [],
        logger: Logger = Logger(label: "bifrost.dispatcher"),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.providers = providers
        self.logger = logger
        self.sleep = sleep
        var settingsByName: [String: ProviderSettings] = [:]
        for entry in settings { settingsByName[entry.name] = entry }
        var routes: [String: Route] = [:]
        for provider in providers {
            routes[provider.name] = Route(provider: provider, settings: settingsByName[provider.name])
        }
        self.routes = routes
    }

    /// Every model as `provider/model`, in provider order; providers that accept any model list none.
    public var qualifiedModels: [(provider: String, model: String)] {
        providers.flatMap { provider in provider.models.map { (provider.name, $0) } }
    }

    /// Calls the request's provider, retrying and falling back as configured; returns the
    /// answer or the last error.
    public func dispatch(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        let (prepared, fallbacks): (ChatRequest, [String]?)
        do throws(BifrostError) { (prepared, fallbacks) = try takingFallbacks(request) } catch { return .failure(error) }
        let result = await run(
            provider: prepared.provider, model: prepared.model, fallbacks: fallbacks, holdSlot: false, context: context
        ) {
            route, model, credentials throws(BifrostError) in
            try await route.provider.chatCompletion(
                prepared.routed(to: route.name, model: model), credentials: credentials, context: context)
        }
        switch result {
        case .success(let served):
            var response = served.value
            response.provider = served.provider
            served.stamp(&response.headers)
            return .response(response)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Opens the request's provider's stream, retrying and falling back until the first chunk
    /// arrives; errors before it are returned, later ones end the stream.
    public func dispatchStream(_ request: ChatRequest, context: RequestContext) async -> Result<ChatStream, BifrostError> {
        let (prepared, fallbacks): (ChatRequest, [String]?)
        do throws(BifrostError) { (prepared, fallbacks) = try takingFallbacks(request) } catch { return .failure(error) }
        let result = await run(
            provider: prepared.provider, model: prepared.model, fallbacks: fallbacks, holdSlot: true, context: context
        ) {
            route, model, credentials throws(BifrostError) in
            let stream = try await route.provider.chatCompletionStream(
                prepared.routed(to: route.name, model: model), credentials: credentials, context: context)
            return try await OpenedStream.open(stream)
        }
        switch result {
        case .success(let served):
            return .success(served.value.forwarding(provider: served.provider, slot: served.slot))
        case .failure(let error):
            return .failure(error)
        }
    }

    /// Calls the request's provider for embeddings, with keys, retries and the concurrency
    /// limit (no fallbacks).
    public func embeddings(_ request: EmbeddingRequest, context: RequestContext) async -> Result<EmbeddingResponse, BifrostError>
    {
        let result = await run(provider: request.provider, model: request.model, fallbacks: [], holdSlot: false, context: context)
        {
            route, model, credentials throws(BifrostError) in
            var attempt = request
            (attempt.provider, attempt.model) = (route.name, model)
            return try await route.provider.embeddings(attempt, credentials: credentials, context: context)
        }
        switch result {
        case .success(let served):
            var response = served.value
            response.provider = served.provider
            served.stamp(&response.headers)
            return .success(response)
        case .failure(let error):
            return .failure(error)
        }
    }

    /// The request without its `fallbacks` parameter, and those fallbacks once checked.
    private func takingFallbacks(_ request: ChatRequest) throws(BifrostError) -> (ChatRequest, [String]?) {
        var request = request
        let fallbacks = try Self.takeFallbacks(from: &request)
        try validate(requested: fallbacks)
        return (request, fallbacks)
    }

    /// The provider serving `provider/model`, or a 404 naming what is missing.
    ///
    /// A provider whose ``Provider/models`` is empty accepts any model.
    public func provider(_ name: String, model: String) throws(BifrostError) -> any Provider {
        try route(name, model: model).provider
    }

    /// Attempts in flight and waiting in line at a provider, for metrics; `nil` for a provider
    /// that is unknown or has no settings (and so no limit).
    ///
    /// ```swift
    /// if let load = dispatcher.load(of: "openai") { print(load.inFlight, load.queued) }
    /// ```
    public func load(of provider: String) -> (inFlight: Int, queued: Int)? {
        routes[provider]?.gate?.snapshot
    }

    // MARK: - Routing

    /// One provider with what the dispatcher needs to call it.
    struct Route: Sendable {
        let provider: any Provider
        let name: String
        let models: Set<String>
        let retry: ProviderSettings.RetryPolicy
        let keys: KeySelector
        let gate: ProviderGate?
        let fallbacks: [String: [String]]

        init(provider: any Provider, settings: ProviderSettings?) {
            self.provider = provider
            name = provider.name
            models = Set(provider.models)
            retry = settings?.retry ?? ProviderSettings.RetryPolicy(maxAttempts: 1)
            keys = KeySelector(provider: provider.name, keys: settings?.keys ?? [])
            if let settings {
                gate = ProviderGate(
                    provider: provider.name, maxInFlight: settings.maxConcurrentRequests,
                    maxQueued: settings.maxQueuedRequests)
            } else {
                gate = nil
            }
            fallbacks = settings?.fallbacks ?? [:]
        }

        func serves(_ model: String) -> Bool { models.isEmpty || models.contains(model) }
    }

    func route(_ name: String, model: String) throws(BifrostError) -> Route {
        guard !name.isEmpty else {
            throw .modelNotFound("model '\(model)' names no provider; write it as provider/model, e.g. mock/echo")
        }
        guard let route = routes[name] else {
            let known = providers.map(\.name).joined(separator: ", ")
            throw .modelNotFound("unknown provider '\(name)' in model '\(name)/\(model)'; configured providers: \(known)")
        }
        guard route.serves(model) else {
            throw .modelNotFound("provider '\(name)' has no model '\(model)'")
        }
        return route
    }

    /// Removes the `fallbacks` parameter from the request and returns it: `nil` when absent
    /// (configured fallbacks apply), an empty list to ask for none.
    static func takeFallbacks(from request: inout ChatRequest) throws(BifrostError) -> [String]? {
        guard let value = request.removeGatewayField("fallbacks") else { return nil }
        switch value {
        case .null:
            return nil
        case .array(let elements):
            var names: [String] = []
            for (index, element) in elements.enumerated() {
                guard case .string(let name) = element else {
                    throw .invalidRequest(
                        "fallbacks[\(index)]: expected a \"provider/model\" string, got \(element.kindDescription)",
                        param: "fallbacks")
                }
                names.append(name)
            }
            return names
        default:
            throw .invalidRequest(
                "fallbacks: expected an array of \"provider/model\" strings, got \(value.kindDescription)", param: "fallbacks")
        }
    }

    /// Checks that a client's fallbacks name models this gateway serves.
    private func validate(requested fallbacks: [String]?) throws(BifrostError) {
        for (index, name) in (fallbacks ?? []).enumerated() {
            let (provider, model) = ChatRequest.splitModel(name)
            do throws(BifrostError) {
                _ = try route(String(provider), model: String(model))
            } catch {
                throw .invalidRequest("fallbacks[\(index)]: \(error.message)", param: "fallbacks", code: "model_not_found")
            }
        }
    }

    // MARK: - Attempts

    /// What answered: the value, which provider and model, how many attempts it took.
    struct Served<Value> {
        var value: Value
        var provider: String
        var model: String
        var attempts: Int
        var isFallback: Bool
        /// The concurrency slot, still held when the caller asked to keep it (streams).
        var slot: ProviderGate.Permit

        func stamp(_ headers: inout HeaderFields) {
            headers[Dispatcher.attemptsHeader] = String(attempts)
            // The body names the model as the upstream did; the route is a gateway fact.
            headers[Dispatcher.modelHeader] = model
            if isFallback { headers[Dispatcher.fallbackHeader] = "\(provider)/\(model)" }
        }
    }

    /// Tries the primary `provider/model`, then each fallback, until one answers.
    private func run<Value>(
        provider: String, model: String, fallbacks requested: [String]?, holdSlot: Bool, context: RequestContext,
        operation: (Route, String, ProviderCredentials) async throws(BifrostError) -> Value
    ) async -> Result<Served<Value>, BifrostError> {
        let started = RequestContext.monotonicNanoseconds()
        var attempts = 0
        defer { context.recordDispatch(nanoseconds: RequestContext.monotonicNanoseconds() - started, attempts: attempts) }
        let primary: Route
        do throws(BifrostError) {
            primary = try route(provider, model: model)
        } catch {
            return .failure(attributed(error, to: provider))
        }
        let fallbacks = requested ?? primary.fallbacks[model] ?? []
        var lastError: BifrostError?
        var fallbacksTried: [String] = []
        for index in 0...fallbacks.count {
            let route: Route
            let candidateModel: String
            if index == 0 {
                (route, candidateModel) = (primary, model)
            } else {
                if let lastError, !RetryRules.allowsFallback(lastError) { break }
                if Task.isCancelled { break }
                let (fallbackProvider, fallbackModel) = ChatRequest.splitModel(fallbacks[index - 1])
                do throws(BifrostError) {
                    route = try self.route(String(fallbackProvider), model: String(fallbackModel))
                } catch {
                    logger.warning("skipping fallback '\(fallbacks[index - 1])' of \(provider)/\(model): \(error.message)")
                    continue
                }
                candidateModel = String(fallbackModel)
                fallbacksTried.append("\(route.name)/\(candidateModel)")
                logger.info("falling back from \(provider)/\(model) to \(route.name)/\(candidateModel)")
            }
            let result = await attempt(
                route, model: candidateModel, attempts: &attempts, holdSlot: holdSlot, operation: operation)
            switch result {
            case .success(let (value, slot)):
                return .success(
                    Served(
                        value: value, provider: route.name, model: candidateModel, attempts: attempts, isFallback: index > 0,
                        slot: slot))
            case .failure(let error):
                lastError = attributed(error, to: route.name)
            }
        }
        var error = Task.isCancelled ? ProviderGate.cancelledError : lastError ?? ProviderGate.cancelledError
        error.headers[Self.attemptsHeader] = String(attempts)
        error.fallbacksTried = fallbacksTried
        return .failure(error)
    }

    /// Up to `retry.maxAttempts` attempts at one provider, rotating keys and backing off.
    private func attempt<Value>(
        _ route: Route, model: String, attempts: inout Int, holdSlot: Bool,
        operation: (Route, String, ProviderCredentials) async throws(BifrostError) -> Value
    ) async -> Result<(Value, ProviderGate.Permit), BifrostError> {
        let allowed: [APIKey]
        do throws(BifrostError) {
            allowed = try route.keys.allowedKeys(for: model)
        } catch {
            return .failure(error)
        }
        var avoid: Set<String> = []
        let maxAttempts = max(1, route.retry.maxAttempts)
        for number in 1...maxAttempts {
            if Task.isCancelled { return .failure(ProviderGate.cancelledError) }
            let key = KeySelector.pick(from: allowed, avoiding: avoid)
            let slot: ProviderGate.Permit
            do throws(BifrostError) {
                slot = try await route.gate?.acquire() ?? .unlimited
            } catch {
                return .failure(error)
            }
            attempts += 1
            let error: BifrostError
            do throws(BifrostError) {
                let value = try await operation(route, model, key?.credentials ?? .none)
                if !holdSlot { slot.release() }
                return .success((value, slot))
            } catch let failure {
                slot.release()
                error = failure
            }
            if Task.isCancelled { return .failure(ProviderGate.cancelledError) }
            let rotates = key != nil && RetryRules.keyRotationStatuses.contains(error.status)
            if rotates, let key { avoid.insert(key.id) }
            let fresh = KeySelector.hasFreshKey(allowed, avoiding: avoid)
            let keyText = key.map { " with key \($0.id)" } ?? ""
            guard number < maxAttempts, RetryRules.isRetryable(error, hasFreshKey: fresh) else {
                logger.debug(
                    "\(route.name)/\(model) attempt \(number)/\(maxAttempts)\(keyText) failed with \(error.status) (\(error.type)); giving up"
                )
                return .failure(error)
            }
            let wait =
                rotates && fresh
                ? .zero : RetryRules.delay(after: error, failures: number, policy: route.retry)
            logger.debug(
                "\(route.name)/\(model) attempt \(number)/\(maxAttempts)\(keyText) failed with \(error.status) (\(error.type)); retrying in \(wait)"
            )
            if wait > .zero {
                do { try await sleep(wait) } catch { return .failure(ProviderGate.cancelledError) }
            }
        }
        return .failure(ProviderGate.cancelledError)  // unreachable: the loop returns on its last attempt
    }

    private func attributed(_ error: BifrostError, to provider: String) -> BifrostError {
        var error = error
        if case .gateway = error.source, routes[provider] != nil, error.code != "model_not_found" {
            error.source = .provider(provider)
        }
        return error
    }
}
