import BifrostCore
import BifrostLibrary
import BifrostWire
import Logging
import NIOCore
import NIOHTTP1

extension HTTPRouter {
    /// `POST /v1/chat/completions`: reads the body, runs the plugin chain and the provider,
    /// and builds the answer: a JSON `chat.completion`, or with `"stream": true` server-sent
    /// `chat.completion.chunk` events. Runs in a task, off the event loop.
    func chatCompletions(body: ByteBuffer, headers: HTTPHeaders, context: RequestContext) async -> HTTPAnswer {
        let request: ChatRequest
        let includeUsage: Bool
        do {
            request = try ChatRequest(openAIJSON: body.readableBytesView, headers: Self.headerFields(headers))
            includeUsage = try Self.includeUsage(request)
        } catch {
            return .complete(HTTPServerResponse(error: error, requestID: context.requestID))
        }

        return await answerChat(
            request, context: context, route: "chat completion",
            encoder: OpenAIShapedStreamEncoder(OpenAIStreamEncoder(includeUsage: includeUsage))
        ) { response in
            HTTPServerResponse(chat: response, requestID: context.requestID)
        }
    }

    /// `stream_options.include_usage`, checked: `stream_options` must be an object (or null)
    /// and is allowed only with `"stream": true`, as OpenAI has it.
    static func includeUsage(_ request: ChatRequest) throws(BifrostError) -> Bool {
        guard let options = request.parameters["stream_options"] else { return false }
        switch options {
        case .null:
            return false
        case .object(let fields):
            guard request.isStreaming else {
                throw .invalidRequest(
                    "'stream_options' is only allowed when 'stream' is true", param: "stream_options")
            }
            switch fields["include_usage"] {
            case nil, .null?: return false
            case .bool(let flag)?: return flag
            case let other?:
                throw .invalidRequest(
                    "'stream_options.include_usage' must be a boolean, got \(other.kindDescription)",
                    param: "stream_options.include_usage")
            }
        default:
            throw .invalidRequest(
                "'stream_options' must be an object, got \(options.kindDescription)", param: "stream_options")
        }
    }

    /// Runs a request read from any route's wire format through the library: streamed as
    /// `encoder`'s events, or whole as `answer` writes it. An error before the stream or the
    /// answer is logged (5xx) and answered in the route's own shape (`encoder.errorResponse`).
    func answerChat(
        _ request: ChatRequest, context: RequestContext, route: String, encoder: some ChatStreamEncoder,
        streamHeaders: HeaderFields = HeaderFields(), answer: (ChatResponse) -> HTTPServerResponse
    ) async -> HTTPAnswer {
        if encoder.readsTypedView { context.readsTypedAnswer = true }
        if request.isStreaming {
            switch await bifrost.chatStreamResult(request, context: context) {
            case .success(let stream):
                return .stream(
                    HTTPStreamingResponse(
                        stream: stream, encoder: encoder, requestID: context.requestID, provider: request.provider,
                        model: request.model, extraHeaders: streamHeaders))
            case .failure(let error):
                logFailure("\(route) stream", error, context: context)
                return .complete(encoder.errorResponse(error, requestID: context.requestID))
            }
        }
        switch await bifrost.chatOutcome(request, context: context) {
        case .response(let response):
            return .complete(answer(response))
        case .failure(let error):
            logFailure(route, error, context: context)
            return .complete(encoder.errorResponse(error, requestID: context.requestID))
        }
    }
}
