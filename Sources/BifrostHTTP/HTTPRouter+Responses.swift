import BifrostCore
import BifrostLibrary
import BifrostWire
import NIOCore
import NIOHTTP1

extension HTTPRouter {
    /// `POST /v1/responses`: OpenAI's Responses API, so the official SDKs' `responses.create`
    /// and `responses.stream` work with only their base URL changed.
    ///
    /// The body is read into the core's request (`ChatRequest(responsesJSON:headers:)` of BifrostWire,
    /// which keeps it as it came), runs through the same plugin chain and providers as chat
    /// completions, and the answer is a `response` object, or with `"stream": true` the API's
    /// typed events (`response.created` … `response.completed`). An OpenAI-compatible provider
    /// sends the body to its upstream's `/responses` and the upstream's answer comes back as it
    /// was sent. Errors have OpenAI's shape `{"error":{"message","type","param","code"}}`, which
    /// the Responses API shares, with the error's status. Runs in a task.
    func responses(body: ByteBuffer, headers: HTTPHeaders, context: RequestContext) async -> HTTPAnswer {
        let request: ChatRequest
        do {
            request = try ChatRequest(responsesJSON: body.readableBytesView, headers: Self.headerFields(headers))
        } catch {
            return .complete(HTTPServerResponse(error: error, requestID: context.requestID))
        }
        return await answerChat(
            request, context: context, route: "responses",
            encoder: OpenAIShapedStreamEncoder(ResponsesStreamEncoder(echoing: request.responsesEcho))
        ) { response in
            HTTPServerResponse(
                answer: response.responsesJSON(echoing: request.responsesEcho), provider: response.provider,
                model: response.model, headers: response.headers, requestID: context.requestID)
        }
    }
}
