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

        if request.isStreaming {
            switch await bifrost.chatStreamResult(request, context: context) {
            case .success(let stream):
                return .stream(
                    HTTPStreamingResponse(
                        stream: stream, encoder: OpenAIShapedStreamEncoder(OpenAIStreamEncoder(includeUsage: includeUsage)),
                        requestID: context.requestID, provider: request.provider, model: request.model))
            case .failure(let error):
                logFailure("chat completion stream", error, context: context)
                return .complete(HTTPServerResponse(error: error, requestID: context.requestID))
            }
        }

        switch await bifrost.chatOutcome(request, context: context) {
        case .response(let response):
            return .complete(HTTPServerResponse(chat: response, requestID: context.requestID))
        case .failure(let error):
            logFailure("chat completion", error, context: context)
            return .complete(HTTPServerResponse(error: error, requestID: context.requestID))
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
}
