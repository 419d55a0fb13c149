import BifrostCore
import Logging
import NIOCore
import NIOHTTP1

extension HTTPRouter {
    /// `POST /v1/chat/completions`: reads the body, runs the plugin chain and the provider,
    /// and builds the answer. Runs in a task, off the event loop.
    func chatCompletions(body: ByteBuffer, headers: HTTPHeaders, context: RequestContext) async
        -> HTTPServerResponse
    {
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count)
        for (name, value) in headers { fields.append((name, value)) }

        let request: ChatRequest
        do {
            request = try ChatRequest(openAIJSON: body.readableBytesView, headers: HeaderFields(fields))
        } catch {
            return HTTPServerResponse(error: error, requestID: context.requestID)
        }
        if case .bool(true)? = request.parameters["stream"] {
            return HTTPServerResponse(error: Self.streamingUnsupported, requestID: context.requestID)
        }

        switch await bifrost.chatCompletion(request, context: context) {
        case .response(let response):
            return HTTPServerResponse(chat: response, requestID: context.requestID)
        case .failure(let error):
            if error.status >= 500 {
                logger.warning(
                    "chat completion failed",
                    metadata: [
                        "request_id": "\(context.requestID)", "status": "\(error.status)",
                        "error": "\(error.message)",
                    ])
            }
            return HTTPServerResponse(error: error, requestID: context.requestID)
        }
    }

    /// 400 for `"stream": true`, which this version does not serve yet.
    static let streamingUnsupported = BifrostError.invalidRequest(
        "streaming is not supported yet: this version of the gateway answers only with a complete response; "
            + "send the request without \"stream\" or with \"stream\": false",
        param: "stream", code: "unsupported_parameter")
}
