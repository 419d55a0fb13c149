import BifrostCore
import BifrostLibrary

/// The library's throwing calls as values, so that a route can switch over success and failure.
extension Bifrost {
    /// ``BifrostLibrary/Bifrost/chatCompletion(_:context:)`` as a ``BifrostCore/ChatOutcome``.
    func chatOutcome(_ request: ChatRequest, context: RequestContext) async -> ChatOutcome {
        do throws(BifrostError) {
            return .response(try await chatCompletion(request, context: context))
        } catch {
            return .failure(error)
        }
    }

    /// ``BifrostLibrary/Bifrost/chatCompletionStream(_:context:)`` as a `Result`.
    func chatStreamResult(_ request: ChatRequest, context: RequestContext) async -> Result<ChatStream, BifrostError> {
        do throws(BifrostError) {
            return .success(try await chatCompletionStream(request, context: context))
        } catch {
            return .failure(error)
        }
    }

    /// ``BifrostLibrary/Bifrost/embeddings(_:context:)`` as a `Result`.
    func embeddingsResult(_ request: EmbeddingRequest, context: RequestContext) async -> Result<EmbeddingResponse, BifrostError> {
        do throws(BifrostError) {
            return .success(try await embeddings(request, context: context))
        } catch {
            return .failure(error)
        }
    }
}
