/// An LLM provider the dispatcher sends requests to.
///
/// ```swift
/// struct Canned: Provider {
///     let name = "canned"
///     let models = ["one"]
///     func chatCompletion(_ request: ChatRequest, context: RequestContext) async throws(BifrostError) -> ChatResponse {
///         ChatResponse(provider: name, model: request.model, choices: [.init(content: "always this")])
///     }
/// }
/// ```
public protocol Provider: Sendable {
    /// The name clients use as the prefix of `provider/model`.
    var name: String { get }
    /// The models this provider serves, without the provider prefix.
    var models: [String] { get }
    /// Answers a chat request, or fails with the error the client should see.
    func chatCompletion(_ request: ChatRequest, context: RequestContext) async throws(BifrostError) -> ChatResponse
}

/// Sends each request to the provider its `provider/model` names.
///
/// ```swift
/// let dispatcher = Dispatcher(providers: [MockProvider()])
/// let outcome = await dispatcher.dispatch(request, context: context)
/// ```
public struct Dispatcher: Sendable {
    private let providersByName: [String: any Provider]
    private let modelsByProvider: [String: Set<String>]
    /// The providers, in the order given.
    public let providers: [any Provider]

    /// Creates a dispatcher; provider names must be unique.
    public init(providers: [any Provider]) {
        self.providers = providers
        var byName: [String: any Provider] = [:]
        var models: [String: Set<String>] = [:]
        for provider in providers {
            byName[provider.name] = provider
            models[provider.name] = Set(provider.models)
        }
        providersByName = byName
        modelsByProvider = models
    }

    /// Every model as `provider/model`, in provider order.
    public var qualifiedModels: [(provider: String, model: String)] {
        providers.flatMap { provider in provider.models.map { (provider.name, $0) } }
    }

    /// Calls the request's provider and returns its answer or error.
    public func dispatch(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        guard !request.provider.isEmpty else {
            return .failure(
                .modelNotFound("model '\(request.model)' names no provider; write it as provider/model, e.g. mock/echo"))
        }
        guard let provider = providersByName[request.provider] else {
            let known = providers.map(\.name).joined(separator: ", ")
            return .failure(
                .modelNotFound(
                    "unknown provider '\(request.provider)' in model '\(request.qualifiedModel)'; configured providers: \(known)")
            )
        }
        guard modelsByProvider[request.provider]?.contains(request.model) == true else {
            return .failure(.modelNotFound("provider '\(request.provider)' has no model '\(request.model)'"))
        }
        do {
            var response = try await provider.chatCompletion(request, context: context)
            if response.provider.isEmpty { response.provider = provider.name }
            return .response(response)
        } catch {
            var error = error
            if case .gateway = error.source { error.source = .provider(provider.name) }
            return .failure(error)
        }
    }
}
