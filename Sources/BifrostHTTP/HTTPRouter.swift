import BifrostCore
import BifrostLibrary
import BifrostWire
import Dispatch
import Logging
import NIOCore
import NIOHTTP1

#if canImport(Glibc)
    import Glibc
#endif

/// Maps a method and path to a route and builds the answers of the routes that need no
/// plugin chain. Immutable and `Sendable`: one per server, shared by every connection.
struct HTTPRouter: Sendable {
    /// The routes the gateway serves.
    enum Route: Sendable, Hashable {
        /// `POST /v1/chat/completions`
        case chatCompletions
        /// `POST /v1/responses`
        case responses
        /// `POST /v1/embeddings`
        case embeddings
        /// `POST /anthropic/v1/messages`
        case anthropicMessages
        /// `GET /v1/models`
        case models
        /// `GET /health`
        case health
        /// `GET /api/plugins`
        case plugins
        /// `POST /api/plugins/reload` (admin only)
        case reloadPlugins
        /// `GET /metrics`
        case metrics
        /// The console and the rest of the admin API (`HTTPRouter+Admin.swift`).
        case admin(AdminRoute)

        /// Whether the route reads the request body and answers from a task (through the
        /// core); the others are answered at once on the event loop.
        var isAsynchronous: Bool {
            switch self {
            case .chatCompletions, .responses, .embeddings, .anthropicMessages, .reloadPlugins, .admin: true
            case .models, .health, .plugins, .metrics: false
            }
        }
    }

    /// What a request line resolves to.
    enum Resolution: Sendable, Hashable {
        /// A route that accepts the method.
        case route(Route)
        /// No such path.
        case notFound
        /// A known path with another method; the value is the `allow` header.
        case methodNotAllowed(allow: String)
    }

    /// The library instance behind the routes.
    let bifrost: Bifrost
    /// The configured body limit, for the 413 message.
    let maxBodyBytes: Int
    /// Where chat requests' tasks run.
    let requestExecutor: RequestExecutor
    /// For request-level diagnostics.
    let logger: Logger
    /// Reloads the plugin chain (the gateway's reload, which reads its configuration again);
    /// `nil` when the server runs without one.
    let reloadPlugins: (@Sendable () -> PluginReloadStatus?)?
    /// Who may use `/api/*` and `/ui`.
    let admin: AdminGate
    /// The console's live tail and statistics.
    let console: ConsoleRecorder
    /// What client ids are keyed with.
    let clientIDSecret: ClientIDSecret
    /// `/v1/models`: the providers cannot change while the server runs, so written once.
    private let modelsBody: ByteBuffer

    /// `/health`.
    private static let healthBody = HTTPServerResponse.allocator.buffer(string: #"{"status":"ok"}"#)

    /// Every route, for the 404 message.
    private static let routeList =
        "POST /v1/chat/completions, POST /v1/responses, POST /v1/embeddings, GET /v1/models, POST /anthropic/v1/messages, GET /health, "
        + "GET /api/plugins, GET /metrics, GET /ui"

    init(
        bifrost: Bifrost, models: [ServedModel], maxBodyBytes: Int, requestExecutor: RequestExecutor, logger: Logger,
        reloadPlugins: (@Sendable () -> PluginReloadStatus?)? = nil, adminToken: AdminToken? = nil,
        consoleSampleInterval: Duration = .seconds(5), clientIDSecret: ClientIDSecret = .processDefault
    ) {
        self.reloadPlugins = reloadPlugins
        self.clientIDSecret = clientIDSecret
        admin = AdminGate(token: adminToken, logger: logger)
        console = ConsoleRecorder(metrics: bifrost.metrics, sampleInterval: consoleSampleInterval)
        self.bifrost = bifrost
        self.maxBodyBytes = maxBodyBytes
        self.requestExecutor = requestExecutor
        self.logger = logger
        self.modelsBody = HTTPServerResponse.allocator.buffer(
            bytes: Self.modelsJSON(models))
    }

    /// The route for a method and a path (the request target without its query).
    func resolve(method: HTTPMethod, path: String) -> Resolution {
        switch path {
        case "/v1/chat/completions":
            return method == .POST ? .route(.chatCompletions) : .methodNotAllowed(allow: "POST")
        case ResponsesWire.route:
            return method == .POST ? .route(.responses) : .methodNotAllowed(allow: "POST")
        case "/v1/embeddings":
            return method == .POST ? .route(.embeddings) : .methodNotAllowed(allow: "POST")
        case "/anthropic/v1/messages":
            return method == .POST ? .route(.anthropicMessages) : .methodNotAllowed(allow: "POST")
        case "/v1/models":
            return method == .GET ? .route(.models) : .methodNotAllowed(allow: "GET")
        case "/health":
            return method == .GET ? .route(.health) : .methodNotAllowed(allow: "GET")
        case "/api/plugins":
            return method == .GET ? .route(.plugins) : .methodNotAllowed(allow: "GET")
        case "/api/plugins/reload":
            return method == .POST ? .route(.reloadPlugins) : .methodNotAllowed(allow: "POST")
        case "/metrics":
            return method == .GET ? .route(.metrics) : .methodNotAllowed(allow: "GET")
        default:
            return resolveAdmin(method: method, path: path) ?? .notFound
        }
    }

    /// The path of a request target: origin form without `?query`/`#fragment`; for absolute
    /// form (`http://host/path`) the part after the authority.
    static func path(ofTarget target: String) -> String {
        var path = Substring(target)
        if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            path = path[..<end]
        }
        if !path.hasPrefix("/"), let scheme = path.firstRange(of: "://") {
            let authority = path[scheme.upperBound...]
            path = authority.firstIndex(of: "/").map { authority[$0...] } ?? "/"
        }
        return String(path)
    }

    /// The answer of a route that needs no task (``Route/isAsynchronous`` is `false`).
    func respond(to route: Route, requestID: String) -> HTTPServerResponse {
        switch route {
        case .health:
            return HTTPServerResponse(status: .ok, body: Self.healthBody, requestID: requestID)
        case .models:
            return HTTPServerResponse(status: .ok, body: modelsBody, requestID: requestID)
        case .plugins:
            return HTTPServerResponse(
                status: .ok,
                bytes: Self.pluginsJSON(
                    bifrost.loadedPlugins, generation: bifrost.chainGeneration, lastReload: bifrost.lastReload,
                    services: bifrost.hostServices),
                requestID: requestID)
        case .metrics:
            var response = HTTPServerResponse(
                status: .ok, body: HTTPServerResponse.allocator.buffer(string: bifrost.metrics.render()), requestID: requestID)
            response.headers.replaceOrAdd(name: "content-type", value: MetricsRegistry.contentType)
            return response
        case .chatCompletions, .responses, .embeddings, .anthropicMessages, .reloadPlugins, .admin:
            // These run in a task; see `answer(_:body:headers:context:)`.
            preconditionFailure("\(route) is not answered synchronously")
        }
    }

    /// The answer of a route that runs in a task (``Route/isAsynchronous`` is `true`).
    func answer(
        _ route: Route, body: ByteBuffer, headers: HTTPHeaders, context: RequestContext, caller: PluginControlActor? = nil
    ) async -> HTTPAnswer {
        let answer = await routeAnswer(route, body: body, headers: headers, context: context, caller: caller)
        recordForConsole(route, answer, context: context)
        // Complete answers got the plugins' headers from the chain; a stream's head is written here.
        guard case .stream(var streaming) = answer else {
            guard case .complete(var response) = answer, let tag = context.chainGeneration else { return answer }
            response.headers.add(name: ChainGenerationTag.headerName, value: tag.headerValue)
            return .complete(response)
        }
        streaming.chainGeneration = context.chainGeneration
        for field in context.responseHeaders
        where streaming.extraHeaders[field.name] == nil && HTTPServerResponse.allowsPluginHeader(field.name, field.value) {
            streaming.extraHeaders[field.name] = field.value
        }
        return .stream(streaming)
    }

    private func routeAnswer(
        _ route: Route, body: ByteBuffer, headers: HTTPHeaders, context: RequestContext, caller: PluginControlActor?
    ) async -> HTTPAnswer {
        switch route {
        case .chatCompletions:
            return await chatCompletions(body: body, headers: headers, context: context)
        case .responses:
            return await responses(body: body, headers: headers, context: context)
        case .embeddings:
            return .complete(await embeddings(body: body, headers: headers, context: context))
        case .anthropicMessages:
            return await anthropicMessages(body: body, headers: headers, context: context)
        case .reloadPlugins:
            if let caller { logger.notice("admin: plugin reload asked by \(caller)") }
            return .complete(await reload(requestID: context.requestID))
        case .admin(let adminRoute):
            let caller = caller ?? PluginControlActor(method: "anonymous", peer: context.clientID)
            return .complete(
                await answerAdmin(adminRoute, body: body, headers: headers, caller: caller, requestID: context.requestID))
        case .models, .health, .plugins, .metrics:
            return .complete(respond(to: route, requestID: context.requestID))
        }
    }

    /// Reloads the chain off the event loop (loading plugins opens files and runs their
    /// `create`): 200 with the new generation, or 422 with why the old chain stays.
    private func reload(requestID: String) async -> HTTPServerResponse {
        guard let reloadPlugins else {
            return HTTPServerResponse(
                error: BifrostError(
                    status: 503, type: "service_unavailable", code: "reload_unavailable",
                    message: "this server cannot reload its plugins (it was started without a gateway configuration)"),
                requestID: requestID)
        }
        let status = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: reloadPlugins()) }
        }
        guard let status else {
            return HTTPServerResponse(
                error: BifrostError(
                    status: 503, type: "service_unavailable", code: "reload_unavailable", message: "the gateway is stopping"),
                requestID: requestID)
        }
        guard status.succeeded else {
            return HTTPServerResponse(
                error: BifrostError(
                    status: 422, type: "invalid_request_error", code: "reload_refused", message: status.message),
                requestID: requestID)
        }
        var writer = JSONWriter(capacity: 128 + status.message.utf8.count)
        writer.beginObject()
        writer.key("reloaded")
        writer.bool(true)
        writer.key("generation")
        writer.number(Int(status.generation))
        writer.key("message")
        writer.string(status.message)
        writer.endObject()
        return HTTPServerResponse(status: .ok, bytes: writer.bytes, requestID: requestID)
    }

    /// The request's headers as the core's ``BifrostCore/HeaderFields``.
    static func headerFields(_ headers: HTTPHeaders) -> HeaderFields {
        var fields: [(String, String)] = []
        fields.reserveCapacity(headers.count)
        for (name, value) in headers { fields.append((name, value)) }
        return HeaderFields(fields)
    }

    /// Logs a failure that is the gateway's or the upstream's fault (5xx).
    func logFailure(_ what: String, _ error: BifrostError, context: RequestContext) {
        guard error.status >= 500 else { return }
        logger.warning(
            "\(what) failed",
            metadata: [
                "request_id": "\(context.requestID)", "status": "\(error.status)", "error": "\(error.message)",
            ])
    }

    /// 404 for a path the gateway does not serve.
    func notFound(method: HTTPMethod, path: String, requestID: String) -> HTTPServerResponse {
        let error = BifrostError(
            status: 404, type: "invalid_request_error", code: "unknown_route",
            message: "unknown route: \(method.rawValue) \(path) (this gateway serves \(Self.routeList))")
        return HTTPServerResponse(error: error, requestID: requestID)
    }

    /// 405 for a known path with the wrong method, with `allow`.
    func methodNotAllowed(method: HTTPMethod, path: String, allow: String, requestID: String)
        -> HTTPServerResponse
    {
        var headers = HeaderFields()
        headers["allow"] = allow
        let error = BifrostError(
            status: 405, type: "invalid_request_error", code: "method_not_allowed",
            message: "method \(method.rawValue) is not allowed on \(path); use \(allow)", headers: headers
        )
        return HTTPServerResponse(error: error, requestID: requestID)
    }

    /// 413 for a body over the limit.
    func bodyTooLarge(requestID: String) -> HTTPServerResponse {
        let error = BifrostError(
            status: 413, type: "invalid_request_error", code: "request_too_large",
            message: "request body exceeds the limit of \(maxBodyBytes) bytes")
        return HTTPServerResponse(error: error, requestID: requestID)
    }

    /// `{"object":"list","data":[{"id":"mock/echo","object":"model","created":0,"owned_by":"mock"},…]}`
    static func modelsJSON(_ models: [ServedModel]) -> [UInt8] {
        var writer = JSONWriter(capacity: 32 + models.count * 80)
        writer.beginObject()
        writer.key("object")
        writer.string("list")
        writer.key("data")
        writer.beginArray()
        for model in models {
            writer.beginObject()
            writer.key("id")
            writer.string(model.id)
            writer.key("object")
            writer.string("model")
            writer.key("created")
            writer.number(0)
            writer.key("owned_by")
            writer.string(model.provider)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// `{"generation":n,"last_reload":{…}|null,"plugins":[{"name","version","kind","abi_version","file",
    /// "content_hash","generation","loaded_at","hooks","capabilities","failure_policy","hook_deadline_ms","isolation","worker"?,"state_store","position"},…]}`
    /// in chain order.
    static func pluginsJSON(
        _ plugins: [LoadedPluginStatus], generation: UInt64, lastReload: PluginReloadStatus?, services: (any HostServices)? = nil
    ) -> [UInt8] {
        var writer = JSONWriter(capacity: 160 + plugins.count * 300)
        writer.beginObject()
        writer.key("generation")
        writer.number(Int(generation))
        writer.key("last_reload")
        if let lastReload {
            writer.beginObject()
            writer.key("at")
            writer.string(Self.timestamp(lastReload.finishedAtNanoseconds))
            writer.key("succeeded")
            writer.bool(lastReload.succeeded)
            writer.key("message")
            writer.string(lastReload.message)
            writer.endObject()
        } else {
            writer.null()
        }
        writer.key("plugins")
        writer.beginArray()
        for (position, plugin) in plugins.enumerated() {
            let entry = plugin.entry
            let descriptor = entry.plugin.descriptor
            writer.beginObject()
            writer.key("name")
            writer.string(descriptor.name)
            writer.key("version")
            writer.string(descriptor.version)
            writer.key("kind")
            writer.string(descriptor.kind)
            writer.key("abi_version")
            writer.optionalString(descriptor.abiVersion)
            writer.key("file")
            writer.optionalString(descriptor.file)
            writer.key("content_hash")
            writer.optionalString(descriptor.contentHash)
            writer.key("generation")
            writer.number(Int(plugin.generation))
            writer.key("loaded_at")
            writer.string(Self.timestamp(plugin.loadedAtNanoseconds))
            writer.key("hooks")
            writer.beginArray()
            for name in descriptor.hooks.names { writer.string(name) }
            writer.endArray()
            Self.writeCapabilities(of: descriptor, to: &writer)
            writer.key("failure_policy")
            writer.string(entry.failurePolicy.rawValue)
            writer.key("hook_deadline_ms")
            writer.number(Int(entry.hookDeadline.wholeMilliseconds))
            Self.writeIsolation(of: entry.plugin, to: &writer)
            Self.writeState(of: entry, services: services, to: &writer)
            writer.key("position")
            writer.number(position)
            Self.writeControlFields(plugin, into: &writer)
            Self.writeCommands(of: entry.plugin, into: &writer)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// `"isolation":"in_process"`, or `"isolation":"process","worker":{"state","pid","crashes",
    /// "restarts","last_crash","last_crash_at"}` for a plugin in a worker process.
    static func writeIsolation(of plugin: any Plugin, to writer: inout JSONWriter) {
        writer.key("isolation")
        guard let supervised = plugin as? any SupervisedPlugin else {
            writer.string("in_process")
            return
        }
        let status = supervised.supervision
        writer.string("process")
        writer.key("worker")
        writer.beginObject()
        writer.key("state")
        writer.string(status.state.rawValue)
        writer.key("pid")
        if let processID = status.processID { writer.number(Int(processID)) } else { writer.null() }
        writer.key("crashes")
        writer.number(status.crashes)
        writer.key("restarts")
        writer.number(status.restarts)
        writer.key("last_crash")
        writer.optionalString(status.lastCrash)
        writer.key("last_crash_at")
        writer.optionalString(status.lastCrashTimeNanoseconds.map(Self.timestamp))
        writer.endObject()
    }

    /// `2026-12-01T12:00:00Z` for a time in nanoseconds since the Unix epoch.
    static func timestamp(_ nanoseconds: UInt64) -> String {
        var seconds = time_t(nanoseconds / 1_000_000_000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var text = [CChar](repeating: 0, count: 32)
        let count = strftime(&text, text.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: text.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
