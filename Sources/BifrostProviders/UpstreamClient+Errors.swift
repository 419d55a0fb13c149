public import BifrostCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension UpstreamClient {
    /// The error for an upstream's 4xx/5xx answer: the same status, the upstream's message, type and code
    /// (from OpenAI's `{"error":{…}}` or Anthropic's `{"type":"error","error":{…}}`), its `retry-after`
    /// (and `retry-after-ms`) headers kept, and the secret scrubbed. A status outside 400–599 becomes 502.
    ///
    /// ```swift
    /// let error = client.upstreamError(status: 429, headers: HeaderFields([("retry-after", "7")]),
    ///                                  body: Array(#"{"error":{"message":"slow down"}}"#.utf8))
    /// // error.status == 429, error.headers["retry-after"] == "7"
    /// ```
    public func upstreamError(status: Int, headers: HeaderFields, body: [UInt8], secret: String? = nil) -> BifrostError {
        var message: String?
        var type: String?
        var code: String?
        var param: String?
        var wire: WireBody?
        if let value = try? JSONValue.parse(body) {
            if let wireFormat, case .object(let object) = value, object["error"]?.objectValue != nil,
                secret.map({ $0.isEmpty || !body.contains($0.utf8) }) ?? true
            {
                wire = WireBody(format: wireFormat, object: object)
            }
            let error = value.objectField("error")
            switch error {
            case .object?:
                message = error?.objectField("message")?.stringValue
                type = error?.objectField("type")?.stringValue
                code = error?.objectField("code")?.stringValue ?? error?.objectField("code")?.intValue.map { String($0) }
                param = error?.objectField("param")?.stringValue
            case .string(let text)?:
                message = text
            default:
                message = value.objectField("message")?.stringValue ?? value.objectField("detail")?.stringValue
            }
        } else if !body.isEmpty {
            message = String(decoding: body.prefix(512), as: UTF8.self)
        }
        let known = (400...599).contains(status)
        var kept = HeaderFields()
        for name in ["retry-after", "retry-after-ms"] {
            if let value = headers[name] { kept[name] = value }
        }
        let text = message.map { "upstream \(provider) answered \(status): \($0)" } ?? "upstream \(provider) answered \(status)"
        var error = BifrostError(
            status: known ? status : 502,
            type: type ?? (status < 500 && known ? "invalid_request_error" : "upstream_error"),
            code: known ? code : "unexpected_status",
            param: param,
            message: Self.scrub(text, secret: secret),
            headers: kept,
            source: .provider(provider))
        if known { error.wire = wire }
        return error
    }

    /// Maps any failure of an attempt to a ``BifrostError`` (see the table on ``UpstreamClient``).
    func classify(_ error: any Error, request: UpstreamRequest, started: ContinuousClock.Instant) -> BifrostError {
        var result: BifrostError
        switch error {
        case var error as BifrostError:
            if case .gateway = error.source { error.source = .provider(provider) }
            if error.code == "malformed_response" { error.type = "upstream_error" }
            result = error
        case let timeout as UpstreamTimeout:
            result = failure(504, "upstream_timeout", timeout.reason)
        case is CancellationError:
            result = BifrostError(
                status: 499, type: "request_cancelled", message: "the request was cancelled", source: .provider(provider))
        case is UpstreamConnectionClosed:
            result = failure(502, "upstream_reset", "upstream closed the connection before the response was complete")
        case let error as UpstreamURLError:
            result = failure(502, "upstream_unreachable", error.description)
        case let error as UpstreamResponseTooLarge:
            result = failure(502, "malformed_response", error.description)
        case is HTTPParserError:
            result = failure(502, "malformed_response", "upstream sent an invalid HTTP response (\(error))")
        case let error as NIOConnectionError:
            let causes = error.connectionErrors.map { attempt in
                "\(Self.cause(attempt.error)) at \(attempt.target.ipAddress ?? "?") port \(attempt.target.port ?? error.port)"
            }
            let dns = [error.dnsAError, error.dnsAAAAError].compactMap { $0.map { Self.cause($0) } }
            let reason =
                causes.isEmpty
                ? "cannot resolve the host name" + (dns.first.map { ": \($0)" } ?? "") : causes.joined(separator: "; ")
            result = failure(502, "upstream_unreachable", "could not connect to \(error.host) port \(error.port): \(reason)")
        case is NIOSSLError, is BoringSSLError, is NIOSSLExtraError, is UpstreamTLSUnavailable:
            result = failure(502, "upstream_unreachable", "TLS with upstream failed: \(error)")
        case let error as IOError:
            switch error.errnoCode {
            case ECONNRESET, EPIPE, ECONNABORTED:
                result = failure(502, "upstream_reset", "upstream reset the connection")
            case ETIMEDOUT:
                result = failure(504, "upstream_timeout", "upstream connection timed out")
            default:
                let endpoint = (try? request.parsedURL.parsed.get().endpoint).map { " to \($0.host) port \($0.port)" } ?? ""
                result = failure(502, "upstream_unreachable", "could not connect\(endpoint): \(Self.cause(error))")
            }
        case let error as ChannelError:
            switch error {
            case .connectTimeout:
                result = failure(504, "upstream_timeout", "could not connect to upstream within the connect timeout")
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                result = failure(502, "upstream_reset", "upstream closed the connection")
            default:
                result = failure(502, "upstream_unreachable", "could not reach upstream: \(error)")
            }
        default:
            let description = String(describing: error)
            if description.contains("reset") || description.contains("ECONNRESET") {
                result = failure(502, "upstream_reset", "upstream reset the connection")
            } else {
                result = failure(502, "upstream_unreachable", "could not reach upstream: \(description)")
            }
        }
        result.message = Self.scrub(result.message, secret: request.secret)
        // An error event kept for pass-through must not carry the key to the client either.
        if let secret = request.secret, !secret.isEmpty, let wire = result.wire,
            JSONWriter.bytes(of: .object(wire.object)).contains(secret.utf8)
        {
            result.wire = nil
        }
        logger.debug(
            "upstream attempt failed",
            metadata: [
                "provider": "\(provider)", "key": "\(request.keyID)", "url": "\(request.url)", "status": "\(result.status)",
                "code": "\(result.code ?? "")", "ms": "\((ContinuousClock.now - started).wholeMilliseconds)",
            ])
        return result
    }

    private func failure(_ status: Int, _ code: String, _ message: String) -> BifrostError {
        BifrostError(
            status: status, type: "upstream_error", code: code, message: "\(provider): \(message)", source: .provider(provider))
    }

    /// A socket error in words (`connection refused`, `connection reset`, `host unreachable`, …),
    /// without the system call's signature.
    static func cause(_ error: any Error) -> String {
        guard let error = error as? IOError else { return "\(error)" }
        switch error.errnoCode {
        case ECONNREFUSED: return "connection refused"
        case ECONNRESET: return "connection reset"
        case EHOSTUNREACH: return "host unreachable"
        case ENETUNREACH: return "network unreachable"
        case ETIMEDOUT: return "connection timed out"
        case EADDRNOTAVAIL: return "address not available"
        default: return String(cString: strerror(error.errnoCode)).lowercased()
        }
    }

    /// `text` with every occurrence of `secret` replaced by `[redacted]`.
    static func scrub(_ text: String, secret: String?) -> String {
        guard let secret, !secret.isEmpty, text.contains(secret) else { return text }
        return text.replacing(secret, with: "[redacted]")
    }
}
