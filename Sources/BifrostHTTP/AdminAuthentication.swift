import BifrostCore
import BifrostLibrary
import Logging
import NIOHTTP1

/// The administrator's secret (`admin.token` in the configuration). Its description never
/// shows the value, so it cannot reach a log line by interpolation.
///
/// ```swift
/// configuration.adminToken = AdminToken("s3cret")
/// print(configuration.adminToken!)  // <admin token>
/// ```
public struct AdminToken: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    /// Wraps a token; it must not be empty.
    public init(_ value: String) {
        precondition(!value.isEmpty, "an admin token must not be empty")
        bytes = Array(value.utf8)
    }

    public var description: String { "<admin token>" }
}

/// Decides who may use the admin surface (`/api/*`, `/ui`) and keeps the console's login
/// sessions and the per-peer count of failed attempts.
///
/// With a token: a request carries it as `Authorization: Bearer <token>`, or carries the
/// session cookie set by `POST /api/login`; a write through the cookie also needs the
/// session's CSRF token in `x-csrf-token` (a browser attaches cookies by itself, never that
/// header). Without a token, only loopback peers are served. A client's API key never
/// matches. After ``maximumFailures`` failed attempts in ``failureWindow`` a peer gets 429
/// until the window has passed, even with the right token.
final class AdminGate: Sendable {
    /// What a request asks of the admin surface.
    enum Access: Sendable {
        /// Reads (`GET`).
        case read
        /// Changes (`POST`): a cookie session needs the CSRF header.
        case write
        /// The login form and the login itself: open, but counted against the peer's failures.
        case open
    }

    /// The session cookie's name.
    static let cookieName = "bifrost_admin_session"
    /// The header a cookie session's writes carry the CSRF token in.
    static let csrfHeader = "x-csrf-token"
    static let maximumFailures = 5
    static let failureWindow: Duration = .seconds(60)
    static let sessionLifetime: Duration = .seconds(12 * 3600)
    /// Bounds the memory of sessions and failure counts; the oldest go first.
    static let maximumSessions = 64
    static let maximumTrackedPeers = 1024

    private struct Session {
        var csrf: [UInt8]
        var expires: ContinuousClock.Instant
    }

    private struct Failures {
        var count: Int
        var windowStart: ContinuousClock.Instant
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var failures: [String: Failures] = [:]
    }

    private let token: AdminToken?
    private let state = LockedValue(State())
    private let logger: Logger

    init(token: AdminToken?, logger: Logger) {
        self.token = token
        self.logger = logger
    }

    /// Whether a token is configured (else the surface is loopback-only).
    var requiresToken: Bool { token != nil }

    /// Who is asking, or the error to answer with.
    func authorize(_ access: Access, headers: HTTPHeaders, peer: String) -> Result<PluginControlActor, BifrostError> {
        guard token != nil else {
            guard HTTPRequestIdentity.isLoopback(peer) else { return .failure(.adminLoopbackOnly) }
            return .success(PluginControlActor(method: "loopback", peer: peer))
        }
        if case .open = access { return .success(PluginControlActor(method: "anonymous", peer: peer)) }
        if let retry = lockedOut(peer) { return .failure(.adminTooManyFailures(retryAfterSeconds: retry)) }
        if let authorization = headers.first(name: "authorization") {
            guard let presented = HTTPRequestIdentity.bearerKey(authorization), matchesToken(presented.utf8) else {
                noteFailure(peer, what: "a wrong bearer token")
                return .failure(.adminUnauthorized)
            }
            return .success(PluginControlActor(method: "token", peer: peer))
        }
        guard let sessionID = Self.cookie(Self.cookieName, in: headers) else { return .failure(.adminUnauthorized) }
        let session = state.withLock { state -> Session? in
            guard let session = state.sessions[sessionID] else { return nil }
            guard session.expires > .now else {
                state.sessions[sessionID] = nil
                return nil
            }
            return session
        }
        guard let session else { return .failure(.adminUnauthorized) }
        if case .write = access {
            guard let presented = headers.first(name: Self.csrfHeader), Self.constantTimeEqual(presented.utf8, session.csrf)
            else { return .failure(.adminCSRFRequired) }
        }
        return .success(PluginControlActor(method: "cookie session", peer: peer))
    }

    /// The CSRF token of the request's cookie session, for a console page loaded anew.
    func csrfToken(headers: HTTPHeaders) -> String? {
        guard let sessionID = Self.cookie(Self.cookieName, in: headers) else { return nil }
        return state.withLock { $0.sessions[sessionID].map { String(decoding: $0.csrf, as: UTF8.self) } }
    }

    /// Checks a login's token: a new session (its id for the cookie, its CSRF token), or the error.
    func logIn(presented: String, peer: String) -> Result<(session: String, csrf: String), BifrostError> {
        guard token != nil else {
            return .failure(
                BifrostError(
                    status: 400, type: "invalid_request_error", code: "admin_login_unavailable",
                    message: "no admin token is configured (admin.token): the admin surface serves loopback peers without a login"
                ))
        }
        if let retry = lockedOut(peer) { return .failure(.adminTooManyFailures(retryAfterSeconds: retry)) }
        guard matchesToken(presented.utf8) else {
            noteFailure(peer, what: "a failed login")
            return .failure(.adminUnauthorized)
        }
        let session = Self.randomHex(bytes: 32)
        let csrf = Self.randomHex(bytes: 32)
        state.withLock { state in
            if state.sessions.count >= Self.maximumSessions,
                let oldest = state.sessions.min(by: { $0.value.expires < $1.value.expires })?.key
            {
                state.sessions[oldest] = nil
            }
            state.sessions[session] = Session(csrf: Array(csrf.utf8), expires: .now + Self.sessionLifetime)
            state.failures[peer] = nil
        }
        logger.notice("admin: login from \(peer): cookie session started")
        return .success((session, csrf))
    }

    /// Ends the request's cookie session, if any.
    func logOut(headers: HTTPHeaders) {
        guard let sessionID = Self.cookie(Self.cookieName, in: headers) else { return }
        state.withLock { $0.sessions[sessionID] = nil }
    }

    private func matchesToken(_ presented: some Collection<UInt8>) -> Bool {
        guard let token else { return false }
        return Self.constantTimeEqual(presented, token.bytes)
    }

    /// Seconds until the peer may try again, when it failed too often lately.
    private func lockedOut(_ peer: String) -> Int? {
        state.withLock { state in
            guard let failures = state.failures[peer], failures.count >= Self.maximumFailures else { return nil }
            let remaining = failures.windowStart + Self.failureWindow - .now
            guard remaining > .zero else {
                state.failures[peer] = nil
                return nil
            }
            return max(1, Int(remaining.components.seconds) + 1)
        }
    }

    private func noteFailure(_ peer: String, what: String) {
        let count = state.withLock { state in
            let now = ContinuousClock.now
            if state.failures[peer] == nil, state.failures.count >= Self.maximumTrackedPeers {
                state.failures = state.failures.filter { now - $0.value.windowStart < Self.failureWindow }
                if state.failures.count >= Self.maximumTrackedPeers,
                    let oldest = state.failures.min(by: { $0.value.windowStart < $1.value.windowStart })?.key
                {
                    state.failures[oldest] = nil
                }
            }
            var failures = state.failures[peer] ?? Failures(count: 0, windowStart: now)
            if now - failures.windowStart >= Self.failureWindow { failures = Failures(count: 0, windowStart: now) }
            failures.count += 1
            state.failures[peer] = failures
            return failures.count
        }
        // The presented value is never logged: it may be the real token mistyped.
        logger.warning(
            "admin: \(what) from \(peer) (\(count) in the last \(Self.failureWindow.components.seconds) s; locked out at \(Self.maximumFailures))"
        )
    }

    /// Compares every byte whatever the first difference, so the time taken says nothing of
    /// how much of a guess was right (it depends on the guess's length only).
    static func constantTimeEqual(_ presented: some Collection<UInt8>, _ expected: [UInt8]) -> Bool {
        var difference = UInt64(truncatingIfNeeded: presented.count ^ expected.count)
        guard !expected.isEmpty else { return false }
        var index = 0
        for byte in presented {
            difference |= UInt64(byte ^ expected[index % expected.count])
            index += 1
        }
        return difference == 0
    }

    /// A cookie's value from the request's `cookie` headers.
    static func cookie(_ name: String, in headers: HTTPHeaders) -> String? {
        for header in headers[canonicalForm: "cookie"] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop(while: { $0 == " " })
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                let value = trimmed[trimmed.index(after: equals)...]
                return value.isEmpty ? nil : String(value)
            }
        }
        return nil
    }

    static func randomHex(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8.random(in: 0...255, using: &generator)
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension BifrostError {
    /// 401: no admin credential, or a wrong one (a client's API key included).
    static let adminUnauthorized = BifrostError(
        status: 401, type: "authentication_error", code: "admin_unauthorized",
        message: "the admin API needs the admin token (Authorization: Bearer <token>) or a console session (POST /api/login)",
        headers: HeaderFields([("www-authenticate", "Bearer")]))

    /// 403: a cookie session's write without the session's CSRF token.
    static let adminCSRFRequired = BifrostError(
        status: 403, type: "permission_error", code: "csrf_token_required",
        message: "a change made through a console session needs the session's CSRF token in the x-csrf-token header")

    /// 403: no admin token is configured and the peer is not this host.
    static let adminLoopbackOnly = BifrostError(
        status: 403, type: "permission_error", code: "loopback_only",
        message: "no admin token is configured (admin.token): the admin API and console answer the loopback interface only")

    /// 429: too many failed admin attempts from this peer lately.
    static func adminTooManyFailures(retryAfterSeconds: Int) -> BifrostError {
        BifrostError(
            status: 429, type: "rate_limit_error", code: "admin_locked_out",
            message: "too many failed admin attempts from this address; try again in \(retryAfterSeconds) s",
            headers: HeaderFields([("retry-after", String(retryAfterSeconds))]))
    }
}
