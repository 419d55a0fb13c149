import BifrostCore
import BifrostLibrary
import BifrostTestSupport
import Logging
import Synchronization
import Testing

@testable import BifrostHTTP

/// Counts its hook calls and the models its PreHook saw.
final class CountingPlugin: Plugin {
    let descriptor: PluginDescriptor
    private let counts = Mutex<(pre: Int, post: Int, models: [String])>((0, 0, []))

    init(name: String) {
        descriptor = PluginDescriptor(name: name, version: "1.0.0", hooks: [.pre, .post, .chunk])
    }

    var preCalls: Int { counts.withLock { $0.pre } }
    var postCalls: Int { counts.withLock { $0.post } }
    var models: [String] { counts.withLock { $0.models } }

    func preHook(_ request: inout ChatRequest, context: RequestContext) throws -> PreHookResult {
        counts.withLock {
            $0.pre += 1
            $0.models.append(request.model)
        }
        return .continue
    }

    func postHook(_ outcome: inout ChatOutcome, context: RequestContext) throws {
        counts.withLock { $0.post += 1 }
    }
}

let adminToken = "admin-secret-0123456789"
let chatBody = #"{"model":"mock/echo","messages":[{"role":"user","content":"hi"}]}"#

/// A server with the admin token set and `plugins` (specs) on a mock provider of `latency`.
func withAdminServer<Result: Sendable>(
    _ plugins: [PluginSpec] = [], token: String? = adminToken, latency: Duration = .zero,
    _ body: (HTTPTestClient, Bifrost) async throws -> Result
) async throws -> Result {
    let bifrost = try await Bifrost(
        configuration: BifrostConfiguration(
            account: NoProviders(), plugins: plugins, providers: [MockProvider(latency: latency)], logger: quietLogger()))
    var configuration = HTTPServerConfiguration(host: "127.0.0.1", port: 0, shutdownGracePeriod: .seconds(2))
    configuration.adminToken = token.map(AdminToken.init)
    configuration.consoleSampleInterval = .milliseconds(200)
    return try await withServer(bifrost, configuration: configuration) { client, _ in try await body(client, bifrost) }
}

/// Logs in and returns the cookie header value and the CSRF token.
func logIn(_ client: HTTPTestClient) async throws -> (cookie: String, csrf: String) {
    let response = try await client.postJSON("/api/login", #"{"token":"\#(adminToken)"}"#)
    #expect(response.status == 200)
    let setCookie = try #require(response.headers["set-cookie"])
    let cookie = String(setCookie.prefix { $0 != ";" })
    guard case .string(let csrf)? = try response.json().objectField("csrf_token") else {
        Issue.record("no csrf_token in \(response.text)")
        return (cookie, "")
    }
    return (cookie, csrf)
}

@Suite("Admin API: authentication, CSRF and lockout")
struct AdminAuthenticationTests {
    @Test(
        "without credentials every admin route is 401",
        arguments: [
            ("GET", "/api/plugins"), ("POST", "/api/plugins/reload"),
            ("GET", "/api/stats"), ("GET", "/api/requests"), ("POST", "/api/plugins/counter/disable"),
        ])
    func noToken(method: String, path: String) async throws {
        try await withAdminServer([.plugin(CountingPlugin(name: "counter"))]) { client, _ in
            let response = try await client.send(method, path)
            #expect(response.status == 401)
            #expect(try errorFields(response)["code"] == "admin_unauthorized")
            #expect(response.headers["www-authenticate"] == "Bearer")
        }
    }

    @Test(
        "a client's API key never grants admin access",
        arguments: [
            ["x-api-key": "sk-client-key"],
            ["Authorization": "Bearer sk-client-key"],
        ])
    func clientKey(headers: [String: String]) async throws {
        try await withAdminServer { client, _ in
            let response = try await client.get("/api/plugins", headers: headers)
            #expect(response.status == 401)
            #expect(!response.text.contains("sk-client-key"))
        }
    }

    @Test("the right bearer token reads and writes without a CSRF token")
    func bearer() async throws {
        try await withAdminServer([.plugin(CountingPlugin(name: "counter"))]) { client, _ throws in
            let headers = ["Authorization": "Bearer \(adminToken)"]
            #expect(try await client.get("/api/plugins", headers: headers).status == 200)
            #expect(try await client.postJSON("/api/plugins/counter/disable", "{}", headers: headers).status == 200)
        }
    }

    @Test("wrong tokens are 401, then the peer is locked out with 429 even with the right one", arguments: [false, true])
    func lockout(throughLogin: Bool) async throws {
        try await withAdminServer { client, _ in
            func attempt(_ token: String) async throws -> HTTPTestResponse {
                throughLogin
                    ? try await client.postJSON("/api/login", #"{"token":"\#(token)"}"#)
                    : try await client.get("/api/plugins", headers: ["Authorization": "Bearer \(token)"])
            }
            for _ in 0..<AdminGate.maximumFailures {
                let response = try await attempt("wrong-token")
                #expect(response.status == 401)
                #expect(!response.text.contains("wrong-token"))
            }
            let locked = try await attempt(adminToken)
            #expect(locked.status == 429)
            #expect(locked.headers["retry-after"] != nil)
            #expect(try errorFields(locked)["code"] == "admin_locked_out")
        }
    }

    @Test("a login sets an HttpOnly, SameSite=Strict cookie; its writes need the CSRF token (403 without)")
    func cookieSession() async throws {
        try await withAdminServer([.plugin(CountingPlugin(name: "counter"))]) { client, _ in
            let response = try await client.postJSON("/api/login", #"{"token":"\#(adminToken)"}"#)
            let setCookie = try #require(response.headers["set-cookie"])
            #expect(setCookie.contains("HttpOnly"))
            #expect(setCookie.contains("SameSite=Strict"))
            #expect(!setCookie.contains(adminToken))
            let (cookie, csrf) = try await logIn(client)
            #expect(try await client.get("/api/plugins", headers: ["Cookie": cookie]).status == 200)
            let withoutCSRF = try await client.postJSON("/api/plugins/counter/disable", "{}", headers: ["Cookie": cookie])
            #expect(withoutCSRF.status == 403)
            #expect(try errorFields(withoutCSRF)["code"] == "csrf_token_required")
            let wrongCSRF = try await client.postJSON(
                "/api/plugins/counter/disable", "{}", headers: ["Cookie": cookie, "x-csrf-token": "0000"])
            #expect(wrongCSRF.status == 403)
            let withCSRF = try await client.postJSON(
                "/api/plugins/counter/disable", "{}", headers: ["Cookie": cookie, "x-csrf-token": csrf])
            #expect(withCSRF.status == 200)
            let session = try await client.get("/api/session", headers: ["Cookie": cookie])
            #expect(session.text.contains(csrf))
        }
    }

    @Test("a write from another site's page is refused (403 cross_origin)")
    func crossOrigin() async throws {
        try await withAdminServer([.plugin(CountingPlugin(name: "counter"))]) { client, _ in
            let response = try await client.postJSON(
                "/api/plugins/counter/disable", "{}",
                headers: ["Authorization": "Bearer \(adminToken)", "Origin": "https://evil.example"])
            #expect(response.status == 403)
            #expect(try errorFields(response)["code"] == "cross_origin")
        }
    }

    @Test("without a token configured the loopback interface is served without credentials")
    func loopbackOnly() async throws {
        try await withAdminServer(token: nil) { client, _ throws in
            #expect(try await client.get("/api/plugins").status == 200)
            let gate = AdminGate(token: nil, logger: quietLogger())
            guard case .failure(let error) = gate.authorize(.read, headers: [:], peer: "10.1.2.3") else {
                Issue.record("a remote peer was admitted")
                return
            }
            #expect(error.code == "loopback_only")
        }
    }

    @Test(
        "constant-time comparison agrees with equality",
        arguments: [
            ("abc", "abc", true), ("abc", "abd", false), ("ab", "abc", false), ("abcd", "abc", false), ("", "abc", false),
        ])
    func constantTime(presented: String, expected: String, equal: Bool) {
        #expect(AdminGate.constantTimeEqual(Array(presented.utf8), Array(expected.utf8)) == equal)
    }

    @Test("failed attempts are logged with the peer, never with the presented token")
    func failureLog() async throws {
        let lines = LogLines()
        let gate = AdminGate(token: AdminToken(adminToken), logger: lines.logger)
        _ = gate.logIn(presented: "guess-\(adminToken.prefix(8))", peer: "10.0.0.9")
        _ = gate.authorize(.read, headers: ["authorization": "Bearer not-the-token"], peer: "10.0.0.9")
        let logged = lines.all
        #expect(logged.count == 2)
        #expect(logged.allSatisfy { $0.contains("10.0.0.9") && !$0.contains("guess") && !$0.contains("not-the-token") })
    }
}

/// Keeps every log message.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }
    var logger: Logger { Logger(label: "admin-test") { _ in LineCollector(sink: self) } }
    func append(_ line: String) { lines.withLock { $0.append(line) } }
}

struct LineCollector: LogHandler {
    let sink: LogLines
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { sink.append("\(event.message)") }
}
