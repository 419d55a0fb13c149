import BifrostCore
import BifrostLibrary
import NIOCore
import NIOHTTP1

/// The admin surface beyond `/api/plugins`: the console, its login, runtime control of the
/// chain, and the console's live tail and statistics.
enum AdminRoute: Sendable, Hashable {
    /// `GET /ui`
    case console
    /// `POST /api/login` with `{"token": "…"}`
    case login
    /// `POST /api/logout`
    case logout
    /// `GET /api/session`
    case session
    /// `GET /api/stats`
    case stats
    /// `GET /api/requests`
    case requests
    /// `POST /api/plugins/{name}/enable` or `…/disable`
    case setEnabled(plugin: String, enabled: Bool)
    /// `POST /api/plugins/{name}/failure_policy` with `{"failure_policy": "fail_open"}`
    case setFailurePolicy(plugin: String)
    /// `POST /api/plugins/{name}/commands/{command}` with the arguments as a JSON object
    case callCommand(plugin: String, command: String)
}

extension HTTPRouter.Route {
    /// What the admin gate requires of the route; `nil` for the client-facing routes.
    var adminAccess: AdminGate.Access? {
        switch self {
        case .plugins: .read
        case .reloadPlugins: .write
        case .admin(.console), .admin(.login): .open
        case .admin(.session), .admin(.stats), .admin(.requests): .read
        case .admin(.logout), .admin(.setEnabled), .admin(.setFailurePolicy), .admin(.callCommand): .write
        case .chatCompletions, .responses, .embeddings, .anthropicMessages, .models, .health, .metrics: nil
        }
    }

    /// Whether the console's live tail records the route's requests.
    var isTailed: Bool {
        switch self {
        case .chatCompletions, .responses, .embeddings, .anthropicMessages: true
        default: false
        }
    }
}

extension HTTPRouter {
    /// The admin routes other than `/api/plugins` and `/api/plugins/reload`; `nil` when the
    /// path is none of them.
    func resolveAdmin(method: HTTPMethod, path: String) -> Resolution? {
        func only(_ allowed: HTTPMethod, _ route: AdminRoute) -> Resolution {
            method == allowed ? .route(.admin(route)) : .methodNotAllowed(allow: allowed.rawValue)
        }
        switch path {
        case "/ui", "/ui/": return only(.GET, .console)
        case "/api/login": return only(.POST, .login)
        case "/api/logout": return only(.POST, .logout)
        case "/api/session": return only(.GET, .session)
        case "/api/stats": return only(.GET, .stats)
        case "/api/requests": return only(.GET, .requests)
        default: break
        }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        if parts.count == 6, parts[0].isEmpty, parts[1] == "api", parts[2] == "plugins", !parts[3].isEmpty,
            parts[4] == "commands", !parts[5].isEmpty
        {
            return only(.POST, .callCommand(plugin: String(parts[3]), command: String(parts[5])))
        }
        guard parts.count == 5, parts[0].isEmpty, parts[1] == "api", parts[2] == "plugins", !parts[3].isEmpty else {
            return nil
        }
        let plugin = String(parts[3])
        switch parts[4] {
        case "enable": return only(.POST, .setEnabled(plugin: plugin, enabled: true))
        case "disable": return only(.POST, .setEnabled(plugin: plugin, enabled: false))
        case "failure_policy": return only(.POST, .setFailurePolicy(plugin: plugin))
        default: return nil
        }
    }

    /// Admits or refuses an admin request; also refuses a write whose `Origin` is another
    /// site than the one it is sent to (a page elsewhere posting to this gateway).
    func authorizeAdmin(_ access: AdminGate.Access, headers: HTTPHeaders, peer: String) -> Result<
        PluginControlActor, BifrostError
    > {
        if case .write = access, let origin = headers.first(name: "origin"), let host = headers.first(name: "host"),
            !(origin == "http://\(host)" || origin == "https://\(host)")
        {
            return .failure(.adminCrossOrigin)
        }
        return admin.authorize(access, headers: headers, peer: peer)
    }

    /// Answers an admin route for `caller`, already admitted.
    func answerAdmin(_ route: AdminRoute, body: ByteBuffer, headers: HTTPHeaders, caller: PluginControlActor, requestID: String)
        async -> HTTPServerResponse
    {
        switch route {
        case .callCommand(let plugin, let command):
            return await callCommand(command, of: plugin, body: body, caller: caller, requestID: requestID)
        case .console:
            return ConsoleAssets.page(requestID: requestID)
        case .login:
            return logIn(body: body, peer: caller.peer, requestID: requestID)
        case .logout:
            admin.logOut(headers: headers)
            var response = HTTPServerResponse(status: .ok, bytes: Array(#"{"logged_out":true}"#.utf8), requestID: requestID)
            response.headers.add(
                name: "set-cookie", value: "\(AdminGate.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0")
            return response
        case .session:
            var writer = JSONWriter(capacity: 160)
            writer.beginObject()
            writer.key("authenticated")
            writer.bool(true)
            writer.key("method")
            writer.string(caller.method)
            writer.key("csrf_token")
            writer.optionalString(caller.method == "cookie session" ? admin.csrfToken(headers: headers) : nil)
            writer.key("token_required")
            writer.bool(admin.requiresToken)
            writer.endObject()
            return HTTPServerResponse(status: .ok, bytes: writer.bytes, requestID: requestID)
        case .stats:
            return HTTPServerResponse(status: .ok, bytes: statsJSON(), requestID: requestID)
        case .requests:
            return HTTPServerResponse(status: .ok, bytes: requestsJSON(), requestID: requestID)
        case .setEnabled(let plugin, let enabled):
            return control(plugin, requestID: requestID) { () throws(PluginControlError) in
                try bifrost.setPlugin(plugin, enabled: enabled, by: caller)
            }
        case .setFailurePolicy(let plugin):
            guard let value = try? JSONValue.parse(body.readableBytesView),
                case .string(let name)? = value.objectField("failure_policy"), let policy = FailurePolicy(rawValue: name)
            else {
                return HTTPServerResponse(
                    error: .invalidRequest(
                        #"expected {"failure_policy": "fail_closed"} or {"failure_policy": "fail_open"}"#, param: "failure_policy"
                    ),
                    requestID: requestID)
            }
            return control(plugin, requestID: requestID) { () throws(PluginControlError) in
                try bifrost.setFailurePolicy(of: plugin, to: policy, by: caller)
            }
        }
    }

    private func control(
        _ plugin: String, requestID: String, _ change: () throws(PluginControlError) -> UInt64
    ) -> HTTPServerResponse {
        do throws(PluginControlError) {
            let generation = try change()
            let status = bifrost.loadedPlugins.first { $0.entry.plugin.descriptor.name == plugin }
            var writer = JSONWriter(capacity: 160)
            writer.beginObject()
            writer.key("plugin")
            writer.string(plugin)
            writer.key("state")
            writer.string(status?.isEnabled == false ? "disabled" : "enabled")
            writer.key("failure_policy")
            writer.optionalString(status?.entry.failurePolicy.rawValue)
            writer.key("generation")
            writer.number(Int(generation))
            writer.endObject()
            return HTTPServerResponse(status: .ok, bytes: writer.bytes, requestID: requestID)
        } catch {
            let status = error.code == .unknownPlugin ? 404 : 503
            return HTTPServerResponse(
                error: BifrostError(
                    status: status, type: status == 404 ? "invalid_request_error" : "service_unavailable",
                    code: error.code.rawValue, message: error.description),
                requestID: requestID)
        }
    }

    private func logIn(body: ByteBuffer, peer: String, requestID: String) -> HTTPServerResponse {
        guard let value = try? JSONValue.parse(body.readableBytesView), case .string(let token)? = value.objectField("token")
        else {
            return HTTPServerResponse(error: .invalidRequest(#"expected {"token": "…"}"#, param: "token"), requestID: requestID)
        }
        switch admin.logIn(presented: token, peer: peer) {
        case .failure(let error):
            return HTTPServerResponse(error: error, requestID: requestID)
        case .success(let session):
            var writer = JSONWriter(capacity: 128)
            writer.beginObject()
            writer.key("csrf_token")
            writer.string(session.csrf)
            writer.key("method")
            writer.string("cookie session")
            writer.endObject()
            var response = HTTPServerResponse(status: .ok, bytes: writer.bytes, requestID: requestID)
            response.headers.add(
                name: "set-cookie",
                value:
                    "\(AdminGate.cookieName)=\(session.session); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(AdminGate.sessionLifetime.components.seconds)"
            )
            return response
        }
    }

    /// Records a client request's answer for the console (its route, model, provider, status
    /// and latency; never its content).
    func recordForConsole(_ route: Route, _ answer: HTTPAnswer, context: RequestContext) {
        guard route.isTailed else { return }
        switch answer {
        case .complete(let response):
            console.record(
                context: context, status: Int(response.status.code),
                provider: response.headers.first(name: "x-bifrost-provider") ?? "",
                model: response.headers.first(name: "x-bifrost-model") ?? "")
        case .stream(let streaming):
            console.record(context: context, status: 200, provider: streaming.provider, model: streaming.model)
        }
    }

    /// `{"requests":[{"sequence","id","at","route","model","provider","status","latency_ms","plugins":[…]},…]}`, newest last.
    func requestsJSON() -> [UInt8] {
        let entries = console.tail()
        var writer = JSONWriter(capacity: 64 + entries.count * 240)
        writer.beginObject()
        writer.key("requests")
        writer.beginArray()
        for entry in entries {
            writer.beginObject()
            writer.key("sequence")
            writer.number(Int(entry.sequence))
            let texts = [
                ("id", entry.context.requestID), ("at", Self.timestamp(entry.context.arrivalTimeNanoseconds)),
                ("route", entry.context.route), ("model", entry.model), ("provider", entry.provider),
            ]
            for (key, text) in texts {
                writer.key(key)
                writer.string(text)
            }
            writer.key("status")
            writer.number(entry.status)
            writer.key("latency_ms")
            writer.number(entry.latencyMilliseconds)
            writer.key("plugins")
            writer.beginArray()
            let (bits, names) = entry.context.enteredPlugins
            for (index, name) in names.prefix(64).enumerated() where bits & (1 << UInt64(index)) != 0 {
                writer.string(name)
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// `{"interval_s","window_s","requests":{"total","rate_per_s","by_status":{…}},"timeline":[…],"plugins":[…]}`:
    /// over the samples of the last minutes, the request rate and errors by status, and per
    /// plugin its hook calls, p50/p99 latency (ms) and faults.
    func statsJSON() -> [UInt8] {
        let samples = console.samples()
        let bounds = console.hookBucketBounds
        guard let oldest = samples.first, let newest = samples.last else { return Array("{}".utf8) }
        let window = newest.at - oldest.at
        let seconds = Double(window.components.seconds) + Double(window.components.attoseconds) / 1e18
        var writer = JSONWriter(capacity: 1024)
        writer.beginObject()
        writer.key("interval_s")
        writer.number(Int(console.sampleInterval.components.seconds))
        writer.key("window_s")
        writer.number(seconds)
        writer.key("requests")
        writer.beginObject()
        writer.key("total")
        writer.number(Int(newest.requests - oldest.requests))
        writer.key("errors")
        writer.number(Int(newest.errors - oldest.errors))
        writer.key("rate_per_s")
        writer.number(seconds > 0 ? Double(newest.requests - oldest.requests) / seconds : 0)
        writer.key("by_status")
        writer.beginObject()
        for (status, count) in newest.byStatus.enumerated() where count > oldest.byStatus[status] {
            writer.key(String(status))
            writer.number(Int(count - oldest.byStatus[status]))
        }
        writer.endObject()
        writer.endObject()
        writer.key("timeline")
        writer.beginArray()
        for (older, newer) in zip(samples, samples.dropFirst()) {
            writer.beginObject()
            writer.key("at")
            writer.string(Self.timestamp(newer.atNanoseconds))
            writer.key("requests")
            writer.number(Int(newer.requests - older.requests))
            writer.key("errors")
            writer.number(Int(newer.errors - older.errors))
            writer.endObject()
        }
        writer.endArray()
        writer.key("plugins")
        writer.beginArray()
        for name in bifrost.loadedPlugins.map(\.entry.plugin.descriptor.name) {
            let newer = newest.hookCounts[name] ?? []
            let older = oldest.hookCounts[name] ?? []
            writer.beginObject()
            writer.key("name")
            writer.string(name)
            writer.key("calls")
            writer.number(Int((newer.last ?? 0) - (older.count == newer.count ? older.last ?? 0 : 0)))
            for (key, q) in [("p50_ms", 0.5), ("p99_ms", 0.99)] {
                writer.key(key)
                if let value = ConsoleRecorder.quantile(q, from: older, to: newer, bounds: bounds) {
                    writer.number(value * 1000)
                } else {
                    writer.null()
                }
            }
            writer.key("faults")
            writer.number(Int((newest.faults[name] ?? 0) - (oldest.faults[name] ?? 0)))
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return writer.bytes
    }

    /// The `state` and `scope` of a plugin's `/api/plugins` entry.
    static func writeControlFields(_ plugin: LoadedPluginStatus, into writer: inout JSONWriter) {
        writer.key("state")
        writer.string(plugin.isEnabled ? "enabled" : "disabled")
        writer.key("scope")
        guard let scope = plugin.entry.scope, !scope.isUnrestricted else {
            writer.null()
            return
        }
        writer.beginObject()
        for (key, patterns) in [("routes", scope.routes), ("models", scope.models), ("clients", scope.clients)] {
            writer.key(key)
            writer.beginArray()
            for pattern in patterns { writer.string(pattern) }
            writer.endArray()
        }
        writer.endObject()
    }
}

extension BifrostError {
    /// 403: a write sent by a page of another site.
    static let adminCrossOrigin = BifrostError(
        status: 403, type: "permission_error", code: "cross_origin",
        message: "admin changes are accepted only from the gateway's own pages (the Origin header names another site)")
}
