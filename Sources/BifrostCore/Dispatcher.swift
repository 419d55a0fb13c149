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
        do throws(BifrostError) {
            let provider = try self.provider(request.provider, model: request.model)
            var response = try await provider.chatCompletion(request, credentials: .none, context: context)
            if response.provider.isEmpty { response.provider = provider.name }
            return .response(response)
        } catch {
            return .failure(attributed(error, to: request.provider))
        }
    }

    /// Opens the request's provider's stream; errors before the first chunk are returned.
    public func dispatchStream(_ request: ChatRequest, context: RequestContext) async -> Result<ChatStream, BifrostError> {
        do throws(BifrostError) {
            let provider = try self.provider(request.provider, model: request.model)
            return .success(try await provider.chatCompletionStream(request, credentials: .none, context: context))
        } catch {
            return .failure(attributed(error, to: request.provider))
        }
    }

    /// Calls the request's provider for embeddings.
    public func embeddings(_ request: EmbeddingRequest, context: RequestContext) async -> Result<EmbeddingResponse, BifrostError>
    {
        do throws(BifrostError) {
            let provider = try self.provider(request.provider, model: request.model)
            return .success(try await provider.embeddings(request, credentials: .none, context: context))
        } catch {
            return .failure(attributed(error, to: request.provider))
        }
    }

    /// The provider serving `provider/model`, or a 404 naming what is missing.
    public func provider(_ name: String, model: String) throws(BifrostError) -> any Provider {
        guard !name.isEmpty else {
            throw .modelNotFound("model '\(model)' names no provider; write it as provider/model, e.g. mock/echo")
        }
        guard let provider = providersByName[name] else {
            let known = providers.map(\.name).joined(separator: ", ")
            throw .modelNotFound("unknown provider '\(name)' in model '\(name)/\(model)'; configured providers: \(known)")
        }
        guard modelsByProvider[name]?.contains(model) == true else {
            throw .modelNotFound("provider '\(name)' has no model '\(model)'")
        }
        return provider
    }

    private func attributed(_ error: BifrostError, to provider: String) -> BifrostError {
        var error = error
        if case .gateway = error.source, providersByName[provider] != nil, error.code != "model_not_found" {
            error.source = .provider(provider)
        }
        return error
    }
}
