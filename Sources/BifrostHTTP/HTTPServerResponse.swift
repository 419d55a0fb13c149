import BifrostCore
import BifrostWire
import NIOCore
import NIOHTTP1

/// A complete JSON answer, ready for the channel: status, headers and body.
///
/// Built off the event loop for chat requests (everything in it is `Sendable`), written on
/// it by ``HTTPHandler``, which adds only the `connection` header.
///
/// Its fields are checked here, where they are made, and nowhere after: the server's own are
/// constants or checked at their source (the request id, the admin session), the route's
/// stamps and every plugin or answer header pass ``HeaderFields/isValidValue(_:)``.
struct HTTPServerResponse: Sendable {
    /// The status line's code.
    var status: HTTPResponseStatus
    /// Every header: framing, `x-request-id`, and those of plugins.
    var headers: HTTPHeaders
    /// The JSON body.
    var body: ByteBuffer

    /// Allocates bodies built outside a channel; NIO's default allocator, as channels use.
    static let allocator = ByteBufferAllocator()

    /// A JSON answer with the headers every response carries, then `extra` (plugins' headers).
    init(
        status: HTTPResponseStatus, body: ByteBuffer, requestID: String,
        extra: HeaderFields = HeaderFields()
    ) {
        var headers = HTTPHeaders()
        headers.reserveCapacity(4 + extra.count)
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(body.readableBytes))
        headers.add(name: "x-request-id", value: requestID)
        self.status = status
        self.headers = headers
        self.body = body
        if !extra.isEmpty { merge(extra) }
    }

    /// A JSON answer whose body is `bytes`.
    init(
        status: HTTPResponseStatus, bytes: [UInt8], requestID: String,
        extra: HeaderFields = HeaderFields()
    ) {
        self.init(
            status: status, body: Self.allocator.buffer(bytes: bytes), requestID: requestID, extra: extra)
    }

    /// An error in OpenAI's shape, with the error's status and headers.
    /// A status outside 400–599 (a plugin's mistake) is sent as 500, since a client would
    /// misread an error body under a success or informational status.
    init(error: BifrostError, requestID: String) {
        let status = (400...599).contains(error.status) ? error.status : 500
        self.init(
            status: HTTPResponseStatus(statusCode: status), bytes: error.openAIJSON(), requestID: requestID,
            extra: error.headers)
    }

    /// A chat completion with the route's headers and the response's.
    init(chat response: ChatResponse, requestID: String) {
        self.init(
            answer: response.openAIJSON(), provider: response.provider, model: response.model, headers: response.headers,
            requestID: requestID)
    }

    /// An answer of any route: `bytes`, the route facts (``stampRoute(_:provider:model:)``), then
    /// the answer's own headers (the dispatcher's `x-bifrost-*`, plugins'), the one merge for
    /// every route.
    init(answer bytes: [UInt8], provider: String, model: String, headers answerHeaders: HeaderFields, requestID: String) {
        self.init(status: .ok, bytes: bytes, requestID: requestID)
        Self.stampRoute(&headers, provider: provider, model: model)
        if !answerHeaders.isEmpty { merge(answerHeaders) }
    }

    /// `x-bifrost-provider` and `x-bifrost-model`, for whole answers and a stream's head alike;
    /// the dispatcher's `x-bifrost-model` (the model routed to), merged later, replaces `model`.
    ///
    /// A model name comes from the upstream or the client: one that cannot be a field value
    /// (CR, LF, NUL) leaves its stamp out, since nothing checks the head after this.
    static func stampRoute(_ headers: inout HTTPHeaders, provider: String, model: String) {
        if HeaderFields.isValidValue(provider) { headers.add(name: providerStamp, value: provider) }
        if HeaderFields.isValidValue(model) { headers.add(name: modelStamp, value: model) }
    }

    private static let providerStamp = "x-bifrost-provider"
    private static let modelStamp = "x-bifrost-model"

    /// Headers the server owns; plugins cannot replace them (framing, the request id, the chain generation).
    private static func isReserved(_ name: String) -> Bool {
        switch name {
        case "content-length", "content-type", "transfer-encoding", "connection", "x-request-id",
            "keep-alive",
            "upgrade", "trailer", ChainGenerationTag.headerName:
            return true
        default:
            return false
        }
    }

    /// Whether a plugin may send this header: not one the server owns, and well formed.
    static func allowsPluginHeader(_ name: String, _ value: String) -> Bool {
        !isReserved(name) && HeaderFields.isValidName(name) && HeaderFields.isValidValue(value)
    }

    /// Adds plugin headers: a name seen for the first time replaces the server's value
    /// (e.g. `x-bifrost-model`), repeats are appended (e.g. several `set-cookie`).
    /// Reserved names and fields that would break the framing (CR, LF, NUL, bad names) are dropped.
    ///
    /// The server's own headers are reserved but for the route's stamps, so only a stamp's name
    /// is looked for among them; every other field is appended without a search.
    private mutating func merge(_ extra: HeaderFields) {
        var replacedStamps: (provider: Bool, model: Bool) = (false, false)
        for field in extra {
            guard Self.allowsPluginHeader(field.name, field.value) else { continue }
            switch field.name {
            case Self.providerStamp where !replacedStamps.provider:
                replacedStamps.provider = true
                headers.replaceOrAdd(name: field.name, value: field.value)
            case Self.modelStamp where !replacedStamps.model:
                replacedStamps.model = true
                headers.replaceOrAdd(name: field.name, value: field.value)
            default:
                headers.add(name: field.name, value: field.value)
            }
        }
    }
}
